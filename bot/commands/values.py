"""Turning raw option values (typed text or platform values) into checked Python values."""

from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import urlparse

from dateutil import parser as dateparser

from bot.commands.args import Args
from bot.commands.registry import Command, Direction, Option, OptionType
from bot.commands.zones import all_timezones, parse_timezone, timezone_matches
from bot.errors import OptionError, UserError
from bot.models import Member

__all__ = [
    "MAX_INT",
    "all_timezones",
    "parse_args",
    "parse_date",
    "parse_time",
    "parse_timezone",
    "parse_value",
    "row_id",
    "timezone_matches",
]

MemberLookup = Callable[[str], Awaitable[Member | None]]

# SQLite's integers are 64-bit; nothing we count comes near this.
MAX_INT = 2**53
# A clearable text given as one of these is emptied (a blocker resolved, skills removed).
CLEAR_WORDS = ("none", "-")
_TRUE = {"yes", "y", "true", "on", "1"}
_FALSE = {"no", "n", "false", "off", "0"}
# <@U123>, <@U123|name>, <@!123>, @name or a bare name/id.
_MENTION = re.compile(r"^<@!?([A-Za-z0-9]+)(?:\|[^>]*)?>$")


_WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        )
    )
    for name in names
}
_RELATIVE = re.compile(r"^(?:(next|last|this)\s+)?([a-z]+)$")
_IN = re.compile(r"^in\s+(\d{1,3})\s+(day|week)s?$")
# Two defaults far apart: a part of the date that differs between them was not typed.
_DEFAULTS = (datetime(2000, 1, 1), datetime(2004, 12, 28))
DATE_FORMS = "YYYY-MM-DD (e.g. 2026-12-01), a date like 5 Jan, or today, tomorrow, next monday"


def _weekday(typed: str, today: date, direction: Direction) -> date | None:
    match = _RELATIVE.match(typed)
    if match is None or match.group(2) not in _WEEKDAYS:
        return None
    which, target = match.group(1), _WEEKDAYS[match.group(2)]
    ahead = (target - today.weekday()) % 7
    behind = (today.weekday() - target) % 7
    if which == "next":
        return today + timedelta(days=ahead or 7)
    if which == "last":
        return today - timedelta(days=behind or 7)
    if direction is Direction.PAST:
        return today - timedelta(days=behind)
    return today + timedelta(days=ahead)


def _roll(found: datetime, typed_year: bool, today: date, direction: Direction) -> date:
    """A date typed without its year is the next one for the future, the last for the past."""
    if typed_year:
        return found.date()
    step = -1 if direction is Direction.PAST else 1
    year = today.year
    for _ in range(9):  # 29 February comes round within eight years
        try:
            day = date(year, found.month, found.day)
        except ValueError:
            year += step
            continue
        if direction is Direction.FUTURE and day < today:
            year += 1
        elif direction is Direction.PAST and day > today:
            year -= 1
        else:
            return day
    raise ValueError("no such date")


def parse_date(option: str, raw: str, today: date, direction: Direction = Direction.ANY) -> date:
    """Read a date: ``2026-12-01``, ``5 Jan``, ``yesterday``, ``next monday``, ``in 3 days``."""
    typed = " ".join(raw.strip().lower().split())
    named = {"today": 0, "tomorrow": 1, "yesterday": -1}
    if typed in named:
        return today + timedelta(days=named[typed])
    within = _IN.match(typed)
    if within:
        count = int(within.group(1))
        return today + timedelta(days=count * (7 if within.group(2) == "week" else 1))
    weekday = _weekday(typed, today, direction)
    if weekday is not None:
        return weekday
    try:
        return date.fromisoformat(typed)
    except ValueError:
        pass
    try:
        if len(typed) > 40:
            raise ValueError("longer than any date")
        first, second = (dateparser.parse(typed, default=d) for d in _DEFAULTS)
        if (first.month, first.day) != (second.month, second.day):
            raise OptionError(option, f"'{raw.strip()}' needs a day and a month. Use {DATE_FORMS}.")
        return _roll(first, first.year == second.year, today, direction)
    except (ValueError, OverflowError):
        raise OptionError(
            option, f"I couldn't read '{raw.strip()}' as a date. Use {DATE_FORMS}."
        ) from None


def parse_time(option: str, raw: str) -> time:
    """Read a time of day: ``10:00``, ``9:30``, ``2pm``."""
    typed = raw.strip().lower()
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", typed)
    if match:
        hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
        if half and 1 <= hour <= 12:
            hour = hour % 12 + (12 if half == "pm" else 0)
        elif half:
            hour = 24  # "13pm" is no time
        if 0 <= hour < 24 and 0 <= minute < 60:
            return time(hour, minute)
    raise OptionError(option, f"'{raw.strip()}' is not a time of day. Use HH:MM, e.g. 10:00.")


def row_id(raw: str) -> int | None:
    """A database id carried by a button, or None when no row can have it."""
    if not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if value <= MAX_INT else None


def _parse_int(opt: Option, raw: object) -> int:
    if isinstance(raw, bool):
        raise OptionError(opt.name, f"{opt.title} must be a whole number.")
    if isinstance(raw, int):
        value = raw
    else:
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise OptionError(
                opt.name, f"{opt.title} must be a whole number, not '{str(raw).strip()}'."
            ) from None
    low, high = opt.min_value, opt.max_value
    if (low is not None and value < low) or (high is not None and value > high):
        if high is None:
            raise OptionError(opt.name, f"{opt.title} must be {low} or more.")
        raise OptionError(opt.name, f"{opt.title} must be between {low} and {high}.")
    if abs(value) > MAX_INT:
        raise OptionError(opt.name, f"{opt.title} is far too large.")
    return value


def _parse_choice(opt: Option, raw: str) -> str:
    typed = raw.strip().lower()
    for choice in opt.choices:
        if typed in (choice.value.lower(), choice.label.lower()):
            return choice.value
    starts = [
        c for c in opt.choices if c.value.startswith(typed) or c.label.lower().startswith(typed)
    ]
    if typed and len(starts) == 1:
        return starts[0].value
    allowed = ", ".join(c.value for c in opt.choices)
    raise OptionError(opt.name, f"{opt.title} must be one of: {allowed}.")


# Characters a browser never shows unencoded in a link: spaces, quotes, angle brackets.
_NOT_IN_LINKS = re.compile(r'[\s<>"{}|\\^`]')


def _parse_url(opt: Option, raw: str) -> str:
    value = raw.strip()
    if value.startswith("<") and value.endswith(">"):
        # Slack sends links as <https://…> or <https://…|label>.
        value = value[1:-1].split("|", 1)[0]
    problem = f"{opt.title} must be a web link starting with https://, as your browser shows it."
    if _NOT_IN_LINKS.search(value) or any(ord(c) < 32 for c in value):
        raise OptionError(opt.name, problem)
    try:
        parsed = urlparse(value)
        host = parsed.hostname
        parsed.port  # noqa: B018 -- raises for a port that isn't a number
    except ValueError:
        raise OptionError(opt.name, problem) from None
    if parsed.scheme not in ("http", "https") or not host:
        raise OptionError(opt.name, problem)
    return value


def _parse_number(opt: Option, raw: object) -> float:
    """A decimal within the option's range, in one of its steps (e.g. 5.5 or 1.75 hours)."""
    typed = str(raw).strip()
    if re.fullmatch(r"\d+,\d+", typed):
        typed = typed.replace(",", ".")  # "5,5" as many write it
    try:
        value = Decimal(typed)
    except InvalidOperation:
        value = Decimal("NaN")
    if isinstance(raw, bool) or not value.is_finite():
        raise OptionError(opt.name, f"{opt.title} must be a number, not '{str(raw).strip()}'.")
    low, high = opt.min_value, opt.max_value
    if (low is not None and value < low) or (high is not None and value > high):
        if high is None:
            raise OptionError(opt.name, f"{opt.title} must be {low} or more.")
        raise OptionError(opt.name, f"{opt.title} must be between {low} and {high}.")
    if not any((value / Decimal(str(step))) % 1 == 0 for step in opt.steps):
        allowed = " or ".join(_step_words(step) for step in opt.steps)
        raise OptionError(opt.name, f"{opt.title} can be given in {allowed}, not {typed}.")
    return float(value)


def _step_words(step: float) -> str:
    return {1.0: "whole numbers", 0.5: "halves", 0.25: "quarters", 0.1: "tenths (one decimal)"}.get(
        step, f"steps of {step:g}"
    )


async def parse_value(opt: Option, raw: object, today: date, find_member: MemberLookup) -> object:
    """Check one raw value against its option; raises OptionError naming what to fix."""
    if opt.type is OptionType.INTEGER:
        return _parse_int(opt, raw)
    if opt.type is OptionType.NUMBER:
        return _parse_number(opt, raw)
    text = str(raw)
    if opt.type is OptionType.TEXT:
        value = text.strip()
        if opt.clearable and value.lower() in CLEAR_WORDS:
            return ""
        if opt.max_length is not None and len(value) > opt.max_length:
            raise OptionError(
                opt.name,
                f"{opt.title} is {len(value)} characters; keep it to {opt.max_length} or fewer.",
            )
        return value
    if opt.type is OptionType.CHOICE:
        return _parse_choice(opt, text)
    if opt.type is OptionType.DATE:
        day = parse_date(opt.name, text, today, opt.direction)
        if opt.direction is Direction.FUTURE and day < today:
            raise OptionError(
                opt.name, f"{opt.title} {day.isoformat()} is in the past; pick today or later."
            )
        if opt.direction is Direction.PAST and day > today:
            raise OptionError(
                opt.name, f"{opt.title} {day.isoformat()} is in the future; pick today or earlier."
            )
        return day
    if opt.type is OptionType.TIME:
        return parse_time(opt.name, text)
    if opt.type is OptionType.TIMEZONE:
        # Offsets are matched against the zones' offsets on this day.
        return parse_timezone(opt.name, text, datetime.combine(today, time(12), UTC))
    if opt.type is OptionType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        if text.strip().lower() in _TRUE:
            return True
        if text.strip().lower() in _FALSE:
            return False
        raise OptionError(opt.name, f"{opt.title} must be yes or no.")
    if opt.type is OptionType.URL:
        return _parse_url(opt, text)
    # MEMBER: accept platform mention syntax, @name or a bare id/name.
    ref = text.strip()
    match = _MENTION.match(ref)
    ref = match.group(1) if match else ref.lstrip("@")
    member = await find_member(ref)
    if member is None:
        raise OptionError(opt.name, f"I don't know a member called '{ref}' here yet.")
    return member


async def parse_args(
    command: Command,
    raw: Mapping[str, object],
    *,
    today: date,
    find_member: MemberLookup,
) -> Args:
    """Validate every raw option of a command; unknown or missing options are user errors."""
    unknown = [name for name in raw if command.option(name) is None]
    if unknown:
        names = [o.name for o in command.options]
        close = difflib.get_close_matches(unknown[0], names, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        known = f" Options: {', '.join(names)}." if names else " It takes no options."
        raise UserError(f"/{command.name} has no option '{unknown[0]}'.{hint}{known}")
    values: dict[str, object] = {}
    for opt in command.options:
        value = raw.get(opt.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if opt.required:
                raise OptionError(opt.name, f"{opt.title} is required.")
            continue
        values[opt.name] = await parse_value(opt, value, today, find_member)
    return Args(values)
