"""Commands that move a schedule racing the weekly prompt: nothing is written from a stale read.

Each test injects the interleaving explicitly: a real SQLite store runs the other side's step
(a tick of the engine, an admin's command) right after one chosen read, exactly where the
asyncio scheduler may switch tasks in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from bot.clock import FakeClock
from bot.features.checkins.store import PromptGroup
from bot.models import CheckinWeek, Sprint
from bot.storage.postgres import PostgresStore
from bot.storage.sql.sprints import SprintSql
from bot.storage.sqlite import SqliteStore
from tests.conftest import START
from tests.harness import Harness, reply_text
from tests.stores import Database, is_postgres

SPRINT = (
    '/sprint start goal:"Binaural podcast pilot" skill:"spatial mixing" '
    'deliverable:workshop deliverable-note:"A 45-minute workshop on binaural monitoring"'
)
FIRST = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # the first Monday 10:00 three days on


class Interleaving:
    """A real SQLite store that runs a step of another task once, right after a chosen read."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.steps: dict[str, Callable[[], Awaitable[Any]]] = {}

    def after(self, read: str, step: Callable[[], Awaitable[Any]]) -> None:
        """Run ``step`` once, right after the next ``read`` returns."""
        self.steps[read] = step

    async def _step(self, read: str) -> None:
        step = self.steps.pop(read, None)
        if step is not None:
            await step()

    async def active_sprint(self, member_id: int) -> Sprint | None:
        sprint = await super().active_sprint(member_id)
        await self._step("active_sprint")
        return sprint

    async def active_sprints_in(self, community_id: int) -> list[tuple[Sprint, Any]]:
        sprints = await super().active_sprints_in(community_id)
        await self._step("active_sprints_in")
        return sprints

    async def streak_weeks(self, sprint_ids: Sequence[int]) -> dict[int, list[CheckinWeek]]:
        weeks = await super().streak_weeks(sprint_ids)
        await self._step("streak_weeks")
        return weeks

    async def due_prompts(self, now: datetime, limit: int = 1000) -> list[PromptGroup]:
        due = await super().due_prompts(now, limit)
        await self._step("due_prompts")
        return due


class InterleavingStore(Interleaving, SqliteStore):
    """On SQLite."""


class PgInterleavingStore(Interleaving, PostgresStore):
    """On PostgreSQL."""


@pytest_asyncio.fixture
async def race(database: Database) -> AsyncIterator[tuple[Harness, Interleaving]]:
    kind = PgInterleavingStore if is_postgres(database) else InterleavingStore
    store = await kind.open(database)
    h = Harness(store, FakeClock(START), database=database)
    try:
        yield h, store
    finally:
        await h.close()


def prompts(h: Harness, who: str) -> list[tuple[str, datetime]]:
    return [
        (s.message.title, s.at)
        for s in h.transport.dms(who)
        if s.message.title.startswith("Weekly")
    ]


@pytest.mark.asyncio
async def test_an_edit_racing_the_weekly_prompt_keeps_the_next_week_a_week_away(
    race: tuple[Harness, Interleaving],
) -> None:
    h, store = race
    await h.run("ana", SPRINT)
    # The prompt's moment comes; the tick opens week 1 right after the edit read the sprint.
    h.clock.set(FIRST)
    store.after("active_sprint", h.engine.tick)
    edited = reply_text(await h.run("ana", '/sprint edit goal:"Binaural podcast, two episodes"'))
    assert "Sprint updated: Binaural podcast, two episodes" in edited
    await h.advance_to(FIRST + timedelta(weeks=1, hours=1))
    assert prompts(h, "ana") == [
        ("Weekly check-in · week 1 of 12", FIRST),
        ("Weekly check-in · week 2 of 12", FIRST + timedelta(weeks=1)),
    ]
    sprint = await store.get_sprint(1)
    assert sprint is not None
    assert sprint.goal == "Binaural podcast, two episodes"
    assert (sprint.next_week, sprint.next_prompt_at) == (3, FIRST + timedelta(weeks=2))


@pytest.mark.asyncio
async def test_lengthening_racing_the_last_prompt_keeps_the_new_weeks(
    race: tuple[Harness, Interleaving],
) -> None:
    h, store = race
    await h.run("ana", SPRINT + " weeks:1")
    h.clock.set(FIRST)
    # The tick decides the last week (no next one), then the edit lengthens the sprint, then
    # the tick writes what it decided from a one-week sprint.
    store.after("due_prompts", lambda: h.core.run_line(h.actor("ana"), "/sprint edit weeks:3"))
    await h.engine.tick()
    await h.advance_to(FIRST + timedelta(weeks=2, hours=1))
    assert [title for title, _ in prompts(h, "ana")] == [
        "Weekly check-in · week 1 of 3",
        "Weekly check-in · week 2 of 3",
        "Weekly check-in · week 3 of 3",
    ]
    assert [at for _, at in prompts(h, "ana")] == [FIRST + timedelta(weeks=n) for n in range(3)]


@pytest.mark.asyncio
async def test_a_zone_change_racing_the_weekly_prompt_opens_no_second_week_that_day(
    race: tuple[Harness, Interleaving],
) -> None:
    h, store = race
    await h.run("ana", "/profile timezone:Europe/London")
    await h.run("ana", SPRINT)
    h.clock.set(FIRST)
    store.after("active_sprint", h.engine.tick)
    moved = reply_text(await h.run("ana", "/profile timezone:America/New_York"))
    # Week 1 opened at 10:00 London; week 2 is the first New York Monday 10:00 after its close.
    week2 = datetime(2026, 12, 14, 15, 0, tzinfo=UTC)
    assert "Your next check-in prompt: 2026-12-14 15:00 UTC" in moved
    await h.advance_to(week2 + timedelta(hours=1))
    assert prompts(h, "ana") == [
        ("Weekly check-in · week 1 of 12", FIRST),
        ("Weekly check-in · week 2 of 12", week2),
    ]


@pytest.mark.asyncio
async def test_a_schedule_change_racing_the_weekly_prompt_moves_every_week(
    race: tuple[Harness, Interleaving],
) -> None:
    h, store = race
    await h.run("ana", SPRINT)
    h.clock.set(FIRST)
    # The tick has read Monday's due prompt when the admin moves check-ins to Wednesday.
    admin = h.actor("boss", admin=True)
    store.after("due_prompts", lambda: h.core.run_line(admin, "/admin schedule day:wednesday"))
    await h.engine.tick()
    await h.advance(timedelta(weeks=3))
    moments = [at for _, at in prompts(h, "ana")]
    assert moments == [
        datetime(2026, 12, 9, 10, 0, tzinfo=UTC) + timedelta(weeks=n) for n in range(3)
    ]
    weeks = await store.weeks(1)
    assert all(w.closes_at - w.opens_at == timedelta(weeks=1) for w in weeks)


@pytest.mark.asyncio
async def test_a_schedule_change_racing_the_weekly_prompt_keeps_the_open_week(
    race: tuple[Harness, Interleaving],
) -> None:
    h, store = race
    await h.run("ana", SPRINT)
    h.clock.set(FIRST + timedelta(minutes=5))
    # The admin read the sprint before its week opened; the tick opens it before the write.
    store.after("active_sprints_in", h.engine.tick)
    saved = reply_text(await h.run("boss", "/admin schedule day:wednesday", admin=True))
    assert "1 active sprint moved" in saved
    weeks = await store.weeks(1)
    # Week 1 keeps its whole week and more: it stays open until the first Wednesday after.
    assert [(w.week, w.opens_at, w.closes_at) for w in weeks] == [
        (1, FIRST, datetime(2026, 12, 16, 10, 0, tzinfo=UTC))
    ]
    sprint = await store.get_sprint(1)
    assert sprint is not None
    assert sprint.next_prompt_at == datetime(2026, 12, 16, 10, 0, tzinfo=UTC)


@pytest.mark.asyncio
async def test_an_edit_that_keeps_losing_the_race_says_so_and_writes_nothing(
    race: tuple[Harness, Interleaving],
) -> None:
    h, store = race
    await h.run("ana", SPRINT)

    async def another_edit() -> None:
        # Someone else's change lands between every read and write of this edit.
        store.after("active_sprint", another_edit)
        current = await SprintSql.active_sprint(store, 1)
        assert current is not None
        await store.update_sprint(replace(current, weeks=current.weeks + 1), read=current)

    store.after("active_sprint", another_edit)
    refused = reply_text(await h.run("ana", '/sprint edit goal:"Something else"'))
    store.steps.clear()
    assert (
        "Your sprint changed while I was saving (a check-in week may have just opened). "
        "Nothing was changed; please try again." in refused
    )
    sprint = await store.get_sprint(1)
    assert sprint is not None
    assert sprint.goal == "Binaural podcast pilot"


@pytest.mark.asyncio
async def test_a_checkin_racing_a_schedule_change_keeps_the_prompt_marked_done(
    race: tuple[Harness, Interleaving],
) -> None:
    h, store = race
    await h.run("ana", SPRINT)
    await h.advance_to(FIRST + timedelta(hours=1))
    # The admin has read week 1 as unanswered when Ana checks in.
    checkin = "/checkin progress:Recorded the pilot confidence:4"
    store.after("streak_weeks", lambda: h.core.run_line(h.actor("ana"), checkin))
    await h.run("boss", "/admin schedule day:wednesday", admin=True)
    weeks = await store.weeks(1)
    assert [(w.status.value, w.closes_at) for w in weeks] == [
        ("done", datetime(2026, 12, 16, 10, 0, tzinfo=UTC))
    ]
    # No edit turns the answered prompt back into an unanswered one; the latest shows the close.
    edits = h.transport.edits()
    assert edits
    assert all(e.message.title == "Weekly check-in · week 1 of 12 · done ✓" for e in edits)
    assert "until 2026-12-16 10:00 UTC" in edits[-1].text
