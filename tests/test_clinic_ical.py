"""Clinic .ics files, read back by an independent library, give exactly the bot's sessions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import recurring_ical_events
from icalendar import Calendar

from bot.features.clinics.ical import MEDIA_TYPE, MovedSession, SeriesEntry, calendar_file
from bot.features.clinics.recurrence import Schedule, end_before, plan, sessions
from bot.features.clinics.rules import read_rule

LONDON = "Europe/London"
NY = "America/New_York"
STAMP = datetime(2026, 1, 1, 12, tzinfo=UTC)
FROM, TO = datetime(2025, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def entry(uid: str, schedule: Schedule, **changes: Any) -> SeriesEntry:
    series = SeriesEntry(
        uid=uid,
        title="Room calibration clinic",
        description="Bring a room measurement",
        location="Voice: Studio A",
        url="https://example.org/clinics/1",
        rrule=schedule.rrule,
        start_local=schedule.start,
        zone=schedule.zone,
        duration=timedelta(minutes=90),
    )
    return replace(series, **changes)


def read_back(data: bytes) -> list[tuple[str, datetime, date | None, timedelta]]:
    """(UID, UTC start, moved-from local date, length) of each session, as the reader sees it."""
    calendar = Calendar.from_ical(data)
    found = []
    for event in recurring_ical_events.of(calendar).between(FROM, TO):
        start = event["DTSTART"].dt
        # The reader gives every occurrence a RECURRENCE-ID; a moved one starts elsewhere.
        scheduled = event["RECURRENCE-ID"].dt
        moved_from = scheduled.date() if scheduled != start else None
        length = event["DTEND"].dt - start if "DTEND" in event else event["DURATION"].dt
        found.append(
            (
                str(event["UID"]),
                start.astimezone(UTC),
                moved_from,
                length,
            )
        )
    return sorted(found, key=lambda row: (row[1], row[0]))


def test_a_series_with_cancelled_and_moved_sessions_reads_back_exactly() -> None:
    schedule = plan(read_rule("first friday for 8 sessions"), date(2026, 1, 1), time(19), LONDON)
    cancelled = (date(2026, 3, 6), date(2026, 3, 7))  # 7 March has no session: ignored
    moves = {date(2026, 4, 3): utc(2026, 4, 10, 18), date(2026, 6, 5): utc(2026, 5, 20, 17)}
    series = entry(
        "clinic-1@community-7",
        schedule,
        cancelled=cancelled,
        moved=tuple(
            MovedSession(day, at, reason="Easter", sequence=2) for day, at in moves.items()
        ),
        sequence=1,
    )
    data = calendar_file([series], stamp=STAMP, name="Crossfade clinics")
    ours = sessions(schedule, cancelled=cancelled, moved=moves)
    theirs = read_back(data)
    assert [(t[1], t[2] is not None) for t in theirs] == [(s.starts_at, s.moved) for s in ours]
    assert [t[1] for t in theirs] == [
        utc(2026, 1, 2, 19), utc(2026, 2, 6, 19), utc(2026, 4, 10, 18), utc(2026, 5, 1, 18),
        utc(2026, 5, 20, 17), utc(2026, 7, 3, 18), utc(2026, 8, 7, 18),
    ]  # fmt: skip
    assert [t[2] for t in theirs if t[2]] == [date(2026, 4, 3), date(2026, 6, 5)]
    assert {t[0] for t in theirs} == {"clinic-1@community-7"}
    assert {t[3] for t in theirs} == {timedelta(minutes=90)}
    text = data.decode()
    assert "DTSTART;TZID=Europe/London:20260102T190000" in text
    assert "RRULE:FREQ=MONTHLY;COUNT=8;BYDAY=1FR" in text
    assert "EXDATE;TZID=Europe/London:20260306T190000" in text
    assert "RECURRENCE-ID;TZID=Europe/London:20260403T190000" in text
    assert "BEGIN:VTIMEZONE\r\nTZID:Europe/London" in text
    assert "DESCRIPTION:Moved: Easter" in text
    assert text.count("SEQUENCE:2") == 2
    assert text.count("SEQUENCE:1") == 1
    assert MEDIA_TYPE == "text/calendar"


def test_a_split_series_is_two_events_the_first_with_until() -> None:
    before = plan(read_rule("first friday"), date(2026, 1, 1), time(19), LONDON)
    first_half = end_before(before, date(2026, 6, 1))
    assert first_half is not None
    after = plan(read_rule("second thursday"), date(2026, 6, 1), time(18, 30), LONDON)
    feed = [
        entry("clinic-1@c", first_half, cancelled=(date(2026, 2, 6),)),
        entry("clinic-1-2@c", after, moved=(MovedSession(date(2026, 7, 9), utc(2026, 7, 16, 17)),)),
    ]
    data = calendar_file(feed, stamp=STAMP, name="Crossfade clinics", refresh=timedelta(hours=1))
    text = data.decode()
    assert "RRULE:FREQ=MONTHLY;UNTIL=20260501T180000Z;BYDAY=1FR" in text
    assert text.count("BEGIN:VEVENT") == 3
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in text
    window = {"before": TO}
    ours = [("clinic-1@c", s.starts_at) for s in sessions(first_half, cancelled=[date(2026, 2, 6)])]
    ours += [
        ("clinic-1-2@c", s.starts_at)
        for s in sessions(after, moved={date(2026, 7, 9): utc(2026, 7, 16, 17)}, **window)
    ]
    assert [(t[0], t[1]) for t in read_back(data)] == sorted(ours, key=lambda row: row[1])
    assert [t[1] for t in read_back(data)][:7] == [
        utc(2026, 1, 2, 19), utc(2026, 3, 6, 19), utc(2026, 4, 3, 18), utc(2026, 5, 1, 18),
        utc(2026, 6, 11, 17, 30), utc(2026, 7, 16, 17), utc(2026, 8, 13, 17, 30),
    ]  # fmt: skip


def test_gap_and_overlap_times_read_back_as_rfc_5545_says() -> None:
    gap = plan(read_rule("second sunday for 4 sessions"), date(2027, 2, 1), time(2, 30), NY)
    overlap = plan(read_rule("first sunday for 3 sessions"), date(2027, 10, 1), time(1, 30), NY)
    # Moved into the second 01:30 of 7 November 2027 (EST): only UTC can say which one.
    second_pass = utc(2027, 11, 7, 6, 30)
    feed = [
        entry("gap@c", gap),
        entry("overlap@c", overlap, moved=(MovedSession(date(2027, 11, 7), second_pass),)),
    ]
    theirs = read_back(calendar_file(feed, stamp=STAMP, name="Clinics"))
    assert [(t[0], t[1]) for t in theirs] == [
        ("gap@c", utc(2027, 2, 14, 7, 30)),
        ("gap@c", utc(2027, 3, 14, 7, 30)),  # 02:30 doesn't exist: 03:30 EDT
        ("gap@c", utc(2027, 4, 11, 6, 30)),
        ("gap@c", utc(2027, 5, 9, 6, 30)),
        ("overlap@c", utc(2027, 10, 3, 5, 30)),
        ("overlap@c", utc(2027, 11, 7, 6, 30)),
        ("overlap@c", utc(2027, 12, 5, 6, 30)),
    ]
    ours = sessions(gap) + sessions(overlap, moved={date(2027, 11, 7): second_pass})
    assert sorted(s.starts_at for s in ours) == [t[1] for t in theirs]


def test_until_as_a_local_date_is_written_in_utc() -> None:
    schedule = plan(read_rule("first friday until 2026-03-06"), date(2026, 1, 1), time(19), LONDON)
    data = calendar_file([entry("u@c", schedule)], stamp=STAMP, name="Clinics")
    assert "UNTIL=20260306T190000Z" in data.decode()
    assert [t[1] for t in read_back(data)] == [s.starts_at for s in sessions(schedule)]


def test_a_one_off_and_a_feed_of_several_zones() -> None:
    once = plan(read_rule("once on 2027-03-05"), None, time(19), LONDON)
    monthly = plan(read_rule("third of tue/wed/thu"), date(2026, 1, 1), time(9), NY)
    feed = [entry("once@c", once), entry("monthly@c", monthly)]
    data = calendar_file(feed, stamp=STAMP, name="Clinics")
    text = data.decode()
    assert "TZID:Europe/London" in text
    assert "TZID:America/New_York" in text
    theirs = read_back(data)
    assert [t[1] for t in theirs if t[0] == "once@c"] == [utc(2027, 3, 5, 19)]
    ours = [s.starts_at for s in sessions(monthly, not_before=FROM, before=TO)]
    assert [t[1] for t in theirs if t[0] == "monthly@c"] == ours
    # The same series at the same moment always give the same bytes.
    assert calendar_file(feed, stamp=STAMP, name="Clinics") == data


def test_a_cancelled_first_session_and_one_moved_before_the_start() -> None:
    schedule = plan(read_rule("first friday for 4 sessions"), date(2026, 1, 1), time(19), LONDON)
    cancelled = (date(2026, 1, 2),)
    moves = {date(2026, 2, 6): utc(2025, 12, 20, 10)}
    series = entry(
        "edge@c",
        schedule,
        cancelled=cancelled,
        moved=tuple(MovedSession(day, at) for day, at in moves.items()),
    )
    theirs = read_back(calendar_file([series], stamp=STAMP, name="Clinics"))
    ours = sessions(schedule, cancelled=cancelled, moved=moves)
    assert [t[1] for t in theirs] == [s.starts_at for s in ours]
    assert [s.starts_at for s in ours] == [
        utc(2025, 12, 20, 10),
        utc(2026, 3, 6, 19),
        utc(2026, 4, 3, 18),
    ]
