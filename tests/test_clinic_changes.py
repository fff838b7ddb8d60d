"""Changing clinics: one session cancelled or moved, the series edited from a date on or ended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.messages import Timestamp, plain
from tests.clinic_helpers import FIRST, advance_to, announcements, host_clinic, latest_edit, rows
from tests.clinic_helpers import run_jobs as announce
from tests.harness import Harness, reply_text
from tests.stores import Database, snapshot

DB = "crossfade.db"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def answered(h: Harness) -> None:
    """The clinic announced; kim and lee going, ned can't come."""
    await host_clinic(h)
    await announce(h)
    for name, answer in (("kim", "going"), ("lee", "going"), ("ned", "cant")):
        await h.run(name, f"/clinic rsvp clinic:1 answer:{answer}")


async def starts(h: Harness, count: int = 4) -> list[object]:
    listed = await h.run("kim", f"/clinic dates clinic:1 count:{count}")
    assert listed.message is not None, reply_text(listed)
    return [(f.value[0], plain(f.value[1:])) for f in listed.message.fields]


@pytest.mark.asyncio
async def test_a_cancelled_session_tells_those_coming_and_leaves_the_series(
    harness: Harness, database: Database
) -> None:
    await answered(harness)
    series = await rows(database, "SELECT rrule, sequence FROM clinic_series")
    done = await harness.run(
        "ana", "/clinic cancel clinic:1 date:2026-12-04 reason:'The studio is flooded'"
    )
    assert "is off. 2 members told." in reply_text(done)
    (told,) = harness.transport.dms("kim")
    assert told.message.title == "Cancelled: Room calibration"
    assert plain(told.message.body).endswith("is off: The studio is flooded.")
    assert harness.transport.dms("ned") == []
    edit = latest_edit(harness)
    assert edit.receipt == announcements(harness)[0].receipt
    assert edit.message.title == "Cancelled: Room calibration"
    assert edit.message.buttons == ()
    assert await rows(database, "SELECT rrule, sequence FROM clinic_series") == series
    assert (await starts(harness, 3)) == [
        (Timestamp(FIRST), " · cancelled: The studio is flooded"),
        (Timestamp(utc(2027, 1, 1, 19)), ""),
        (Timestamp(utc(2027, 2, 5, 19)), ""),
    ]
    # No reminders for it, and the next session is announced as usual.
    await advance_to(harness, utc(2026, 12, 25, 19))
    assert len(harness.transport.dms("kim")) == 1
    assert announcements(harness)[-1].message.title == "Clinic: Room calibration"
    assert announcements(harness)[-1].at == utc(2026, 12, 25, 19)


@pytest.mark.asyncio
async def test_cancelling_is_for_the_host_or_an_admin_and_not_once_started(
    harness: Harness, database: Database
) -> None:
    await answered(harness)
    before = await snapshot(database)
    member = await harness.run("kim", "/clinic cancel clinic:1 date:2026-12-04 reason:Ill")
    assert reply_text(member).startswith(
        "Only Ana, the clinic's host, or an admin can cancel its sessions."
    )
    none = await harness.run("ana", "/clinic cancel clinic:1 date:2026-12-05 reason:Ill")
    assert "Clinic #1 has no session on Sat 05 Dec 2026." in reply_text(none)
    assert await snapshot(database) == before
    await advance_to(harness, FIRST + timedelta(minutes=1))
    before = await snapshot(database)
    late = await harness.run("ana", "/clinic cancel clinic:1 date:2026-12-04 reason:Ill")
    assert reply_text(late).startswith("That session has started, so it can't be cancelled")
    assert await snapshot(database) == before
    admin = await harness.run(
        "boss", "/clinic cancel clinic:1 date:2027-01-01 reason:Holidays", admin=True
    )
    assert reply_text(admin).startswith("Cancelled: Room calibration")


@pytest.mark.asyncio
async def test_a_moved_session_keeps_its_answers_and_offers_a_one_press_cant(
    harness: Harness, tmp_path: Path
) -> None:
    await answered(harness)
    moved = await harness.run(
        "ana", "/clinic move clinic:1 date:2026-12-04 to:'2026-12-05 18:30' reason:'Room booked'"
    )
    new_start = utc(2026, 12, 5, 18, 30)
    assert "3 members told; their answers stand." in reply_text(moved)
    (kim,) = harness.transport.dms("kim")
    assert kim.message.title == "Moved: Room calibration"
    assert Timestamp(new_start) in kim.message.body
    assert [b.label for b in kim.message.buttons] == ["Can't make it"]
    (ned,) = harness.transport.dms("ned")
    assert [b.label for b in ned.message.buttons] == ["Going"]
    shown = latest_edit(harness)
    assert shown.receipt == announcements(harness)[0].receipt
    assert "Moved: Room booked" in plain(shown.message.body)
    assert shown.message.fields[0].value[0] == Timestamp(new_start)
    await harness.press("kim", kim.message.buttons[0].action)
    seats = {f.name: plain(f.value) for f in latest_edit(harness).message.fields}["Seats"]
    assert seats == "1 going"
    assert (await starts(harness, 1)) == [(Timestamp(new_start), " · moved · 1 going")]
    # Reminders follow the new time, for those still going.
    await advance_to(harness, new_start)
    assert [s.at for s in harness.transport.dms("lee")[1:]] == [
        new_start - timedelta(hours=24),
        new_start - timedelta(hours=1),
    ]
    assert len(harness.transport.dms("kim")) == 1


@pytest.mark.asyncio
async def test_a_move_names_the_session_by_either_date_and_refuses_the_past(
    harness: Harness, database: Database
) -> None:
    await answered(harness)
    await harness.run("ana", "/clinic move clinic:1 date:2026-12-04 to:2026-12-11 reason:Gig")
    again = await harness.run(
        "ana", "/clinic move clinic:1 date:2026-12-11 to:'2026-12-12 10:00' reason:'Gig again'"
    )
    assert reply_text(again).startswith("Moved: Room calibration")
    by_rule = await harness.run(
        "ana", "/clinic move clinic:1 date:2026-12-04 to:'2026-12-12 11:00' reason:Later"
    )
    assert reply_text(by_rule).startswith("Moved: Room calibration")
    before = await snapshot(database)
    past = await harness.run(
        "ana", "/clinic move clinic:1 date:2026-12-04 to:'2026-11-30 07:00' reason:x"
    )
    assert "That time has passed already: pick a later one." in reply_text(past)
    nonsense = await harness.run("ana", "/clinic move clinic:1 date:2026-12-04 to:soonish reason:x")
    assert "I can't read 'soonish' as a new date" in reply_text(nonsense)
    assert await snapshot(database) == before


@pytest.mark.asyncio
async def test_editing_from_a_date_splits_the_series_and_keeps_later_answers(
    harness: Harness, database: Database
) -> None:
    await answered(harness)
    await harness.run("bea", "/clinic rsvp clinic:1 answer:going date:2027-01-01")
    edited = await harness.run("ana", "/clinic edit clinic:1 from:2027-01-01 time:18:00")
    assert reply_text(edited).startswith("Clinic #1 changes from 01 January 2027"), reply_text(
        edited
    )
    assert await rows(
        database, "SELECT number, part, rrule, start_local FROM clinic_series ORDER BY id"
    ) == [
        (1, 1, "FREQ=MONTHLY;BYDAY=1FR;UNTIL=20261204T190000Z", "2026-11-30T19:00:00"),
        (1, 2, "FREQ=MONTHLY;BYDAY=1FR", "2027-01-01T18:00:00"),
    ]
    (bea,) = harness.transport.dms("bea")
    assert bea.message.title == "Changed: Room calibration"
    assert Timestamp(utc(2027, 1, 1, 18)) in bea.message.body
    assert harness.transport.dms("kim") == []  # the 4 December session didn't change
    assert [s[0] for s in await starts(harness, 5)] == [
        Timestamp(FIRST), Timestamp(utc(2027, 1, 1, 18)), Timestamp(utc(2027, 2, 5, 18)),
        Timestamp(utc(2027, 3, 5, 18)), Timestamp(utc(2027, 4, 2, 17)),
    ]  # fmt: skip
    info = reply_text(await harness.run("bea", "/clinic info clinic:1"))
    assert "at 18:00 Europe/London" in info
    mine = reply_text(await harness.run("bea", "/clinic info clinic:1"))
    assert "Next session" in mine
    kept = await rows(
        database,
        "SELECT s.part, ses.day, r.answer FROM clinic_rsvps r"
        " JOIN clinic_sessions ses ON ses.id = r.session_id"
        " JOIN clinic_series s ON s.id = ses.series_id JOIN members m ON m.id = r.member_id"
        " WHERE m.ext_id = 'bea'",
    )
    assert kept == [(2, "2027-01-01", "going")]


@pytest.mark.asyncio
async def test_an_edit_whose_rule_drops_a_date_cancels_that_session(harness: Harness) -> None:
    await answered(harness)
    await harness.run("bea", "/clinic rsvp clinic:1 answer:going date:2027-01-01")
    await harness.run(
        "ana", "/clinic edit clinic:1 from:2027-01-01 rule:'the 15th' reason:'New studio slot'"
    )
    (bea,) = harness.transport.dms("bea")
    assert bea.message.title == "Cancelled: Room calibration"
    assert "is off: New studio slot." in plain(bea.message.body)
    assert [s[0] for s in await starts(harness, 3)] == [
        Timestamp(FIRST), Timestamp(utc(2027, 1, 15, 19)), Timestamp(utc(2027, 2, 15, 19)),
    ]  # fmt: skip


@pytest.mark.asyncio
async def test_ending_a_series_cancels_later_sessions_and_tells_who_answered(
    harness: Harness, database: Database
) -> None:
    await answered(harness)
    await harness.run("bea", "/clinic rsvp clinic:1 answer:going date:2027-01-01")
    ended = await harness.run("ana", "/clinic end clinic:1 after:2026-12-31")
    assert reply_text(ended) == (
        "Clinic #1 ends after 31 December 2026\nLater sessions are off. 1 member told."
    )
    (bea,) = harness.transport.dms("bea")
    assert "is off: the clinic ends after 31 December 2026." in plain(bea.message.body)
    assert harness.transport.dms("kim") == []
    assert [s[0] for s in await starts(harness, 4)] == [Timestamp(FIRST)]
    before = await snapshot(database)
    again = await harness.run("ana", "/clinic end clinic:1 after:2026-12-31")
    assert "Clinic #1 has no sessions after that date." in reply_text(again)
    later = await harness.run("ana", "/clinic edit clinic:1 from:2027-02-01 time:18:00")
    assert "Clinic #1 has no sessions from that date on." in reply_text(later)
    other = await harness.run("kim", "/clinic end clinic:1 after:2026-12-01")
    assert "Only Ana, the clinic's host, or an admin can end it." in reply_text(other)
    nothing = await harness.run("ana", "/clinic edit clinic:1 from:2026-12-01")
    assert "Say what changes from then on" in reply_text(nothing)
    assert await snapshot(database) == before


@pytest.mark.asyncio
async def test_an_edit_updates_an_announced_session_in_place_and_tells_everyone(
    harness: Harness, database: Database
) -> None:
    await answered(harness)
    await harness.run(
        "ana", "/clinic edit clinic:1 from:2026-12-04 time:18:30 title:'Room calibration lab'"
    )
    for name in ("kim", "lee", "ned"):
        (told,) = harness.transport.dms(name)
        assert told.message.title == "Changed: Room calibration lab"
    shown = latest_edit(harness)
    assert shown.receipt == announcements(harness)[0].receipt
    assert shown.message.title == "Clinic: Room calibration lab"
    assert shown.message.fields[0].value[0] == Timestamp(utc(2026, 12, 4, 18, 30))
    # The old series had no session before the date: it is void, the clinic keeps its number.
    assert await rows(database, "SELECT number, part, status FROM clinic_series") == [
        (1, 1, "void"),
        (1, 2, "active"),
    ]
    await harness.run(
        "ana", '/clinic create title:"Mix review" bring:"A mix" rule:"the 15th" time:12:00'
    )
    before = await snapshot(database)
    clash = await harness.run(
        "ana", "/clinic edit clinic:2 from:2027-01-01 title:'room calibration lab'"
    )
    assert "Another clinic is called that already" in reply_text(clash)
    assert await snapshot(database) == before


@pytest.mark.asyncio
async def test_calendar_entries_expand_to_exactly_the_sessions_the_bot_lists(
    harness: Harness,
) -> None:
    import recurring_ical_events
    from icalendar import Calendar

    from bot.features.clinics.entries import series_entries
    from bot.features.clinics.ical import calendar_file
    from bot.features.clinics.timeline import clinic_sessions

    await answered(harness)
    await harness.run("ana", "/clinic cancel clinic:1 date:2027-01-01 reason:Holidays")
    await harness.run(
        "ana", "/clinic move clinic:1 date:2027-02-05 to:'2027-02-06 10:00' reason:Gig"
    )
    await harness.run("ana", "/clinic edit clinic:1 from:2027-04-01 time:18:00 duration:2h")
    await harness.run("ana", "/clinic move clinic:1 date:2027-05-07 to:2027-05-14 reason:Tour")
    store = harness.store
    parts = await store.community_series(1)
    stored = await store.session_rows([p.id for p in parts], utc(2026, 1, 1))
    end = utc(2027, 9, 1)
    ours = [
        u.starts_at
        for u in clinic_sessions(
            parts, stored, not_before=utc(2026, 1, 1), before=end, with_cancelled=False
        )
    ]
    data = calendar_file(series_entries(parts, stored), stamp=harness.clock.now(), name="Clinics")
    theirs = sorted(
        e["DTSTART"].dt.astimezone(UTC)
        for e in recurring_ical_events.of(Calendar.from_ical(data)).between(utc(2026, 1, 1), end)
    )
    assert theirs == ours
    assert ours[:5] == [
        FIRST, utc(2027, 2, 6, 10), utc(2027, 3, 5, 19), utc(2027, 4, 2, 17), utc(2027, 5, 14, 17),
    ]  # fmt: skip
