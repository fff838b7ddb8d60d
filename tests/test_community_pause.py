"""A paused community (the app uninstalled there) gets nothing, at once; its rows wait, and on
resume the stale ones are dropped and the recent ones go (bot/communities.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import communities
from bot.delivery import DeliveryError, Dispatcher, Receipt, Target
from bot.messages import Message, text
from bot.models import Destination, NewOutbox, OutboxStatus, WeekStatus
from bot.native_events import NativeEvent, event_outbox, is_event_payload
from bot.storage.sql.communities import EVENT_PREFIX, NOT_SENT
from tests.harness import COMMUNITY, PLATFORM, Harness, RecordingTransport

pytestmark = pytest.mark.asyncio


async def test_the_resume_rule_knows_native_events_by_their_prefix() -> None:
    row = clinic_event(datetime(2026, 12, 1, tzinfo=UTC))
    assert row.payload.startswith(EVENT_PREFIX)
    assert is_event_payload(row.payload)


SPRINT = (
    '/sprint start goal:"Podcast loudness" skill:metadata deliverable:other '
    'deliverable-note:"A loudness cheat sheet"'
)
# Ana's first check-in slot (the harness starts on Monday 30 Nov 2026, 08:00 UTC).
FIRST = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def post(body: str, **more: Any) -> NewOutbox:
    """A post for the announcements channel of the harness's community (id 1)."""
    payload = json.dumps(Message(title=body, body=text(body)).to_dict())
    return NewOutbox(1, Destination.channel("announcements"), payload, **more)


def clinic_event(now: datetime) -> NewOutbox:
    """A native event's row (kept on resume whatever its age; nothing to send here)."""
    event = NativeEvent(
        key="clinic:1",
        title="Room calibration",
        description="Bring a measurement",
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=1),
        location="Studio A",
        interest_action="clinic.rsvp:1",
    )
    return event_outbox(1, event)


async def pause(h: Harness) -> None:
    paused = await communities.pause(h.store, h.clock, PLATFORM, COMMUNITY, communities.UNINSTALLED)
    assert paused is not None
    assert paused.paused_at == h.clock.now()


async def test_nothing_goes_to_a_paused_community_and_nothing_is_lost(harness: Harness) -> None:
    h = harness
    await h.setup_channels()
    await h.run("ana", SPRINT)
    sent_before = len(h.transport.sent)
    assert sent_before == 1  # the sprint's announcement
    await pause(h)
    (old,) = await h.store.enqueue([post("Queued before the pause")], h.clock.now())
    await h.advance_to(FIRST + timedelta(days=2))  # past the prompt and its reminder
    assert len(h.transport.sent) == sent_before
    held = await h.store.get_outbox(old)
    assert held is not None
    assert (held.status, held.attempts, held.last_error) == (OutboxStatus.PENDING, 0, None)
    # The week slot came while nobody could answer: paused, not missed; no prompt queued.
    member = await h.store.find_member(1, "ana")
    assert member is not None
    sprint = await h.store.active_sprint(member.id)
    assert sprint is not None
    (week,) = await h.store.weeks(sprint.id)
    assert (week.status, week.skip_reason) == (WeekStatus.SKIPPED, "paused")
    assert week.prompt_outbox_id is None
    # Held rows don't count as a backlog (its alert would fire for as long as the pause).
    assert await h.store.outbox_backlog() == (0, None)
    assert await h.store.outbox_held() == (1, 1)
    h.metrics.watch(h.store, h.clock)
    await h.metrics.scrape()
    assert h.metrics.registry.get_sample_value("crossfade_outbox_pending") == 0
    assert h.metrics.registry.get_sample_value("crossfade_outbox_oldest_pending_seconds") == 0
    assert h.metrics.registry.get_sample_value("crossfade_outbox_held") == 1
    assert h.metrics.registry.get_sample_value("crossfade_communities_paused") == 1


async def test_resume_drops_the_stale_and_sends_the_recent(harness: Harness) -> None:
    h = harness
    await h.setup_channels()
    await h.run("ana", SPRINT)
    await pause(h)
    (stale,) = await h.store.enqueue([post("Two days old")], h.clock.now())
    (announced,) = await h.store.enqueue([post("Delivered", edit_of=1)], h.clock.now())
    (event,) = await h.store.enqueue([clinic_event(h.clock.now())], h.clock.now())
    (recent,) = await h.store.enqueue(
        [post("Half an hour old")], h.clock.now() + timedelta(hours=47, minutes=30)
    )
    tomorrow = h.clock.now() + timedelta(days=3)
    await h.store.enqueue([post("Tomorrow's", not_before=tomorrow)], h.clock.now())
    await h.advance(timedelta(days=2))
    dropped = await communities.resume(h.store, h.clock, PLATFORM, COMMUNITY)
    assert dropped == 1
    assert await communities.resume(h.store, h.clock, PLATFORM, COMMUNITY) is None  # once
    gone = await h.store.get_outbox(stale)
    assert gone is not None
    assert (gone.status, gone.last_error) == (OutboxStatus.FAILED, NOT_SENT)
    await h.engine.tick()
    assert [s.message.title for s in h.transport.channel("announcements")][1:] == [
        "Half an hour old"
    ]
    # The two-day-old edit and native event still apply: they notify nobody.
    assert [s.message.title for s in h.transport.edits()] == ["Delivered"]
    for outbox_id in (recent, announced, event):
        row = await h.store.get_outbox(outbox_id)
        assert row is not None
        assert row.status is OutboxStatus.DELIVERED, outbox_id
    await h.advance_to(tomorrow)
    assert h.transport.channel("announcements")[-1].message.title == "Tomorrow's"
    # The weekly rhythm goes on: the first check-in's prompt reaches Ana on time.
    await h.advance_to(FIRST)
    assert [s.message.title for s in h.transport.dms("ana")] == ["Weekly check-in · week 1 of 12"]


class PausingTransport(RecordingTransport):
    """Sends; the first send lands the pause (as an uninstall arriving meanwhile) and,
    told to, is then refused by the platform as a dead token is."""

    refuse: bool = False

    async def send(self, target: Target, message: Message, *, key: str) -> Receipt:
        if not self.sent and not getattr(self, "_paused", False):
            self._paused = True
            await communities.pause(
                self.store, self.clock, PLATFORM, COMMUNITY, communities.TOKENS_REVOKED
            )
            if self.refuse:
                raise DeliveryError("account_inactive")
        return await super().send(target, message, key=key)


@pytest.mark.parametrize("refused", [False, True], ids=["sent", "refused"])
async def test_a_row_claimed_before_the_pause_does_not_go_after_it(
    harness: Harness, refused: bool
) -> None:
    h = harness
    await h.setup_channels()
    transport = PausingTransport(h.clock)
    transport.store = h.store  # type: ignore[attr-defined]
    transport.refuse = refused
    dispatcher = Dispatcher(h.store, h.clock, {PLATFORM: transport}, concurrency=1)
    ids = await h.store.enqueue([post("First"), post("Second"), post("Third")], h.clock.now())
    report = await dispatcher.deliver_due()
    # The batch was leased before the pause: the one on its way went (or was refused),
    # the others were refused at their claim and stay held.
    assert [s.message.title for s in transport.sent] == ([] if refused else ["First"])
    assert report.sent == (0 if refused else 1)
    assert report.held == (1 if refused else 0)
    for outbox_id in ids[1:]:
        row = await h.store.get_outbox(outbox_id)
        assert row is not None
        assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)
    first = await h.store.get_outbox(ids[0])
    assert first is not None
    # A refusal while paused is the pause's: the try isn't counted, the row waits.
    assert first.attempts == (0 if refused else 1)
    assert first.status is (OutboxStatus.PENDING if refused else OutboxStatus.DELIVERED)
    assert await dispatcher.deliver_due() == type(report)()  # held: nothing more to do
    assert await h.store.next_send_at([PLATFORM], h.clock.now()) is None
    await communities.resume(h.store, h.clock, PLATFORM, COMMUNITY)
    await dispatcher.deliver_due()
    titles = [s.message.title for s in transport.sent]
    assert titles == ["First", "Second", "Third"]  # each once
