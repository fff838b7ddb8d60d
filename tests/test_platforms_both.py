"""With Slack's and Discord's tokens set, one process serves both (against both fakes)."""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.platforms import build_adapters
from adapters.slack.adapter import SlackAdapter
from bot.app import Crossfade
from bot.clock import FakeClock
from bot.config import Settings
from bot.delivery import Dispatcher
from bot.engine import Engine
from bot.storage.sqlite import SqliteStore
from tests.discord_stack import START, option, text_of
from tests.fakes.discord_fake import DiscordFake
from tests.fakes.discord_fixtures import FAKE_GUILD_ID, FAKE_TOKEN, FAKE_USER_ID
from tests.fakes.slack_fake import SlackFake, slash_command_body
from tests.slack_stack import texts_of

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    from adapters.discord.adapter import DiscordAdapter

GOAL = "Mix a Dolby Atmos podcast episode"


@pytest.mark.asyncio
async def test_one_process_serves_slack_and_discord(
    discord_fake: DiscordFake,
    slack_fake: SlackFake,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(
        db_path=tmp_path / "crossfade.db",
        discord_token=FAKE_TOKEN,
        discord_guild_id=FAKE_GUILD_ID,
        slack_bot_token=slack_fake.bot_token,
        slack_app_token=slack_fake.app_token,
    )
    # The composition root as is; only Slack's Web API address points at its fake.
    slack_from_settings = SlackAdapter.from_settings.__func__  # type: ignore[attr-defined]

    def to_fake(cls: type[SlackAdapter], s: Settings, core: Crossfade) -> Any:
        return slack_from_settings(cls, s, core, api_url=slack_fake.api_url)

    monkeypatch.setattr(SlackAdapter, "from_settings", classmethod(to_fake))
    store = await SqliteStore.open(settings.db_path)
    clock = FakeClock(START)
    core = Crossfade(store, clock)
    adapters = build_adapters(settings, core)
    assert [type(a) for a in adapters] == [SlackAdapter, DiscordAdapter]
    dispatcher = Dispatcher(store, clock, {a.transport.platform: a.transport for a in adapters})
    assert dispatcher.platforms() == ["discord", "slack"]
    engine = Engine(store, clock, dispatcher)
    try:
        for adapter in adapters:
            await adapter.start()

        # A member on each platform starts a sprint.
        slack_fake.add_user("U0ALICE", name="Alice")
        url = slack_fake.mint_response_url()
        await slack_fake.push_envelope(
            "slash_commands",
            slash_command_body(
                command="/sprint",
                text=f'start goal:"{GOAL}" skill:mixing deliverable:workshop '
                'deliverable-note:"A mixing workshop"',
                response_url=url,
                user_id="U0ALICE",
            ),
        )
        answer = await slack_fake.wait_for_response(url)
        assert f"Sprint started: {GOAL}" in texts_of(answer.body["blocks"])
        sub = {
            "name": "start",
            "type": 1,
            "options": [
                option("goal", GOAL),
                option("skill", "mixing"),
                option("deliverable", "workshop"),
                option("deliverable-note", "A mixing workshop"),
            ],
        }
        command = discord_fake.build_slash_command("sprint", [sub], user_id=FAKE_USER_ID)
        await discord_fake.push_interaction(command)
        reply = await discord_fake.wait_for_callback(command)
        assert reply.json["data"]["embeds"][0]["title"] == f"Sprint started: {GOAL}"

        # One engine, one outbox: each platform's member gets their prompt there.
        await engine.run_until(clock, clock.now() + timedelta(days=8))
        slack_prompts = [
            c
            for c in slack_fake.calls("chat.postMessage")
            if "Weekly check-in" in texts_of(c.params.get("blocks", []))
        ]
        assert len(slack_prompts) == 1
        dm = discord_fake.dm_channel_id(FAKE_USER_ID)
        assert [text_of(m).splitlines()[0] for m in discord_fake.messages(dm)] == [
            "Weekly check-in \u00b7 week 1 of 12"
        ]
    finally:
        for adapter in adapters:
            await adapter.stop()
        await store.close()
