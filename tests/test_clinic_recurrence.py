"""Clinic recurrences: plain words and RRULEs give RFC 5545's dates, at local time across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.errors import OptionError
from bot.features.clinics.recurrence import (
    Schedule,
    Session,
    end_before,
    first_session,
    plan,
    rfc_rrule,
    session_on,
    sessions,
)
from bot.features.clinics.rules import read_rule

NY = "America/New_York"
LONDON = "Europe/London"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local_days(rule: str, start: date, count: int, zone: str = NY, at: time = time(9)) -> list:
    schedule = plan(read_rule(rule), start, at, zone)
    found = sessions(schedule, count=count)
    tz = ZoneInfo(zone)
    # Every session is at the same wall-clock time, whatever the offset that day.
    assert {s.starts_at.astimezone(tz).time() for s in found} == {at}
    assert all(s.starts_at.astimezone(tz).date() == s.day for s in found)
    return [s.day for s in found]


def d(year: int, *month_days: tuple[int, int]) -> list[date]:
    return [date(year, month, day) for month, day in month_days]


# RFC 5545 section 3.8.5.3, the monthly examples: DTSTART at 09:00 America/New_York.
RFC_MONTHLY = [
    pytest.param(
        "FREQ=MONTHLY;COUNT=10;BYDAY=1FR",
        "first friday for 10 sessions",
        date(1997, 9, 5),
        d(1997, (9, 5), (10, 3), (11, 7), (12, 5))
        + d(1998, (1, 2), (2, 6), (3, 6), (4, 3), (5, 1), (6, 5)),
        id="first Friday for 10 occurrences",
    ),
    pytest.param(
        "FREQ=MONTHLY;UNTIL=19971224T000000Z;BYDAY=1FR",
        "first friday until 1997-12-24",
        date(1997, 9, 5),
        d(1997, (9, 5), (10, 3), (11, 7), (12, 5)),
        id="first Friday until December 24, 1997",
    ),
    pytest.param(
        "FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU",
        "every other month on the first and last sunday for 10 sessions",
        date(1997, 9, 7),
        d(1997, (9, 7), (9, 28), (11, 2), (11, 30))
        + d(1998, (1, 4), (1, 25), (3, 1), (3, 29), (5, 3), (5, 31)),
        id="every other month on the first and last Sunday",
    ),
    pytest.param(
        "FREQ=MONTHLY;COUNT=6;BYDAY=-2MO",
        "second-to-last monday, 6 times",
        date(1997, 9, 22),
        d(1997, (9, 22), (10, 20), (11, 17), (12, 22)) + d(1998, (1, 19), (2, 16)),
        id="second-to-last Monday for 6 months",
    ),
    pytest.param(
        "FREQ=MONTHLY;BYMONTHDAY=-3",
        "third-to-last day",
        date(1997, 9, 28),
        d(1997, (9, 28), (10, 29), (11, 28), (12, 29)) + d(1998, (1, 29), (2, 26)),
        id="third-to-last day, forever",
    ),
    pytest.param(
        "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15",
        "monthly on the 2nd and 15th for 10 occurrences",
        date(1997, 9, 2),
        d(1997, (9, 2), (9, 15), (10, 2), (10, 15), (11, 2), (11, 15), (12, 2), (12, 15))
        + d(1998, (1, 2), (1, 15)),
        id="2nd and 15th for 10 occurrences",
    ),
    pytest.param(
        "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1",
        "the first and last day for 10 sessions",
        date(1997, 9, 30),
        d(1997, (9, 30), (10, 1), (10, 31), (11, 1), (11, 30), (12, 1), (12, 31))
        + d(1998, (1, 1), (1, 31), (2, 1)),
        id="first and last day for 10 occurrences",
    ),
    pytest.param(
        "FREQ=MONTHLY;INTERVAL=18;COUNT=10;BYMONTHDAY=10,11,12,13,14,15",
        "every 18 months on the 10th, 11th, 12th, 13th, 14th and 15th for 10 sessions",
        date(1997, 9, 10),
        d(1997, (9, 10), (9, 11), (9, 12), (9, 13), (9, 14), (9, 15))
        + d(1999, (3, 10), (3, 11), (3, 12), (3, 13)),
        id="every 18 months on the 10th thru 15th",
    ),
    pytest.param(
        "FREQ=MONTHLY;INTERVAL=2;BYDAY=TU",
        "every tuesday, every other month",
        date(1997, 9, 2),
        d(1997, (9, 2), (9, 9), (9, 16), (9, 23), (9, 30), (11, 4), (11, 11), (11, 18))
        + d(1997, (11, 25))
        + d(1998, (1, 6), (1, 13), (1, 20), (1, 27), (3, 3), (3, 10), (3, 17), (3, 24))
        + d(1998, (3, 31)),
        id="every Tuesday, every other month",
    ),
    pytest.param(
        "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13",
        "friday the 13th",
        date(1997, 9, 2),
        d(1998, (2, 13), (3, 13), (11, 13)) + d(1999, (8, 13)) + d(2000, (10, 13)),
        id="every Friday the 13th",
    ),
    pytest.param(
        "FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13",
        "saturday the 7th, 8th, 9th, 10th, 11th, 12th or 13th",
        date(1997, 9, 13),
        d(1997, (9, 13), (10, 11), (11, 8), (12, 13))
        + d(1998, (1, 10), (2, 7), (3, 7), (4, 11), (5, 9), (6, 13)),
        id="first Saturday after the first Sunday",
    ),
    pytest.param(
        "FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3",
        "third of tue/wed/thu for 3 sessions",
        date(1997, 9, 4),
        d(1997, (9, 4), (10, 7), (11, 6)),
        id="third instance of Tuesday, Wednesday or Thursday (BYSETPOS)",
    ),
    pytest.param(
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2",
        "second-to-last weekday",
        date(1997, 9, 29),
        d(1997, (9, 29), (10, 30), (11, 27), (12, 30)) + d(1998, (1, 29), (2, 26), (3, 30)),
        id="second-to-last weekday of the month",
    ),
    pytest.param(
        # Not in the RFC: derived by hand from its second-to-last weekday list above.
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "last work day",
        date(1997, 9, 1),
        d(1997, (9, 30), (10, 31), (11, 28), (12, 31)) + d(1998, (1, 30), (2, 27), (3, 31)),
        id="last work day of the month",
    ),
]


@pytest.mark.parametrize(("rrule", "words", "start", "expected"), RFC_MONTHLY)
def test_rfc_5545_monthly_examples_by_rrule_and_in_words(
    rrule: str, words: str, start: date, expected: list[date]
) -> None:
    assert local_days(rrule, start, len(expected) + 5)[: len(expected)] == expected
    assert local_days(words, start, len(expected) + 5)[: len(expected)] == expected
    if "COUNT" in rrule or "UNTIL" in rrule:
        assert len(local_days(rrule, start, len(expected) + 5)) == len(expected)


def test_first_friday_keeps_nine_local_across_the_1997_changes() -> None:
    schedule = plan(
        read_rule("RRULE:FREQ=MONTHLY;COUNT=10;BYDAY=1FR"), date(1997, 9, 5), time(9), NY
    )
    assert [s.starts_at for s in sessions(schedule)] == [
        utc(1997, 9, 5, 13), utc(1997, 10, 3, 13),  # EDT
        utc(1997, 11, 7, 14), utc(1997, 12, 5, 14), utc(1998, 1, 2, 14),  # EST
        utc(1998, 2, 6, 14), utc(1998, 3, 6, 14), utc(1998, 4, 3, 14),
        utc(1998, 5, 1, 13), utc(1998, 6, 5, 13),  # EDT from 5 April 1998
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("words", "rrule", "description"),
    [
        ("first friday", "FREQ=MONTHLY;BYDAY=1FR", "the first Friday of every month"),
        ("second thursday", "FREQ=MONTHLY;BYDAY=2TH", "the second Thursday of every month"),
        ("last sunday", "FREQ=MONTHLY;BYDAY=-1SU", "the last Sunday of every month"),
        (
            "second-to-last monday",
            "FREQ=MONTHLY;BYDAY=-2MO",
            "the second-to-last Monday of every month",
        ),
        ("third-to-last day", "FREQ=MONTHLY;BYMONTHDAY=-3", "the third-to-last day of every month"),
        ("the 15th", "FREQ=MONTHLY;BYMONTHDAY=15", "the 15th of every month"),
        (
            "every month on the first and last sunday",
            "FREQ=MONTHLY;BYDAY=1SU,-1SU",
            "the first and last Sunday of every month",
        ),
        (
            "third of tue/wed/thu",
            "FREQ=MONTHLY;BYSETPOS=3;BYDAY=TU,WE,TH",
            "the third of the Tuesdays, Wednesdays and Thursdays in every month",
        ),
        (
            "last work day",
            "FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR",
            "the last weekday of every month",
        ),
        (
            "Second Thursday of every month.",
            "FREQ=MONTHLY;BYDAY=2TH",
            "the second Thursday of every month",
        ),
        ("2nd-to-last mon", "FREQ=MONTHLY;BYDAY=-2MO", "the second-to-last Monday of every month"),
        ("every other friday", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", "every other Friday"),
        ("FREQ=MONTHLY;BYDAY=2TH", "FREQ=MONTHLY;BYDAY=2TH", "the second Thursday of every month"),
        (
            "RRULE:freq=monthly;byday=+2th",
            "FREQ=MONTHLY;BYDAY=2TH",
            "the second Thursday of every month",
        ),
        (
            "FREQ=MONTHLY;BYMONTH=1,4,7,10;BYDAY=1FR",
            "FREQ=MONTHLY;BYMONTH=1,4,7,10;BYDAY=1FR",
            "the first Friday of January, April, July and October",
        ),
        (
            "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
            "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
            "by the rule FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
        ),
    ],
)
def test_each_form_reads_to_a_normalised_rrule_and_a_sentence(
    words: str, rrule: str, description: str
) -> None:
    rule = read_rule(words)
    assert (rule.rrule, rule.description, rule.on) == (rrule, description, None)


def test_a_one_off_date_is_its_own_start() -> None:
    for typed in ("once on 2027-03-05", "2027-03-05", "once on 5 March 2027"):
        rule = read_rule(typed)
        assert (rule.rrule, rule.on) == ("FREQ=DAILY;COUNT=1", date(2027, 3, 5))
        assert rule.description == "once, on Friday 5 March 2027"
        schedule = plan(rule, None, time(19), LONDON)
        assert sessions(schedule) == [Session(date(2027, 3, 5), utc(2027, 3, 5, 19))]
    once = plan(read_rule("once"), date(2031, 7, 1), time(19), LONDON)
    assert sessions(once) == [Session(date(2031, 7, 1), utc(2031, 7, 1, 18))]
    with pytest.raises(OptionError) as err:
        plan(read_rule("once on 2027-03-05"), date(2027, 4, 1), time(19), LONDON)
    assert err.value.option == "start"


def test_london_seven_pm_stays_seven_pm_across_both_changes() -> None:
    # UK clocks go forward on 29 March 2026 and back on 25 October 2026, both last Sundays.
    last_sunday = plan(read_rule("last sunday"), date(2026, 2, 1), time(19), LONDON)
    assert [s.starts_at for s in sessions(last_sunday, count=10)] == [
        utc(2026, 2, 22, 19), utc(2026, 3, 29, 18), utc(2026, 4, 26, 18), utc(2026, 5, 31, 18),
        utc(2026, 6, 28, 18), utc(2026, 7, 26, 18), utc(2026, 8, 30, 18), utc(2026, 9, 27, 18),
        utc(2026, 10, 25, 19), utc(2026, 11, 29, 19),
    ]  # fmt: skip
    first_friday = plan(read_rule("first friday"), date(2026, 3, 1), time(19), LONDON)
    moments = sessions(first_friday, not_before=utc(2026, 3, 1), before=utc(2026, 12, 1))
    assert [s.starts_at for s in moments] == [
        utc(2026, 3, 6, 19), utc(2026, 4, 3, 18), utc(2026, 5, 1, 18), utc(2026, 6, 5, 18),
        utc(2026, 7, 3, 18), utc(2026, 8, 7, 18), utc(2026, 9, 4, 18), utc(2026, 10, 2, 18),
        utc(2026, 11, 6, 19),
    ]  # fmt: skip


def test_a_time_in_the_spring_gap_uses_the_offset_before_it() -> None:
    # US clocks jump from 02:00 to 03:00 on Sunday 14 March 2027 (the second Sunday).
    schedule = plan(read_rule("second sunday"), date(2027, 2, 1), time(2, 30), NY)
    found = sessions(schedule, count=3)
    assert [s.starts_at for s in found] == [
        utc(2027, 2, 14, 7, 30), utc(2027, 3, 14, 7, 30), utc(2027, 4, 11, 6, 30)
    ]  # fmt: skip
    assert found[1].day == date(2027, 3, 14)
    assert found[1].starts_at.astimezone(ZoneInfo(NY)).time() == time(3, 30)


def test_a_time_in_the_autumn_overlap_is_its_first_occurrence() -> None:
    # US clocks go back from 02:00 to 01:00 on Sunday 7 November 2027: 01:30 happens twice.
    schedule = plan(read_rule("first sunday"), date(2027, 10, 1), time(1, 30), NY)
    assert [s.starts_at for s in sessions(schedule, count=3)] == [
        utc(2027, 10, 3, 5, 30), utc(2027, 11, 7, 5, 30), utc(2027, 12, 5, 6, 30)
    ]  # fmt: skip


def test_cancelled_and_moved_sessions() -> None:
    schedule = plan(read_rule("first friday"), date(2026, 1, 1), time(19), LONDON)
    found = sessions(
        schedule,
        count=4,
        cancelled=[date(2026, 3, 6), date(2026, 3, 7)],  # 7 March has no session: ignored
        moved={date(2026, 4, 3): utc(2026, 4, 10, 18), date(2026, 4, 4): utc(2026, 1, 9, 18)},
    )
    assert found == [
        Session(date(2026, 1, 2), utc(2026, 1, 2, 19)),
        Session(date(2026, 2, 6), utc(2026, 2, 6, 19)),
        Session(date(2026, 4, 3), utc(2026, 4, 10, 18), moved=True),
        Session(date(2026, 5, 1), utc(2026, 5, 1, 18)),
    ]
    # A session moved earlier than others comes first; the window is half-open.
    early = sessions(
        schedule,
        not_before=utc(2026, 2, 6, 19),
        before=utc(2026, 5, 1, 18),
        moved={date(2026, 5, 1): utc(2026, 2, 20, 19)},
    )
    assert early == [
        Session(date(2026, 2, 6), utc(2026, 2, 6, 19)),
        Session(date(2026, 5, 1), utc(2026, 2, 20, 19), moved=True),
        Session(date(2026, 3, 6), utc(2026, 3, 6, 19)),
        Session(date(2026, 4, 3), utc(2026, 4, 3, 18)),
    ]
    assert session_on(schedule, date(2026, 6, 5)) == Session(date(2026, 6, 5), utc(2026, 6, 5, 18))
    assert session_on(schedule, date(2026, 6, 6)) is None


def test_an_endless_series_needs_a_limit() -> None:
    schedule = plan(read_rule("first friday"), date(2026, 1, 1), time(19), LONDON)
    with pytest.raises(ValueError, match="count or a before"):
        sessions(schedule)


def test_ending_a_series_before_a_date() -> None:
    schedule = plan(read_rule("first friday"), date(2026, 1, 1), time(19), LONDON)
    first_half = end_before(schedule, date(2026, 6, 1))
    assert first_half is not None
    assert first_half.rrule == "FREQ=MONTHLY;BYDAY=1FR;UNTIL=20260501T180000Z"
    assert [s.day for s in sessions(first_half)] == [
        date(2026, 1, 2), date(2026, 2, 6), date(2026, 3, 6), date(2026, 4, 3), date(2026, 5, 1)
    ]  # fmt: skip
    assert end_before(schedule, date(2026, 1, 2)) is None
    counted = plan(read_rule("first friday for 3 sessions"), date(2026, 1, 1), time(19), LONDON)
    assert end_before(counted, date(2026, 6, 1)) == counted
    cut = end_before(counted, date(2026, 3, 1))
    assert cut is not None
    assert cut.rrule == "FREQ=MONTHLY;BYDAY=1FR;UNTIL=20260206T190000Z"


def test_until_as_a_date_means_through_that_local_day() -> None:
    schedule = plan(read_rule("first friday until 2026-03-06"), date(2026, 1, 1), time(19), LONDON)
    assert schedule.rrule == "FREQ=MONTHLY;BYDAY=1FR;UNTIL=20260306"
    assert [s.day for s in sessions(schedule)] == [
        date(2026, 1, 2),
        date(2026, 2, 6),
        date(2026, 3, 6),
    ]
    assert rfc_rrule(schedule) == "FREQ=MONTHLY;BYDAY=1FR;UNTIL=20260306T190000Z"
    floating = Schedule(
        "FREQ=MONTHLY;BYDAY=1FR;UNTIL=20260306T190000", datetime(2026, 1, 1, 19), LONDON
    )
    assert rfc_rrule(floating) == "FREQ=MONTHLY;BYDAY=1FR;UNTIL=20260306T190000Z"
    assert first_session(floating) == Session(date(2026, 1, 2), utc(2026, 1, 2, 19))


def test_a_series_planned_years_ahead() -> None:
    schedule = plan(read_rule("second thursday"), date(2031, 1, 1), time(19), LONDON)
    assert [s.day for s in sessions(schedule, count=3)] == [
        date(2031, 1, 9), date(2031, 2, 13), date(2031, 3, 13)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "Say how often"),
        ("whenever we feel like it", "Try: first friday"),
        ("sixth friday", "Try: first friday"),
        ("first friday and the 15th", "make two clinics"),
        ("the 32nd", "at most 31 days"),
        ("once on march 5", "Write the whole date"),
        ("FREQ=HOURLY", "at most once a day"),
        ("FREQ=DAILY;BYHOUR=9,17", "at most once a day"),
        ("FREQ=MONTHLY;COUNT=3;UNTIL=20270101", "COUNT or UNTIL, not both"),
        ("FREQ=MONTHLY;BYDAY=6FR", "1 to 5"),
        ("FREQ=MONTHLY;INTERVAL=0", "INTERVAL=0 is out of range"),
        ("FREQ=WEEKLY;BYMONTHDAY=3", "BYMONTHDAY can't be used with FREQ=WEEKLY"),
        ("FREQ=MONTHLY;BYEASTER=0", "BYEASTER isn't an RFC 5545 rule part"),
        ("FREQ=MONTHLY;BYDAY=2TH;BYDAY=1FR", "BYDAY is given twice"),
        ("DTSTART:20270101T090000\nRRULE:FREQ=MONTHLY", "only the rule itself"),
        ("FREQ=FORTNIGHTLY", "isn't a frequency"),
        ("FREQ=MONTHLY;BYDAY=XX", "isn't a weekday"),
        ("FREQ=MONTHLY;UNTIL=tomorrow", "UNTIL should look like"),
        ("FREQ=MONTHLY;BYSETPOS=2", "BYSETPOS picks among"),
    ],
)
def test_an_unreadable_rule_says_what_to_write(typed: str, says: str) -> None:
    with pytest.raises(OptionError) as err:
        read_rule(typed)
    assert err.value.option == "rule"
    assert says in err.value.message
    assert "\n" not in err.value.message


@pytest.mark.parametrize(
    ("rrule", "says"),
    [
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "No date from 1 March 2026 on fits that rule"),
        # A rule that never matches is refused without searching to the year 9999.
        ("FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31", "No date from 1 March 2026 on fits that rule"),
        ("FREQ=MONTHLY;BYDAY=1FR;BYMONTHDAY=20", "No date from 1 March 2026 on fits that rule"),
        (
            "FREQ=YEARLY;INTERVAL=3;BYMONTH=1;BYMONTHDAY=1",
            "no session in the year from 1 March 2026: the first would be on 1 January 2029",
        ),
        (
            "FREQ=MONTHLY;BYMONTH=2;BYDAY=5MO",
            "no session in the year from 1 March 2026: the first would be on 29 February 2044",
        ),
        ("FREQ=MONTHLY;UNTIL=20260201T000000Z", "ends before its first session"),
    ],
)
def test_a_rule_with_no_session_in_its_first_year_is_refused(rrule: str, says: str) -> None:
    with pytest.raises(OptionError) as err:
        plan(read_rule(rrule), date(2026, 3, 1), time(19), LONDON)
    assert err.value.option == "rule"
    assert says in err.value.message


@pytest.mark.parametrize("zone", ["Mars/Olympus", "America", "", "../etc/passwd", "x" * 300])
def test_an_unknown_zone_names_its_option(zone: str) -> None:
    with pytest.raises(OptionError) as err:
        plan(read_rule("first friday"), date(2026, 3, 1), time(19), zone)
    assert err.value.option == "timezone"


def test_a_missing_start_names_its_option() -> None:
    with pytest.raises(OptionError) as err:
        plan(read_rule("first friday"), None, time(19), LONDON)
    assert err.value.option == "start"
