"""Turning raw option values (typed text or platform values) into checked Python values."""

from __future__ import annotations

import difflib
import re
import zoneinfo
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime, time, timedelta
from functools import cache
from urllib.parse import urlparse

from dateutil import parser as dateparser

from bot.commands.args import Args
from bot.commands.registry import Command, Option, OptionType
from bot.errors import OptionError, UserError
from bot.models import Member

MemberLookup = Callable[[str], Awaitable[Member | None]]

# SQLite's integers are 64-bit; nothing we count comes near this.
MAX_INT = 2**53
# A clearable text given as one of these is emptied (a blocker resolved, skills removed).
CLEAR_WORDS = ("none", "-")
_TRUE = {"yes", "y", "true", "on", "1"}
_FALSE = {"no", "n", "false", "off", "0"}
# <@U123>, <@U123|name>, <@!123>, @name or a bare name/id.
_MENTION = re.compile(r"^<@!?([A-Za-z0-9]+)(?:\|[^>]*)?>$")


@cache
def all_timezones() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted."""
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"))


def timezone_matches(typed: str, limit: int = 5) -> list[str]:
    """Zones matching a partly typed name: prefix and substring first, then close spellings."""
    needle = typed.strip().lower().replace(" ", "_")
    if not needle:
        return list(all_timezones()[:limit])
    zones = all_timezones()
    starts = [z for z in zones if z.lower().startswith(needle)]
    city = [z for z in zones if z.lower().split("/")[-1].startswith(needle) and z not in starts]
    inside = [z for z in zones if needle in z.lower() and z not in starts and z not in city]
    found = (starts + city + inside)[:limit]
    if not found:
        # Misspellings: "lodnon" or "Europe/Lodnon".
        by_name = {z.split("/")[-1].lower(): z for z in zones} | {z.lower(): z for z in zones}
        close = difflib.get_close_matches(needle, list(by_name), n=limit, cutoff=0.7)
        found += [by_name[c] for c in close if by_name[c] not in found]
    return found[:limit]


def parse_timezone(option: str, raw: str) -> str:
    """Validate an IANA zone name, offering matches when it was typed partly."""
    typed = raw.strip()
    exact = {z.lower(): z for z in all_timezones()}
    if typed.lower() in exact:
        return exact[typed.lower()]
    matches = timezone_matches(typed, 3)
    if len(matches) == 1 and typed and "/" not in typed:
        # "kolkata" or "adelaide" can only mean one zone; take it.
        return matches[0]
    hint = f" Did you mean {', '.join(matches)}?" if matches else ""
    raise OptionError(
        option, f"'{typed}' is not a time zone I know.{hint} Use an IANA name like Europe/London."
    )


def parse_date(option: str, raw: str, today: date) -> date:
    """Read a date: ``today``, ``tomorrow``, ``2026-12-01`` or a written date."""
    typed = raw.strip().lower()
    if typed == "today":
        return today
    if typed == "tomorrow":
        return today + timedelta(days=1)
    try:
        return date.fromisoformat(typed)
    except ValueError:
        pass
    try:
        default = datetime(today.year, today.month, today.day)
        return dateparser.parse(raw, default=default).date()
    except (ValueError, OverflowError):
        raise OptionError(
            option, f"I couldn't read '{raw.strip()}' as a date. Use YYYY-MM-DD, e.g. 2026-12-01."
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


def _parse_url(opt: Option, raw: str) -> str:
    value = raw.strip().strip("<>")
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or " " in value:
        raise OptionError(opt.name, f"{opt.title} must be a web link starting with https://.")
    return value


async def parse_value(opt: Option, raw: object, today: date, find_member: MemberLookup) -> object:
    """Check one raw value against its option; raises OptionError naming what to fix."""
    if opt.type is OptionType.INTEGER:
        return _parse_int(opt, raw)
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
        day = parse_date(opt.name, text, today)
        if opt.not_past and day < today:
            raise OptionError(
                opt.name, f"{opt.title} {day.isoformat()} is in the past; pick today or later."
            )
        return day
    if opt.type is OptionType.TIME:
        return parse_time(opt.name, text)
    if opt.type is OptionType.TIMEZONE:
        return parse_timezone(opt.name, text)
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
