"""Native events in the core: their outbox rows, and platforms that have no native events.

Slack and the console have no native events: a feature queues the same rows everywhere, and
there they are marked delivered with nothing sent and no error (Discord: see
test_discord_native_events.py).
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.console.transport import ConsoleTransport
from bot.clock import FakeClock
from bot.delivery import Dispatcher
from bot.engine import Engine
from bot.messages import Message, text
from bot.models import Actor, DestinationKind
from bot.native_events import NativeEvent, event_of, event_outbox, is_event_payload
from bot.storage.sqlite import SqliteStore
from tests import slack_stack as stack_module
from tests.slack_stack import SlackStack

slack_stack = stack_module.slack_stack

START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
EVENT = NativeEvent(
    key="test:session:1",
    title="Calibration clinic",
    description="Bring a room measurement.",
    starts_at=START + timedelta(days=3),
    ends_at=START + timedelta(days=3, minutes=90),
    voice_channel="C0VOICE",
    interest_action="test.rsvp:1",
)


def test_an_event_row_carries_the_whole_event_and_no_message() -> None:
    row = event_outbox(7, EVENT, dedupe_key="session:1:mirror")

    assert (row.community_id, row.dedupe_key) == (7, "session:1:mirror")
    assert row.destination.kind is DestinationKind.CHANNEL
    assert row.destination.purpose is None  # the community itself, no channel
    assert is_event_payload(row.payload)
    assert event_of(row.payload) == EVENT
    assert event_of(event_outbox(7, EVENT.cancelled()).payload).status.value == "cancelled"
    message = Message(title='{"native_event": 1}', body=text("not an event"))
    assert not is_event_payload(json.dumps(message.to_dict()))


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"key": " "}, "key"),
        ({"ends_at": EVENT.starts_at}, "end after"),
        ({"starts_at": EVENT.starts_at.replace(tzinfo=None)}, "timezone-aware"),
        ({"location": "Studio B"}, "either a location or a voice channel"),
        ({"voice_channel": None}, "either a location or a voice channel"),
        ({"interest_action": ""}, "interest action"),
    ],
)
def test_a_feature_cannot_describe_an_event_no_platform_could_show(
    changes: dict[str, object], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        replace(EVENT, **changes)


@pytest.mark.asyncio
async def test_slack_marks_native_events_delivered_and_sends_nothing(
    slack_stack: SlackStack, caplog: pytest.LogCaptureFixture
) -> None:
    stack = slack_stack
    member = await stack.member("U0ALICE", "Alice")
    before = len(stack.fake.calls())
    ids = await stack.store.enqueue(
        [event_outbox(member.community_id, e) for e in (EVENT, EVENT.cancelled())],
        stack.clock.now(),
    )

    with caplog.at_level(logging.WARNING):
        await stack.engine.run_until(stack.clock, stack.clock.now() + timedelta(hours=1))

    assert len(stack.fake.calls()) == before
    rows = [await stack.store.get_outbox(i) for i in ids]
    assert [(r.status.value, r.attempts) for r in rows if r] == [("delivered", 0)] * 2
    assert await stack.store.native_event(member.community_id, EVENT.key) is None
    assert caplog.records == []


@pytest.mark.asyncio
async def test_the_console_marks_native_events_delivered_and_prints_nothing(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    store = await SqliteStore.open(tmp_path / "console.db")
    try:
        printed: list[str] = []
        transport = ConsoleTransport(clock, printed.append, lambda m: [], lambda: "UTC")
        engine = Engine(store, clock, Dispatcher(store, clock, {"console": transport}))
        community, _ = await store.ensure_member(Actor("console", "local", "ana", "Ana"), START)
        (row_id,) = await store.enqueue([event_outbox(community.id, EVENT)], START)

        report = await engine.tick()

        assert printed == []
        assert (report.delivery.sent, report.delivery.skipped) == (0, 1)
        row = await store.get_outbox(row_id)
        assert row is not None
        assert row.status.value == "delivered"
        assert await engine.next_due_at() is None
    finally:
        await store.close()
