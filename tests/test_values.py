"""Option values as people type them."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.app import build_registry
from bot.commands.textline import parse_line
from bot.commands.values import parse_date, parse_time, parse_timezone
from bot.errors import OptionError, UserError


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("10:00", time(10)),
        ("9:30", time(9, 30)),
        ("2pm", time(14)),
        ("12am", time(0)),
        ("12:15pm", time(12, 15)),
    ],
)
def test_times(typed: str, expected: time) -> None:
    assert parse_time("time", typed) == expected


@pytest.mark.parametrize("typed", ["25:00", "13pm", "noonish", "10:75"])
def test_bad_times(typed: str) -> None:
    with pytest.raises(OptionError, match=r"is not a time of day\. Use HH:MM"):
        parse_time("time", typed)


def test_dates() -> None:
    today = date(2026, 11, 30)
    assert parse_date("start", "today", today) == today
    assert parse_date("start", "tomorrow", today) == date(2026, 12, 1)
    assert parse_date("start", "2027-01-04", today) == date(2027, 1, 4)
    assert parse_date("start", "4 January 2027", today) == date(2027, 1, 4)


def test_time_zones() -> None:
    assert parse_timezone("timezone", "europe/london") == "Europe/London"
    assert parse_timezone("timezone", "kolkata") == "Asia/Kolkata"
    assert parse_timezone("timezone", "New York") == "America/New_York"
    with pytest.raises(OptionError, match="Did you mean America/"):
        parse_timezone("timezone", "America/Ne")


def test_command_lines() -> None:
    registry = build_registry()
    parsed = parse_line(registry, "/sprint abandon reason:moving house, back in spring")
    assert parsed.raw == {"reason": "moving house, back in spring"}
    parsed = parse_line(registry, "/checkin --confidence 4 progress=“wired the desk”")
    assert parsed.command.name == "checkin submit"
    assert parsed.raw == {"confidence": "4", "progress": "wired the desk"}
    parsed = parse_line(registry, "/sprint complete https://example.org/a:b")
    assert parsed.raw == {"link": "https://example.org/a:b"}
    with pytest.raises(UserError, match="'goal' is given twice"):
        parse_line(registry, "/sprint start goal:a goal:b")


def test_misspelled_zone_gets_a_suggestion() -> None:
    with pytest.raises(OptionError, match="Did you mean Europe/London"):
        parse_timezone("timezone", "Europe/Lodnon")
