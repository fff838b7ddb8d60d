"""Reading what people type for clinics: a clinic by title or number, durations, moments."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, time, timedelta

from bot.commands.registry import Direction
from bot.commands.values import parse_date, parse_time
from bot.errors import OptionError, UserError
from bot.features.clinics.models import Series

MAX_DURATION = timedelta(hours=12)
MIN_DURATION = timedelta(minutes=5)
DEFAULT_DURATION = timedelta(minutes=90)
MAX_REMINDERS = 4
MAX_REMINDER = timedelta(days=7)
MIN_REMINDER = timedelta(minutes=5)
OFF_WORDS = ("off", "none", "no", "0")

_DURATION = re.compile(
    r"(?:(?P<hours>\d{1,3}(?:[.,]\d{1,2})?)\s*(?:h|hrs?|hours?))?\s*"
    r"(?:(?P<minutes>\d{1,4})\s*(?:m|mins?|minutes?)?)?"
)
_OFFSET = re.compile(r"(?P<number>\d{1,4})\s*(?P<unit>m|mins?|minutes?|h|hrs?|hours?|d|days?)")
_TRAILING_TIME = re.compile(
    r"^(?P<day>.+?)\s+(?:at\s+)?(?P<time>\d{1,2}(?::\d{2})\s*(?:am|pm)?|\d{1,2}\s*(?:am|pm))$"
)


def read_duration(raw: str, *, option: str = "duration") -> timedelta:
    """A clinic's length: ``90``, ``90m``, ``2h``, ``1h30``, ``1.5 hours``; at most 12 hours."""
    typed = raw.strip().lower()
    found = _DURATION.fullmatch(typed)
    if not typed or found is None or not (found.group("hours") or found.group("minutes")):
        raise OptionError(
            option,
            f"I can't read '{raw.strip()[:40]}' as a length: write 90 (minutes), 2h or 1h30.",
        )
    hours = float((found.group("hours") or "0").replace(",", "."))
    length = timedelta(hours=hours, minutes=int(found.group("minutes") or 0))
    if length > MAX_DURATION:
        raise OptionError(option, "A clinic lasts at most 12 hours: give a shorter duration.")
    if length < MIN_DURATION:
        raise OptionError(option, "A clinic lasts at least 5 minutes: give a longer duration.")
    return timedelta(minutes=int(length.total_seconds() // 60))


def read_offsets(raw: str, *, option: str = "reminders") -> tuple[timedelta, ...]:
    """Reminder times before a session: ``24h,1h``, ``2d, 30m``, or ``off``; longest first."""
    typed = raw.strip().lower()
    if typed in OFF_WORDS:
        return ()
    found: set[timedelta] = set()
    for piece in typed.split(","):
        match = _OFFSET.fullmatch(piece.strip())
        if match is None:
            raise OptionError(
                option,
                f"I can't read '{piece.strip()[:20]}' as a time before the session: "
                "write reminders like 24h,1h (or 2d, 30m), or off.",
            )
        number, unit = int(match.group("number")), match.group("unit")[0]
        offset = {"m": timedelta(minutes=number), "h": timedelta(hours=number)}.get(
            unit, timedelta(days=number)
        )
        if not MIN_REMINDER <= offset <= MAX_REMINDER:
            raise OptionError(option, "Each reminder goes between 5 minutes and 7 days before.")
        found.add(offset)
    if len(found) > MAX_REMINDERS:
        raise OptionError(option, f"Give at most {MAX_REMINDERS} reminder times.")
    return tuple(sorted(found, reverse=True))


def offsets_text(offsets: Sequence[timedelta]) -> str:
    """Reminder times as typed back: "24h, 1h", or "off"."""
    said = []
    for offset in offsets:
        minutes = int(offset.total_seconds() // 60)
        if minutes % 1440 == 0:
            said.append(f"{minutes // 1440}d")
        elif minutes % 60 == 0:
            said.append(f"{minutes // 60}h")
        else:
            said.append(f"{minutes}m")
    return ", ".join(said) or "off"


def read_moment(raw: str, today: date, *, option: str = "to") -> tuple[date, time | None]:
    """Where a session moves to: a date, optionally with a time (``2027-03-12 18:30``)."""
    typed = " ".join(raw.strip().lower().split())
    found = _TRAILING_TIME.fullmatch(typed)
    if found is not None:
        day_text, at = found.group("day"), parse_time(option, found.group("time"))
    else:
        day_text, at = typed, None
    try:
        day = parse_date(option, day_text, today, Direction.FUTURE)
    except OptionError:
        raise OptionError(
            option,
            f"I can't read '{raw.strip()[:40]}' as a new date: write 2027-03-12, "
            "or a date with a time like 2027-03-12 18:30.",
        ) from None
    return day, at


def find_clinic(series: Sequence[Series], ref: str) -> list[Series]:
    """A clinic's parts (oldest first) by its number (``3``, ``#3``) or title."""
    typed = " ".join(ref.split()).lstrip("#").strip()
    numbers = sorted({s.number for s in series})
    if typed.isdigit():
        parts = [s for s in series if s.number == int(typed)]
        if parts:
            return parts
        raise UserError(f"There is no clinic #{typed} here. /clinic list shows them.")
    current = {s.number: s for s in series}  # by number, the latest part wins
    exact = [s for s in current.values() if s.title.lower() == typed.lower()]
    near = exact or [s for s in current.values() if typed.lower() in s.title.lower()]
    if len(near) == 1:
        return [s for s in series if s.number == near[0].number]
    if not numbers:
        raise UserError("There are no clinics yet. Hosts and admins start one with /clinic create.")
    if not near:
        raise UserError(f"I know no clinic called '{typed[:60]}'. /clinic list shows them.")
    listed = ", ".join(f"#{s.number} {s.title}" for s in near[:5])
    raise UserError(f"Several clinics match '{typed[:60]}': {listed}. Give its number.")
