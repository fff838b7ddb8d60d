"""Weekly check-in times in a member's own zone, right across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import WEEKLY, rrule


def local_wall_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC moment of a local wall-clock time.

    A time that doesn't exist (skipped by a spring-forward change) lands just after the
    gap, and a time that happens twice (fall-back) uses its first occurrence.
    """
    # fold=0 (PEP 495) reads a time in a gap with the offset before the change, which lands
    # it just past the gap (02:30 -> 03:30), and an ambiguous time as its first occurrence.
    return datetime.combine(day, at).replace(tzinfo=zone, fold=0).astimezone(UTC)


def next_slot(after: datetime, weekday: int, at: time, zone: ZoneInfo) -> datetime:
    """The first weekly slot (weekday at local time) strictly after ``after``, in UTC."""
    local_after = after.astimezone(zone).replace(tzinfo=None)
    # Start a day early so a slot earlier today (local) is still considered, then filter.
    start = datetime.combine(local_after.date() - timedelta(days=1), at)
    rule = rrule(WEEKLY, byweekday=weekday, dtstart=start, count=4)
    for occurrence in rule:
        moment = local_wall_to_utc(occurrence.date(), at, zone)
        if moment > after:
            return moment
    raise AssertionError("a weekly rule always has a slot within four weeks")


def slot_at_or_after(moment: datetime, weekday: int, at: time, zone: ZoneInfo) -> datetime:
    """The first weekly slot at ``moment`` or later, in UTC (a slot itself maps to itself)."""
    # Datetimes count whole microseconds: strictly after one microsecond earlier is at or after.
    return next_slot(moment - timedelta(microseconds=1), weekday, at, zone)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC moment a local day begins."""
    return local_wall_to_utc(day, time(0, 0), zone)
