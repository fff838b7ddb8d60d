"""The weekly prompts and reminders decided in batches: a command landing between a batch's
read and its write loses or wins cleanly, and the rest of the batch goes ahead.

Like tests/test_schedule_races.py, each test injects the interleaving explicitly: a real
SQLite store runs a member's command right after the job's bulk read.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from bot.clock import FakeClock
from bot.features.checkins.jobs import decide_prompts
from bot.features.checkins.store import PromptGroup, ReminderGroup, SlotDecision
from bot.messages import Message, text
from bot.models import Destination, NewOutbox, WeekStatus
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore
from tests.conftest import START
from tests.harness import Harness
from tests.stores import Database, is_postgres

SPRINT = (
    '/sprint start goal:"Binaural podcast pilot" skill:"spatial mixing" '
    'deliverable:workshop deliverable-note:"A 45-minute workshop on binaural monitoring"'
)
FIRST = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # the first Monday 10:00 three days on
CHECKIN = '/checkin progress:"Bounced the stems" confidence:4'


class Batch:
    """A real SQLite store that runs a step once, right after a job's bulk read."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.steps: dict[str, Callable[[], Awaitable[Any]]] = {}
        # Hand every batch of week openings to the write twice over.
        self.doubled = False

    async def _step(self, read: str) -> None:
        step = self.steps.pop(read, None)
        if step is not None:
            await step()

    async def due_prompts(self, now: datetime, limit: int = 1000) -> list[PromptGroup]:
        due = await super().due_prompts(now, limit)
        await self._step("due_prompts")
        return due

    async def open_weeks(self, openings: Sequence[SlotDecision], now: datetime) -> int:
        return await super().open_weeks([*openings, *openings] if self.doubled else openings, now)

    async def due_reminders(self, now: datetime, limit: int = 1000) -> list[ReminderGroup]:
        due = await super().due_reminders(now, limit)
        await self._step("due_reminders")
        return due


class BatchStore(Batch, SqliteStore):
    """On SQLite."""


class PgBatchStore(Batch, PostgresStore):
    """On PostgreSQL."""


@pytest_asyncio.fixture
async def batch(database: Database) -> AsyncIterator[tuple[Harness, Batch]]:
    kind = PgBatchStore if is_postgres(database) else BatchStore
    store = await kind.open(database)
    h = Harness(store, FakeClock(START), database=database)
    try:
        for who in ("ana", "ben", "cy"):
            await h.run(who, SPRINT)
        yield h, store
    finally:
        await h.close()


def titles(h: Harness, who: str, start: str = "Weekly") -> list[str]:
    return [s.message.title for s in h.transport.dms(who) if s.message.title.startswith(start)]


@pytest.mark.asyncio
async def test_an_edit_between_the_read_and_the_write_is_decided_again_with_one_prompt(
    batch: tuple[Harness, Batch],
) -> None:
    h, store = batch
    h.clock.set(FIRST)
    # Ana shortens her sprint after the tick read every due sprint, before it writes them.
    store.steps["due_prompts"] = lambda: h.core.run_line(h.actor("ana"), "/sprint edit weeks:3")
    await h.engine.tick()
    await h.advance(timedelta(hours=1))
    # Her slot was left out of the batch and decided again from the edited sprint; the
    # others went ahead in the same batch.
    assert titles(h, "ana") == ["Weekly check-in · week 1 of 3"]
    assert titles(h, "ben") == titles(h, "cy") == ["Weekly check-in · week 1 of 12"]
    for sprint_id in (1, 2, 3):
        sprint = await store.get_sprint(sprint_id)
        assert sprint is not None
        assert (sprint.next_week, sprint.next_prompt_at) == (2, FIRST + timedelta(weeks=1))
        assert [w.week for w in await store.weeks(sprint_id)] == [1]


@pytest.mark.asyncio
async def test_skipping_ahead_between_the_read_and_the_write_gets_no_prompt(
    batch: tuple[Harness, Batch],
) -> None:
    h, store = batch
    h.clock.set(FIRST)
    # The batch decided to prompt Ben's week 1; he skips it ahead before the write.
    store.steps["due_prompts"] = lambda: h.core.run_line(
        h.actor("ben"), "/checkin skip reason:holiday"
    )
    await h.engine.tick()
    await h.advance(timedelta(hours=1))
    assert titles(h, "ben") == []
    assert titles(h, "ana") == titles(h, "cy") == ["Weekly check-in · week 1 of 12"]
    weeks = await store.weeks(2)
    assert [(w.week, w.status, w.skip_reason) for w in weeks] == [
        (1, WeekStatus.SKIPPED, "holiday")
    ]
    sprint = await store.get_sprint(2)
    assert sprint is not None
    assert (sprint.next_week, sprint.next_prompt_at) == (2, FIRST + timedelta(weeks=1))


@pytest.mark.asyncio
async def test_a_prompt_already_queued_under_its_key_is_linked_not_queued_again(
    batch: tuple[Harness, Batch],
) -> None:
    h, store = batch
    # Cy's week 1 prompt is already in the outbox (say, restored from a backup).
    earlier = NewOutbox(
        community_id=1,
        destination=Destination.dm(3),
        payload=json.dumps(
            Message(title="Weekly check-in · week 1 (earlier)", body=text("")).to_dict()
        ),
        dedupe_key="prompt:3:1",
        feature="checkins",
    )
    [earlier_id] = await store.enqueue([earlier], START)
    h.clock.set(FIRST)
    assert await decide_prompts(store, FIRST) == 3
    await h.advance(timedelta(hours=1))
    assert titles(h, "cy") == ["Weekly check-in · week 1 (earlier)"]
    assert titles(h, "ana") == titles(h, "ben") == ["Weekly check-in · week 1 of 12"]
    [cy_week] = await store.weeks(3)
    assert cy_week.prompt_outbox_id == earlier_id
    [ana_week] = await store.weeks(1)
    linked = await store.get_outbox(ana_week.prompt_outbox_id or 0)
    assert linked is not None
    assert linked.dedupe_key == "prompt:1:1"


@pytest.mark.asyncio
async def test_a_batch_naming_each_sprint_twice_moves_each_once(
    batch: tuple[Harness, Batch],
) -> None:
    h, store = batch
    store.doubled = True
    h.clock.set(FIRST)
    assert await decide_prompts(store, FIRST) == 3
    await h.advance(timedelta(hours=1))
    for who in ("ana", "ben", "cy"):
        assert titles(h, who) == ["Weekly check-in · week 1 of 12"]
    assert [len(await store.weeks(i)) for i in (1, 2, 3)] == [1, 1, 1]


@pytest.mark.asyncio
async def test_a_checkin_between_the_read_and_the_write_gets_no_reminder(
    batch: tuple[Harness, Batch],
) -> None:
    h, store = batch
    await h.advance_to(FIRST + timedelta(hours=1))
    h.clock.set(FIRST + timedelta(hours=24))
    # The reminders' batch read Ana's week as unanswered; she answers before the write.
    store.steps["due_reminders"] = lambda: h.core.run_line(h.actor("ana"), CHECKIN)
    await h.engine.tick()
    await h.advance(timedelta(days=2))
    assert titles(h, "ana", "Reminder") == []
    assert (
        titles(h, "ben", "Reminder") == titles(h, "cy", "Reminder") == ["Reminder: week 1 check-in"]
    )
    [week] = await store.weeks(1)
    assert (week.status, week.reminded_at) == (WeekStatus.DONE, None)


@pytest.mark.asyncio
async def test_pausing_between_the_read_and_the_write_gets_no_reminder(
    batch: tuple[Harness, Batch],
) -> None:
    h, store = batch
    await h.advance_to(FIRST + timedelta(hours=1))
    h.clock.set(FIRST + timedelta(hours=24))
    store.steps["due_reminders"] = lambda: h.core.run_line(h.actor("cy"), "/checkin pause")
    await h.engine.tick()
    await h.advance(timedelta(days=2))
    # Decided again as a paused member's week: recorded, without a message.
    assert titles(h, "cy", "Reminder") == []
    assert titles(h, "ana", "Reminder") == ["Reminder: week 1 check-in"]
    [week] = await store.weeks(3)
    assert week.reminded_at == FIRST + timedelta(hours=24)
