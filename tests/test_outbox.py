"""The durable outbox: retries with backoff, closed DMs, edits after their post, pacing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery import DeliveryError, backoff
from tests.harness import Harness

SPRINT = (
    '/sprint start goal:"Podcast loudness" skill:metadata deliverable:other '
    'deliverable-note:"A loudness cheat sheet"'
)
FIRST = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.mark.asyncio
async def test_transient_failures_retry_with_backoff_and_platform_waits(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    harness.transport.failures = [
        DeliveryError("server error"),
        DeliveryError("rate limited", retry_after=90),
    ]
    await harness.advance_to(FIRST)
    assert harness.transport.dms("ana") == []
    item = await harness.store.get_outbox(2)
    assert item is not None
    assert item.not_before == FIRST + backoff(1) == FIRST + timedelta(seconds=30)
    await harness.advance_to(FIRST + timedelta(seconds=30))
    item = await harness.store.get_outbox(2)
    assert item is not None
    assert item.not_before == FIRST + timedelta(seconds=120)  # the platform's Retry-After
    await harness.advance_to(FIRST + timedelta(minutes=5))
    prompts = harness.transport.dms("ana")
    assert len(prompts) == 1
    assert prompts[0].at == FIRST + timedelta(seconds=120)


@pytest.mark.asyncio
async def test_permanent_failure_is_given_up_and_logged(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await harness.run("ana", SPRINT)
    harness.transport.failures = [DeliveryError("invalid payload", permanent=True)]
    with caplog.at_level(logging.ERROR, logger="bot.delivery"):
        await harness.advance_to(FIRST)
    assert "failed for good" in caplog.text
    counts = await harness.store.outbox_counts()
    assert counts["failed"] == 1


@pytest.mark.asyncio
async def test_closed_dms_get_one_note_and_nothing_is_lost(harness: Harness) -> None:
    await harness.setup_channels()
    await harness.run("ana", SPRINT)
    harness.transport.closed_dms.add("ana")
    await harness.advance_to(FIRST + timedelta(days=2))  # prompt and reminder both attempted
    notes = harness.transport.channel("check-ins")
    assert len(notes) == 1
    assert "Ana, I can't send you direct messages" in notes[0].text
    assert notes[0].message.body
    assert all(isinstance(p, str) for p in notes[0].message.body)  # no mention, no ping
    # She opens her DMs: the waiting prompt and reminder arrive on the next retry.
    harness.transport.closed_dms.clear()
    await harness.advance(timedelta(hours=6))
    titles = [s.message.title for s in harness.transport.dms("ana")]
    assert titles == ["Weekly check-in · week 1 of 12", "Reminder: week 1 check-in"]
    assert len(harness.transport.channel("check-ins")) == 1
    member = await harness.store.find_member(1, "ana")
    assert member is not None
    assert not member.dm_note_sent  # a later closure would get a fresh note


@pytest.mark.asyncio
async def test_channel_posts_wait_for_an_admin_to_pick_the_channel(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    assert harness.transport.channel("announcements") == []
    await harness.run(
        "boss", "/admin channel purpose:announcements", admin=True, channel="announcements"
    )
    assert "Ana started" in harness.transport.channel("announcements")[0].text


@pytest.mark.asyncio
async def test_admin_channel_needs_a_channel(harness: Harness) -> None:
    response = await harness.run(
        "boss", "/admin channel purpose:checkins", admin=True, channel=None
    )
    assert response.message is not None
    assert "Run /admin channel inside the channel" in "".join(map(str, response.message.body))


@pytest.mark.asyncio
async def test_posts_needing_an_admin_wait_without_using_up_retries(harness: Harness) -> None:
    await harness.setup_channels()
    harness.transport.failures = [
        DeliveryError("not_in_channel", needs_admin=True) for _ in range(50)
    ]
    await harness.run("ana", SPRINT)  # queues the announcement; the platform keeps refusing
    await harness.run("ana", "/checkin pause")  # no DMs: only the announcement is retried
    await harness.advance(timedelta(days=19))  # more tries than MAX_ATTEMPTS
    item = await harness.store.get_outbox(1)
    assert item is not None
    assert item.status.value == "pending"
    assert item.attempts == 0
    assert item.last_error == "not_in_channel"
    # The admin invites the bot and runs /admin channel again: the post goes at once.
    harness.transport.failures.clear()
    await harness.run(
        "boss", "/admin channel purpose:announcements", admin=True, channel="announcements"
    )
    assert "Ana started" in harness.transport.channel("announcements")[0].text


@pytest.mark.asyncio
async def test_a_restart_retries_what_was_waiting(harness: Harness) -> None:
    await harness.setup_channels()
    harness.transport.failures = [DeliveryError("token_revoked", needs_admin=True)]
    await harness.run("ana", SPRINT)
    assert harness.transport.channel("announcements") == []
    # The admin fixes the token and restarts the bot: the post goes at start, not a day later.
    await harness.engine.resume()
    await harness.engine.tick()
    assert "Ana started" in harness.transport.channel("announcements")[0].text
