"""What people type for clinics: lengths, reminder times, where a session moves, where it meets."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from bot.errors import OptionError
from bot.features.clinics.cards import length, place
from bot.features.clinics.inputs import offsets_text, read_duration, read_moment, read_offsets
from bot.messages import ChannelLink

TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [("90", 90), ("90m", 90), ("90 min", 90), ("2h", 120), ("1h30", 90), ("1.5 hours", 90),
     ("12h", 720), ("1,5h", 90), ("45 minutes", 45)],
)  # fmt: skip
def test_lengths_are_read_in_minutes_or_hours(typed: str, minutes: int) -> None:
    assert read_duration(typed) == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [("12h01", "at most 12 hours"), ("2m", "at least 5 minutes"), ("", "can't read"),
     ("an hour", "can't read")],
)  # fmt: skip
def test_lengths_out_of_bounds_are_refused(typed: str, problem: str) -> None:
    with pytest.raises(OptionError, match=problem):
        read_duration(typed)


def test_reminder_times_are_read_longest_first_and_said_back() -> None:
    offsets = read_offsets("1h, 24h,2d , 30m")
    assert offsets == (timedelta(days=2), timedelta(hours=24), timedelta(hours=1),
                       timedelta(minutes=30))  # fmt: skip
    assert offsets_text(offsets) == "2d, 1d, 1h, 30m"
    assert read_offsets("off") == ()
    with pytest.raises(OptionError, match="at most 4"):
        read_offsets("1h,2h,3h,4h,5h")
    with pytest.raises(OptionError, match="between 5 minutes and 7 days"):
        read_offsets("8d")


@pytest.mark.parametrize(
    ("typed", "day", "at"),
    [
        ("2027-03-12", date(2027, 3, 12), None),
        ("2027-03-12 18:30", date(2027, 3, 12), time(18, 30)),
        ("friday at 7pm", date(2026, 12, 4), time(19)),
        ("12 March 9:15", date(2027, 3, 12), time(9, 15)),
    ],
)
def test_a_new_date_may_carry_a_time(typed: str, day: date, at: time | None) -> None:
    assert read_moment(typed, TODAY) == (day, at)


def test_lengths_and_places_as_shown() -> None:
    assert [length(timedelta(minutes=m)) for m in (45, 90, 120, 150)] == [
        "45 min", "90 min", "2 h", "2 h 30 min",
    ]  # fmt: skip
    assert place("<#123456>") == (ChannelLink("123456"),)
    assert place("<#C024BE91L|studio-a>") == (ChannelLink("C024BE91L"),)
    assert place("Studio A, <@&999>") == ("Studio A, <@&999>",)  # literal: adapters escape it
    assert place("") == ("to be announced",)
