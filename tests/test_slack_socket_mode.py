"""The Slack adapter over Socket Mode against the fake's websocket server."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from adapters.slack.adapter import SlackAdapter
from adapters.web import WebApp
from bot.app import Crossfade
from bot.clock import FakeClock
from bot.config import load_settings
from bot.health import status_problems
from bot.status import Status
from bot.storage.sqlite import SqliteStore
from tests.fakes.slack_fake import SlackFake, block_actions_payload, slash_command_body
from tests.held_backoff import HeldBackoff
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
        web_app = WebApp.from_settings(http, console=False)
        over_http.mount(web_app)
        await over_http.start()
        await web_app.start()
        try:
            assert over_http.url.endswith(f":{free_port}/slack/events")
            async with (
                aiohttp.ClientSession() as session,
                session.post(f"http://127.0.0.1:{free_port}/slack/events", data="x=1") as resp,
            ):
                assert resp.status == 401  # unsigned: refused
        finally:
            await over_http.stop()
            await web_app.stop()
        assert slack_fake.socket_connections == 1
    finally:
        await store.close()


@pytest.mark.asyncio
async def test_a_lost_socket_is_logged_reconnected_with_backoff_and_reported(
    slack_fake: SlackFake, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(START)
    status = Status(clock)
    backoff = HeldBackoff()
    store = await SqliteStore.open(tmp_path / "crossfade.db")
    adapter = SlackAdapter(
        Crossfade(store, clock),
        bot_token=slack_fake.bot_token,
        app_token=slack_fake.app_token,
        api_url=slack_fake.api_url,
        reconnect=backoff,
    )
    adapter.report_to(status)
    try:
        await adapter.start()
        assert [link.connected for link in status.snapshot().links] == [True]

        # Slack drops the socket, and its first new URL can't be had: the next wait is longer.
        slack_fake.fail_next("apps.connections.open", "internal_error")
        await slack_fake.drop_socket()
        assert await backoff.asked() == [1.0]
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert errors == ["Slack: the Socket Mode connection was lost; reconnecting"]
        clock.advance(timedelta(minutes=4))
        assert status_problems(status.snapshot(), clock.now()) == []
        clock.advance(timedelta(minutes=2))
        assert status_problems(status.snapshot(), clock.now()) == [
            "Slack disconnected since 08:00 UTC (6 min)"
        ]

        backoff.release()
        await slack_fake.wait_for_socket(count=2)
        assert backoff.delays == [1.0, 2.0]
        assert len(slack_fake.calls("apps.connections.open", ok=False)) == 1

        # Served over the new socket, and reported up again.
        slack_fake.add_user("U0ALICE", name="Alice")
        url = slack_fake.mint_response_url()
        envelope = await slack_fake.push_envelope(
            "slash_commands",
            slash_command_body(
                command="/sprint", text="status", response_url=url, user_id="U0ALICE"
            ),
        )
        await slack_fake.wait_for_ack(envelope)
        await slack_fake.wait_for_response(url)
        assert [link.connected for link in status.snapshot().links] == [True]
        assert status_problems(status.snapshot(), clock.now()) == []

        # Slack's planned refresh ("disconnect") is followed at once, and is no outage.
        await slack_fake.send_disconnect()
        await slack_fake.wait_for_socket(count=3)
        assert backoff.delays == [1.0, 2.0]
        assert [link.connected for link in status.snapshot().links] == [True]
    finally:
        await adapter.stop()
        await store.close()
