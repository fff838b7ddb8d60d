"""Clinic reminders (settings, opting out, restarts), attendance, notes and the journey."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.messages import plain
from tests.clinic_helpers import (
    CREATE,
    FIRST,
    advance_to,
    announcements,
    host_clinic,
    latest_edit,
    rows,
    run_jobs,
)
from tests.harness import Harness, reply_text
from tests.stores import Database, snapshot

DB = "crossfade.db"


async def with_answers(h: Harness, line: str = CREATE + " capacity:2") -> None:
    """A clinic announced; kim going, lee presenting, max waitlisted, ned can't come."""
    await host_clinic(h, line)
    await run_jobs(h)
    await h.run("kim", "/clinic rsvp clinic:1 answer:going")
    await h.run("lee", "/clinic rsvp clinic:1 answer:presenting bring:'A 5.1 stem'")
    await h.run("max", "/clinic rsvp clinic:1 answer:going")
    await h.run("ned", "/clinic rsvp clinic:1 answer:cant")


def titles(h: Harness, user: str) -> list[str]:
    return [s.message.title for s in h.transport.dms(user)]


@pytest.mark.asyncio
async def test_those_going_are_reminded_a_day_and_an_hour_before(harness: Harness) -> None:
    await with_answers(harness)
    await advance_to(harness, FIRST - timedelta(hours=24, seconds=1))
    assert titles(harness, "kim") == []
    await advance_to(harness, FIRST - timedelta(hours=23))
    (first,) = harness.transport.dms("kim")
    assert first.at == FIRST - timedelta(hours=24)
    assert first.message.title == "Reminder: Room calibration"
    assert [b.label for b in first.message.buttons] == ["Can't make it"]
    assert "You're presenting: A 5.1 stem" in plain(harness.transport.dms("lee")[0].message.body)
    await advance_to(harness, FIRST)
    assert [s.at for s in harness.transport.dms("kim")] == [
        FIRST - timedelta(hours=24),
        FIRST - timedelta(hours=1),
    ]
    # The waitlisted and those who can't come get none; the host gets the roster each time.
    assert titles(harness, "max") == []
    assert titles(harness, "ned") == []
    roster = harness.transport.dms("ana")
    assert [s.message.title for s in roster] == ["Your clinic: Room calibration"] * 2
    shown = {f.name: plain(f.value) for f in roster[-1].message.fields}
    assert shown == {"Presenting": "Lee: A 5.1 stem", "Going": "Kim", "Waitlist": "Max"}


@pytest.mark.asyncio
async def test_reminder_times_are_the_communitys_and_a_member_may_opt_out(
    harness: Harness, database: Database
) -> None:
    await with_answers(harness)
    saved = await harness.run("boss", "/admin clinics reminders:2h", admin=True)
    assert "2h before each session" in reply_text(saved)
    off = await harness.run("lee", "/profile clinic-reminders:off")
    assert "Clinic reminders: off" in reply_text(off)
    before = await snapshot(database)
    bad = await harness.run("boss", "/admin clinics reminders:yesterday", admin=True)
    assert "I can't read 'yesterday' as a time before the session" in reply_text(bad)
    assert await snapshot(database) == before
    await advance_to(harness, FIRST)
    assert [s.at for s in harness.transport.dms("kim")] == [FIRST - timedelta(hours=2)]
    assert titles(harness, "lee") == []
    none = await harness.run("boss", "/admin clinics reminders:off", admin=True)
    assert "Reminders to those going: off" in reply_text(none)


@pytest.mark.asyncio
async def test_a_restart_during_reminders_loses_none_and_sends_none_twice(
    database: Database,
) -> None:
    clock = FakeClock(FIRST - timedelta(days=6))
    path = database
    async with await Harness.open(path, clock) as first_run:
        await with_answers(first_run)
        clock.set(FIRST - timedelta(hours=24))
        # The reminders are decided and queued; the bot stops before sending them.
        from bot.features.clinics import jobs

        assert await jobs.remind(first_run.store, clock.now()) == 1
    queued = await rows(path, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
    assert queued == [(3,)]  # kim, lee and the host's roster
    async with await Harness.open(path, clock) as second_run:
        assert await run_jobs(second_run) == 0  # decided already: nothing new
        await advance_to(second_run, FIRST)
        kim = second_run.transport.dms("kim")
        assert [s.at for s in kim] == [FIRST - timedelta(hours=24), FIRST - timedelta(hours=1)]
        assert len(second_run.transport.dms("lee")) == 2
    # Down across a reminder time: it goes once when the bot is back.
    assert await rows(path, "SELECT COUNT(*) FROM clinic_reminders") == [(2,)]


@pytest.mark.asyncio
async def test_down_across_both_reminders_sends_one(database: Database) -> None:
    clock = FakeClock(FIRST - timedelta(days=6))
    async with await Harness.open(database, clock) as h:
        await with_answers(h)
        clock.set(FIRST - timedelta(minutes=30))
        await run_jobs(h)
        assert [s.message.title for s in h.transport.dms("kim")] == ["Reminder: Room calibration"]
        await advance_to(h, FIRST)
        assert len(h.transport.dms("kim")) == 1


@pytest.mark.asyncio
async def test_after_a_session_those_going_attended_and_the_host_keeps_notes(
    harness: Harness, database: Database
) -> None:
    await with_answers(harness)
    early = await harness.run("ana", "/clinic notes clinic:1 date:2026-12-04 notes:'Soon'")
    assert "is in the future; pick today or earlier" in reply_text(early)
    await advance_to(harness, FIRST - timedelta(hours=1))
    today = await harness.run("ana", "/clinic notes clinic:1 date:2026-12-04 notes:'Soon'")
    assert "That session hasn't started yet" in reply_text(today)
    await advance_to(harness, FIRST + timedelta(minutes=90))
    held = latest_edit(harness)
    assert held.receipt == announcements(harness)[0].receipt
    assert held.message.title == "Held: Room calibration"
    assert held.message.buttons == ()
    assert await rows(
        database,
        "SELECT m.ext_id, r.attended FROM clinic_rsvps r JOIN members m ON m.id = r.member_id"
        " ORDER BY m.ext_id",
    ) == [("kim", 1), ("lee", 1), ("max", None), ("ned", None)]
    await harness.run("kim", "/profile")
    before = await snapshot(database)
    intruder = await harness.run("kim", "/clinic notes clinic:1 notes:'I ran it'")
    assert reply_text(intruder).startswith("Only Ana, the clinic's host, can record its notes.")
    assert await snapshot(database) == before
    saved = await harness.run(
        "ana",
        "/clinic notes clinic:1 notes:'Calibrated two rooms' "
        "recording:https://example.org/rec/1 absent:kim",
    )
    assert reply_text(saved).startswith("Notes saved: Room calibration\nAttended: Lee.")
    shown = {f.name: plain(f.value) for f in latest_edit(harness).message.fields}
    assert shown["Notes"] == "Calibrated two rooms"
    assert shown["Recording"] == "https://example.org/rec/1"
    assert shown["Attended"] == "1 member"
    lee = reply_text(await harness.run("lee", "/journey"))
    assert "Clinics: attended 1 session · presented at 1 · hosted 0" in lee
    ana = reply_text(await harness.run("ana", "/journey"))
    assert "Clinics: attended 0 sessions · presented at 0 · hosted 1" in ana
    kim = reply_text(await harness.run("kim", "/journey"))
    assert "Clinics" not in kim
