"""The Slack adapter over Socket Mode against the fake's websocket server."""

from __future__ import annotations

import socket
from pathlib import Path

import aiohttp
import pytest

from adapters.slack.adapter import SlackAdapter
from bot.app import Crossfade
from bot.clock import FakeClock
from bot.config import load_settings
from bot.storage.sqlite import SqliteStore
from tests.fakes.slack_fake import SlackFake, block_actions_payload, slash_command_body
from tests.slack_stack import START, assert_payloads_valid, texts_of


@pytest.mark.asyncio
async def test_socket_mode_acks_envelopes_and_answers(
    slack_fake: SlackFake, tmp_path: Path
) -> None:
    store = await SqliteStore.open(tmp_path / "crossfade.db")
    core = Crossfade(store, FakeClock(START))
    adapter = SlackAdapter(
        core,
        bot_token=slack_fake.bot_token,
        app_token=slack_fake.app_token,
        api_url=slack_fake.api_url,
    )
    try:
        await adapter.start()  # returns once connected
        assert slack_fake.socket_connections == 1
        assert slack_fake.calls("apps.connections.open")[0].token == slack_fake.app_token
        slack_fake.add_user("U0ALICE", name="Alice")

        url = slack_fake.mint_response_url()
        envelope = await slack_fake.push_envelope(
            "slash_commands",
            slash_command_body(
                command="/sprint",
                text='start goal:"Tape op to mix engineer" skill:mixing deliverable:workshop '
                'deliverable-note:"A mixing workshop"',
                response_url=url,
                user_id="U0ALICE",
            ),
        )
        ack = await slack_fake.wait_for_ack(envelope)
        assert ack == {"envelope_id": envelope}  # acknowledged first, with no payload
        answer = await slack_fake.wait_for_response(url)
        assert "Sprint started: Tape op to mix engineer" in texts_of(answer.body["blocks"])

        # A button over the same socket opens its form as a modal.
        click = await slack_fake.push_envelope(
            "interactive",
            block_actions_payload(
                action_id="crossfade:0",
                value="form:sprint.complete",
                user_id="U0ALICE",
                response_url=slack_fake.mint_response_url(),
            ),
        )
        await slack_fake.wait_for_ack(click)
        modal = await slack_fake.wait_for("views.open")
        assert modal.params["view"]["title"]["text"] == "Complete your sprint"
        assert_payloads_valid(slack_fake)
    finally:
        await adapter.stop()
        await store.close()


@pytest.mark.asyncio
async def test_settings_choose_socket_mode_or_signed_http(
    slack_fake: SlackFake, tmp_path: Path
) -> None:
    store = await SqliteStore.open(tmp_path / "crossfade.db")
    core = Crossfade(store, FakeClock(START))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    socket_mode = load_settings(
        {"SLACK_BOT_TOKEN": slack_fake.bot_token, "SLACK_APP_TOKEN": slack_fake.app_token}
    )
    http = load_settings(
        {
            "SLACK_BOT_TOKEN": slack_fake.bot_token,
            "SLACK_SIGNING_SECRET": slack_fake.signing_secret,
            "SLACK_PORT": str(free_port),
        }
    )
    try:
        over_socket = SlackAdapter.from_settings(socket_mode, core, api_url=slack_fake.api_url)
        await over_socket.start()
        await over_socket.stop()
        assert slack_fake.socket_connections == 1

        over_http = SlackAdapter.from_settings(http, core, api_url=slack_fake.api_url)
        await over_http.start()
        try:
            assert over_http.url.endswith(f":{free_port}/slack/events")
            async with (
                aiohttp.ClientSession() as session,
                session.post(f"http://127.0.0.1:{free_port}/slack/events", data="x=1") as resp,
            ):
                assert resp.status == 401  # unsigned: refused
        finally:
            await over_http.stop()
        assert slack_fake.socket_connections == 1
    finally:
        await store.close()
