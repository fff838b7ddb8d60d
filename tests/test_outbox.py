"""The durable outbox: retries with backoff, closed DMs, edits after their post, pacing."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery import DeliveryError, Receipt, Target, backoff
from bot.messages import Message, text
from bot.models import Destination, NewOutbox
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


async def prompt_id(harness: Harness, name: str = "ana") -> int:
    """The outbox id of the member's first check-in prompt (delivered by now)."""
    member = await harness.store.find_member(1, name)
    assert member is not None
    sprint = await harness.store.active_sprint(member.id)
    assert sprint is not None
    (week,) = await harness.store.weeks(sprint.id)
    assert week.prompt_outbox_id is not None
    return week.prompt_outbox_id


@pytest.mark.asyncio
async def test_fifty_concurrent_checkins_edit_the_prompt_once(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    await harness.advance_to(FIRST)
    assert len(harness.transport.dms("ana")) == 1
    actor = harness.actor("ana")

    replies = await asyncio.gather(
        *(
            harness.core.run_line(actor, f'/checkin progress:"Take {n}" confidence:3')
            for n in range(50)
        )
    )
    await harness.engine.tick()

    # Each command answers for itself; the prompt they all edit changes once.
    assert all(r.message is not None and "week 1 of 12" in r.message.title for r in replies)
    (edit,) = harness.transport.edits()
    assert edit.message.title == "Weekly check-in · week 1 of 12 · done \u2713"
    assert (await harness.store.outbox_counts()).get("pending", 0) == 1  # the announcement


@pytest.mark.asyncio
async def test_the_newest_edit_of_a_message_is_the_one_sent(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    await harness.advance_to(FIRST)
    original = await prompt_id(harness)
    member = await harness.store.find_member(1, "ana")
    assert member is not None

    def edit(version: int) -> NewOutbox:
        message = Message(title=f"Version {version}", body=text("the prompt, edited"))
        return NewOutbox(
            1, Destination.dm(member.id), json.dumps(message.to_dict()), None, original
        )

    first = await harness.store.enqueue([edit(1)], harness.clock.now())
    await harness.store.enqueue([edit(2), edit(3)], harness.clock.now())
    await harness.engine.tick()

    assert [e.message.title for e in harness.transport.edits()] == ["Version 3"]
    assert await harness.store.get_outbox(first[0]) is None  # superseded, never sent


@pytest.mark.asyncio
async def test_an_edit_in_flight_is_not_superseded_and_the_newer_one_follows(
    harness: Harness,
) -> None:
    await harness.run("ana", SPRINT)
    await harness.advance_to(FIRST)
    original = await prompt_id(harness)
    member = await harness.store.find_member(1, "ana")
    assert member is not None
    started, release = asyncio.Event(), asyncio.Event()
    plain_edit = harness.transport.edit

    async def slow_edit(target: Target, receipt: Receipt, message: Message) -> None:
        if message.title == "Version 1":
            started.set()
            await release.wait()  # the platform is slow to answer this one
        await plain_edit(target, receipt, message)

    harness.transport.edit = slow_edit  # type: ignore[method-assign]

    def edit(version: int) -> NewOutbox:
        message = Message(title=f"Version {version}", body=text("the prompt, edited"))
        return NewOutbox(
            1, Destination.dm(member.id), json.dumps(message.to_dict()), None, original
        )

    await harness.store.enqueue([edit(1)], harness.clock.now())
    pass_ = asyncio.create_task(harness.engine.tick())
    await started.wait()
    await harness.store.enqueue([edit(2)], harness.clock.now())  # while version 1 is sending
    release.set()
    await pass_
    await harness.engine.tick()

    assert [e.message.title for e in harness.transport.edits()] == ["Version 1", "Version 2"]


class Broken(Exception):
    """A transport bug: nothing the dispatcher knows how to classify."""


@pytest.mark.asyncio
async def test_an_unexpected_error_on_one_message_never_stops_the_others(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await harness.setup_channels()
    for name in ("ana", "ben", "cai"):
        await harness.run(name, SPRINT)
    plain_send = harness.transport.send

    async def send(target: Target, message: Message, *, key: str) -> Receipt:
        if target.user_id == "ben" and "Weekly" in message.title:
            raise Broken("'str' object has no attribute 'get'")
        return await plain_send(target, message, key=key)

    harness.transport.send = send  # type: ignore[method-assign]
    with caplog.at_level(logging.INFO, logger="bot.delivery"):
        await harness.advance_to(FIRST)

    assert len(harness.transport.dms("ana")) == len(harness.transport.dms("cai")) == 1
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "unexpected Broken" in errors[0].getMessage()
    assert errors[0].exc_info is None  # one line, no traceback
    ben = await harness.store.get_outbox(await prompt_id(harness, "ben"))
    assert ben is not None
    assert (ben.status.value, ben.attempts) == ("sending", 1)  # looked up before a retry
    assert ben.not_before == FIRST + backoff(1)

    harness.transport.send = plain_send  # type: ignore[method-assign]
    await harness.advance(timedelta(minutes=1))
    assert len(harness.transport.dms("ben")) == 1
