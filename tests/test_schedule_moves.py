"""Moving the check-in slot (an admin's schedule, a member's zone) keeps a new sprint's rules.

A sprint keeps its start date, its first check-in comes at least three days after it began,
and an open week is never shortened: it stays open until the first new slot after its close.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from bot.messages import plain
from tests.harness import Harness, reply_text
from tests.stores import Database

SPRINT = (
    '/sprint start goal:"Teach a short course on room calibration" skill:teaching '
    'deliverable:workshop deliverable-note:"A two-hour online workshop"'
)
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def prompt_times(h: Harness, who: str) -> list[datetime]:
    return [s.at for s in h.transport.dms(who) if s.message.title.startswith("Weekly")]


async def open_at(database: Database, moment: datetime) -> Harness:
    return await Harness.open(database, FakeClock(moment))


@pytest.mark.asyncio
async def test_a_new_schedule_keeps_a_march_sprint_in_march_across_the_clock_change(
    database: Database,
) -> None:
    async with await open_at(database, datetime(2026, 1, 12, 9, 0, tzinfo=UTC)) as h:
        await h.run("ana", "/profile timezone:Europe/London")
        started = reply_text(await h.run("ana", SPRINT + " start:2026-03-25 weeks:4"))
        assert "First check-in: 2026-03-30 09:00 UTC" in started  # Monday 10:00 BST
        await h.run("boss", "/admin schedule day:friday time:09:00", admin=True)
        # Starts Wed 25 Mar: the first Friday 09:00 at least three days on is 3 Apr, in BST.
        first = datetime(2026, 4, 3, 8, 0, tzinfo=UTC)
        status = reply_text(await h.run("ana", "/sprint status"))
        assert "Next check-in: 2026-04-03 08:00 UTC" in status
        await h.advance_to(first - timedelta(minutes=1))
        assert h.transport.dms("ana") == []
        await h.advance_to(first + timedelta(weeks=3, hours=1))
        moments = prompt_times(h, "ana")
        assert moments == [first + timedelta(weeks=n) for n in range(4)]
        local = first.astimezone(LONDON)
        assert (local.weekday(), local.hour) == (4, 9)


@pytest.mark.asyncio
async def test_a_new_schedule_keeps_the_first_checkin_three_days_after_the_start(
    database: Database,
) -> None:
    saturday = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    async with await open_at(database, saturday) as h:
        started = reply_text(await h.run("ana", SPRINT))
        assert "First check-in: 2026-12-14 10:00 UTC" in started
        # Sunday is tomorrow, a day into the sprint: too soon, so the Sunday after.
        await h.run("boss", "/admin schedule day:sunday", admin=True)
        await h.advance(timedelta(days=9))
        assert prompt_times(h, "ana") == [datetime(2026, 12, 13, 10, 0, tzinfo=UTC)]


@pytest.mark.asyncio
async def test_a_new_schedule_for_a_sprint_started_days_ago_comes_no_earlier_than_now(
    database: Database,
) -> None:
    wednesday = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    async with await open_at(database, wednesday) as h:
        await h.run("ana", SPRINT)  # first check-in Monday 7 Dec
        await h.advance_to(datetime(2026, 12, 6, 12, 0, tzinfo=UTC))
        # Saturday 5 Dec 13:00 would be the first slot three days on, but it has gone by.
        await h.run("boss", "/admin schedule day:saturday time:13:00", admin=True)
        await h.advance(timedelta(days=7))
        assert prompt_times(h, "ana") == [datetime(2026, 12, 12, 13, 0, tzinfo=UTC)]


@pytest.mark.asyncio
async def test_a_new_schedule_never_shortens_an_open_week_across_the_us_clock_change(
    database: Database,
) -> None:
    async with await open_at(database, datetime(2026, 2, 23, 12, 0, tzinfo=UTC)) as h:
        await h.run("ana", "/profile timezone:America/New_York")
        await h.run("ana", SPRINT + " weeks:3")
        week1 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday 10:00 EST
        await h.advance_to(datetime(2026, 3, 3, 12, 0, tzinfo=UTC))
        assert prompt_times(h, "ana") == [week1]
        saved = reply_text(await h.run("boss", "/admin schedule day:wednesday", admin=True))
        assert "1 active sprint moved" in saved
        # Week 1 would have closed Monday 9 Mar 10:00 EDT; it stays open until the first
        # Wednesday 10:00 after that, 11 Mar (EDT, so 14:00 UTC), when week 2 opens.
        week2 = datetime(2026, 3, 11, 14, 0, tzinfo=UTC)
        # Tuesday 10 Mar, past the old close: still week 1.
        await h.advance_to(datetime(2026, 3, 10, 16, 0, tzinfo=UTC))
        late = reply_text(await h.run("ana", "/checkin progress:Drafted the outline confidence:3"))
        assert "Checked in for week 1 of 3" in late
        # The prompt was edited to say how long the week is open, then marked done.
        moved, answered = h.transport.edits()
        assert moved.receipt == answered.receipt == h.transport.dms("ana")[0].receipt
        assert moved.message.fields[0].name == "Open until"
        assert plain(moved.message.fields[0].value) == "2026-03-11 14:00 UTC"
        await h.advance_to(datetime(2026, 3, 26, 0, 0, tzinfo=UTC))
        assert prompt_times(h, "ana") == [week1, week2, week2 + timedelta(weeks=1)]
        for moment in prompt_times(h, "ana")[1:]:
            local = moment.astimezone(NEW_YORK)
            assert (local.weekday(), local.hour) == (2, 10)
        weeks = await h.store.weeks(1)
        assert [w.effective_status(h.clock.now()).value for w in weeks] == [
            "done",
            "missed",
            "missed",
        ]


@pytest.mark.asyncio
async def test_a_reminder_change_moves_nothing(database: Database) -> None:
    async with await open_at(database, datetime(2026, 11, 30, 8, 0, tzinfo=UTC)) as h:
        await h.run("ana", SPRINT)
        await h.run("ben", SPRINT + " start:2026-12-20")
        await h.advance_to(datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
        before = [await h.store.get_sprint(n) for n in (1, 2)]
        weeks = await h.store.weeks(1)
        saved = reply_text(await h.run("boss", "/admin schedule reminder-hours:0", admin=True))
        assert "0 active sprints moved" in saved
        assert [await h.store.get_sprint(n) for n in (1, 2)] == before
        assert await h.store.weeks(1) == weeks
        assert h.transport.edits() == []


@pytest.mark.asyncio
async def test_a_week_skipped_ahead_moves_with_the_schedule(database: Database) -> None:
    async with await open_at(database, datetime(2026, 11, 30, 8, 0, tzinfo=UTC)) as h:
        await h.run("ana", SPRINT)
        await h.advance_to(datetime(2026, 12, 7, 11, 0, tzinfo=UTC))
        await h.run("ana", "/checkin progress:Booked the room confidence:4")
        await h.run("ana", "/checkin skip reason:holiday")  # next week, 14 Dec
        await h.run("boss", "/admin schedule day:wednesday", admin=True)
        weeks = await h.store.weeks(1)
        wednesday = datetime(2026, 12, 16, 10, 0, tzinfo=UTC)
        assert [(w.week, w.status.value, w.opens_at, w.closes_at) for w in weeks] == [
            (1, "done", datetime(2026, 12, 7, 10, 0, tzinfo=UTC), wednesday),
            (2, "skipped", wednesday, wednesday + timedelta(weeks=1)),
        ]
        await h.advance_to(datetime(2026, 12, 24, 0, 0, tzinfo=UTC))
        assert prompt_times(h, "ana") == [
            datetime(2026, 12, 7, 10, 0, tzinfo=UTC),
            wednesday + timedelta(weeks=1),
        ]


@pytest.mark.asyncio
async def test_a_new_zone_keeps_a_march_sprint_in_march(database: Database) -> None:
    async with await open_at(database, datetime(2026, 1, 12, 9, 0, tzinfo=UTC)) as h:
        await h.run("ana", SPRINT + " start:2026-03-25")
        moved = reply_text(await h.run("ana", "/profile timezone:Asia/Tokyo"))
        # Monday 30 Mar 10:00 in Tokyo, the first Monday at least three days after the start.
        first = datetime(2026, 3, 30, 1, 0, tzinfo=UTC)
        assert "Your next check-in prompt: 2026-03-30 01:00 UTC" in moved
        await h.advance_to(first + timedelta(hours=1))
        assert prompt_times(h, "ana") == [first]


@pytest.mark.asyncio
async def test_a_new_zone_never_shortens_an_open_week(database: Database) -> None:
    async with await open_at(database, datetime(2026, 11, 30, 8, 0, tzinfo=UTC)) as h:
        await h.run("ana", "/profile timezone:Europe/London")
        await h.run("ana", SPRINT)
        await h.advance_to(datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
        # Week 1 closes Monday 14 Dec 10:00 UTC; Tokyo's Monday 10:00 comes 9 hours before
        # that, so week 2 opens on the Tokyo Monday after it and week 1 stays open till then.
        moved = reply_text(await h.run("ana", "/profile timezone:Asia/Tokyo"))
        week2 = datetime(2026, 12, 21, 1, 0, tzinfo=UTC)
        assert "Your next check-in prompt: 2026-12-21 01:00 UTC" in moved
        await h.advance_to(datetime(2026, 12, 15, 12, 0, tzinfo=UTC))
        late = reply_text(await h.run("ana", "/checkin progress:Mapped the room confidence:4"))
        assert "Checked in for week 1 of 12" in late
        await h.advance_to(week2 + timedelta(hours=1))
        assert prompt_times(h, "ana") == [datetime(2026, 12, 7, 10, 0, tzinfo=UTC), week2]
