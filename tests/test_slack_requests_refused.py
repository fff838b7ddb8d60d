"""The Slack Request URL refuses what isn't a fresh, signed request from our workspace, quietly."""

from __future__ import annotations

import logging
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.replay import SeenInProcess
from tests import slack_stack as stack_module
from tests.fakes.slack_fake import (
    DEFAULT_SIGNING_SECRET,
    SlackFake,
    sign_request,
    signed_form_request,
    slash_command_body,
)
from tests.slack_stack import START, SlackStack, texts_of

slack_stack = stack_module.slack_stack

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON_BODY = {"Content-Type": "application/json"}


def communities(db: Path) -> list[tuple[str, str]]:
    """Every community the bot recorded, read from the file by another connection."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return list(conn.execute("SELECT platform, ext_id FROM communities ORDER BY id"))


def loud_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Log records above DEBUG that carry a traceback, and any error at all."""
    return [
        f"{r.levelname} {r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno > logging.DEBUG and (r.exc_info or r.levelno >= logging.ERROR)
    ]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param("payload={", FORM, id="payload-not-json"),
        pytest.param("[1, 2]", JSON_BODY, id="json-list"),
        pytest.param(b"payload=\xff\xfe{", FORM, id="not-utf8"),
        pytest.param(
            "x=1",
            {**FORM, "X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"},
            id="timestamp-not-a-number",
        ),
        pytest.param(
            "payload={",
            {**FORM, "X-Slack-Request-Timestamp": "1e9", "X-Slack-Signature": "v0=00"},
            id="timestamp-float",
        ),
        pytest.param(
            "payload={",
            {**FORM, **sign_request("not-the-signing-secret", "payload={")},
            id="wrongly-signed",
        ),
    ],
)
async def test_malformed_unsigned_bodies_get_401_without_a_traceback(
    slack_stack: SlackStack,
    caplog: pytest.LogCaptureFixture,
    body: str | bytes,
    headers: dict[str, str],
) -> None:
    caplog.set_level(logging.DEBUG)
    before = len(slack_stack.fake.calls())  # auth.test at start
    reply = await slack_stack.post(body, headers)
    assert reply.status == 401
    assert loud_records(caplog) == []
    assert len(slack_stack.fake.calls()) == before


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param("payload={", FORM, id="payload-not-json"),
        pytest.param("payload=%5B1%5D", FORM, id="payload-a-list"),
        pytest.param("[1, 2]", JSON_BODY, id="json-list"),
        pytest.param('{"team": 5, "type": "block_actions"}', JSON_BODY, id="team-a-number"),
    ],
)
async def test_signed_bodies_bolt_cant_read_get_400_without_a_traceback(
    slack_stack: SlackStack,
    caplog: pytest.LogCaptureFixture,
    body: str,
    headers: dict[str, str],
) -> None:
    caplog.set_level(logging.DEBUG)
    before = len(slack_stack.fake.calls())  # auth.test at start
    signed = {**headers, **sign_request(DEFAULT_SIGNING_SECRET, body)}
    reply = await slack_stack.post(body, signed)
    assert reply.status == 400
    assert loud_records(caplog) == []
    assert len(slack_stack.fake.calls()) == before


@pytest.mark.asyncio
async def test_a_replayed_request_is_refused_and_runs_once(
    slack_stack: SlackStack, caplog: pytest.LogCaptureFixture
) -> None:
    fake = slack_stack.fake
    fake.add_user("U0ALICE", name="Alice")
    url = fake.mint_response_url()
    signed = signed_form_request(
        fake.signing_secret,
        slash_command_body(command="/sprint", text="status", response_url=url, user_id="U0ALICE"),
    )
    first = await slack_stack.post(signed.body, signed.headers)
    assert first.status == 200
    answer = await fake.wait_for_response(url)
    assert "no active sprint" in texts_of(answer.body["blocks"])

    replay = await slack_stack.post(signed.body, signed.headers)
    assert replay.status == 401
    # A fresh request after the replay is answered; the replay never was.
    _, later = await slack_stack.command("status")
    await fake.wait_for_response(later)
    assert len(fake.response_posts(url)) == 1
    assert loud_records(caplog) == []


@pytest.mark.asyncio
async def test_seen_signatures_are_forgotten_once_their_window_closed() -> None:
    clock = FakeClock(START)
    seen = SeenInProcess(clock)
    assert await seen.first_use("v0=aa", START + timedelta(minutes=5))
    assert await seen.first_use("v0=bb", START + timedelta(minutes=6))
    assert not await seen.first_use("v0=aa", START + timedelta(minutes=5))
    assert len(seen) == 2
    clock.advance(timedelta(minutes=5))
    # aa's window closed (its timestamp is too old for the signature check): forgotten.
    assert await seen.first_use("v0=cc", START + timedelta(minutes=10))
    assert len(seen) == 2
    assert not await seen.first_use("v0=bb", START + timedelta(minutes=6))
    assert await seen.first_use("v0=aa", START + timedelta(minutes=5))
    assert len(seen) == 2  # aa's window has passed: refused by its age, nothing to remember


@pytest.mark.asyncio
async def test_a_signed_request_from_another_workspace_is_refused(
    slack_stack: SlackStack, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = slack_stack.fake
    fake.add_user("U0MALLORY", name="Mallory")
    url = fake.mint_response_url()
    fields = slash_command_body(
        command="/sprint",
        text="status",
        response_url=url,
        user_id="U0MALLORY",
        team_id="T0ELSEWHERE",
        team_domain="elsewhere",
    )
    signed = signed_form_request(fake.signing_secret, fields)
    reply = await slack_stack.post(signed.body, signed.headers)
    assert reply.status == 403
    assert communities(tmp_path / "crossfade.db") == []
    assert fake.calls("users.info") == []
    assert fake.response_posts(url) == []
    assert loud_records(caplog) == []

    # Our own workspace is served as before, and only it has a community.
    _, ours = await slack_stack.command("status")
    await fake.wait_for_response(ours)
    assert communities(tmp_path / "crossfade.db") == [("slack", fake.team_id)]


@pytest.mark.asyncio
async def test_socket_mode_acknowledges_but_ignores_another_workspace(
    slack_fake: SlackFake, tmp_path: Path
) -> None:
    from adapters.slack.adapter import SlackAdapter
    from bot.app import Crossfade
    from bot.storage.sqlite import SqliteStore

    db = tmp_path / "crossfade.db"
    store = await SqliteStore.open(db)
    adapter = SlackAdapter(
        Crossfade(store, FakeClock(START)),
        bot_token=slack_fake.bot_token,
        app_token=slack_fake.app_token,
        api_url=slack_fake.api_url,
    )
    try:
        await adapter.start()
        foreign = slack_fake.mint_response_url()
        envelope = await slack_fake.push_envelope(
            "slash_commands",
            slash_command_body(
                command="/sprint",
                text="status",
                response_url=foreign,
                user_id="U0MALLORY",
                team_id="T0ELSEWHERE",
            ),
        )
        # Acknowledged, so Slack doesn't send it again; nothing else happens.
        assert await slack_fake.wait_for_ack(envelope) == {"envelope_id": envelope}
        ours = slack_fake.mint_response_url()
        await slack_fake.push_envelope(
            "slash_commands",
            slash_command_body(command="/sprint", text="status", response_url=ours),
        )
        await slack_fake.wait_for_response(ours)
        assert slack_fake.response_posts(foreign) == []
        assert communities(db) == [("slack", slack_fake.team_id)]
    finally:
        await adapter.stop()
        await store.close()
