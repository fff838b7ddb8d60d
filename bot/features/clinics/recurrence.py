"""A clinic series' sessions: its RRULE expanded by dateutil at a local wall-clock time.

Each session is at the same wall-clock time in the clinic's zone, whatever the UTC offset
that day. A time that a daylight-saving change skips or repeats follows RFC 5545 section
3.3.5: in a gap it is read with the offset before the gap (02:30 becomes 03:30), in an
overlap it is the first of the two. A rule's UNTIL may be a date (through that local day),
a local date-time, or a UTC date-time; an .ics file always gets it in UTC.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr

from bot.errors import OptionError
from bot.features.clinics.rules import Rule, split_rrule

# The Gregorian calendar, dates and weekdays alike, repeats every 400 years.
_CYCLE_YEARS = 400
_LAST_SAFE_YEAR = 9997


@dataclass(frozen=True)
class Schedule:
    """When a series meets: an RRULE from a local wall-clock start, in an IANA time zone."""

    rrule: str
    start: datetime  # naive: the local date and wall-clock time of the series' start
    zone: str

    @property
    def tz(self) -> ZoneInfo:
        """The series' time zone."""
        return ZoneInfo(self.zone)


@dataclass(frozen=True)
class Session:
    """One meeting of a series."""

    day: date  # its local date as the rule places it: the RECURRENCE-ID key
    starts_at: datetime  # aware UTC; where it moved to, for a moved session
    moved: bool = False


def wall_to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """The UTC moment of a naive local wall-clock time, per RFC 5545 section 3.3.5."""
    # PEP 495's fold=0 reads a gap with the offset before it and an overlap as its first pass.
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def plan(rule: Rule, start: date | None, at: time, zone: str, *, option: str = "rule") -> Schedule:
    """The schedule for a rule read from a member; refuse one with no session in its first year."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America" is a folder
        raise OptionError("timezone", f"'{zone[:60]}' is not a time zone I know.") from None
    if rule.on is not None and start is not None and start != rule.on:
        raise OptionError(
            "start", f"The rule says {rule.description}: leave start empty or match it."
        )
    first_day = rule.on or start
    if first_day is None:
        raise OptionError("start", "Say when the clinic starts, e.g. start:2027-03-05.")
    schedule = Schedule(rule.rrule, datetime.combine(first_day, at), zone)
    _check_first_year(schedule, option)
    return schedule


def _check_first_year(schedule: Schedule, option: str) -> None:
    start = schedule.start.date()
    said = f"{start.day} {start:%B %Y}"
    until = _until_utc(schedule)
    first = _first_local(schedule)
    if first is not None and until is not None and wall_to_utc(first, schedule.tz) > until:
        raise OptionError(option, f"That rule ends before its first session after {said}.")
    if first is None:
        raise OptionError(
            option,
            f"No date from {said} on fits that rule. Check it: there is no 30 February, "
            "and a first Friday is never the 20th.",
        )
    if first.date() >= _add_year(start):
        raise OptionError(
            option,
            f"That rule has no session in the year from {said}: the first would be on "
            f"{first.day} {first:%B %Y}. Start nearer to it, or choose another rule.",
        )


def _add_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28) + timedelta(days=1)


def first_session(schedule: Schedule) -> Session | None:
    """The series' first session, or None if it has none (searching at most ~400 years)."""
    first = _first_local(schedule)
    if first is None:
        return None
    until = _until_utc(schedule)
    moment = wall_to_utc(first, schedule.tz)
    if until is not None and moment > until:
        return None
    return Session(first.date(), moment)


def _first_local(schedule: Schedule) -> datetime | None:
    # dateutil looks for a match up to the year 9999, which takes seconds for a rule that
    # never matches. Shifting by whole 400-year cycles keeps every date and weekday, so
    # searching near 9999 bounds that to at most one cycle.
    start = schedule.start
    shift = max(0, (_LAST_SAFE_YEAR - start.year) // _CYCLE_YEARS * _CYCLE_YEARS)
    shifted = start.replace(year=start.year + shift)
    found = _rule_without_until(schedule, shifted).after(shifted, inc=True)
    if found is None:
        return None
    return found.replace(year=found.year - shift)


def _rule_without_until(schedule: Schedule, dtstart: datetime) -> rrule:
    parts = split_rrule(schedule.rrule)
    parts.pop("UNTIL", None)
    parsed = rrulestr(";".join(f"{k}={v}" for k, v in parts.items()), dtstart=dtstart)
    if not isinstance(parsed, rrule):
        raise ValueError(f"not a single rule: {schedule.rrule}")
    return parsed


def _until_utc(schedule: Schedule) -> datetime | None:
    raw = split_rrule(schedule.rrule).get("UNTIL")
    if raw is None:
        return None
    if len(raw) == 8:
        day = datetime.strptime(raw, "%Y%m%d").date()
        return wall_to_utc(datetime.combine(day, schedule.start.time()), schedule.tz)
    if raw.endswith("Z"):
        return datetime.strptime(raw, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return wall_to_utc(datetime.strptime(raw, "%Y%m%dT%H%M%S"), schedule.tz)


def rfc_rrule(schedule: Schedule) -> str:
    """The RRULE as an .ics with a TZID start needs it: any UNTIL in UTC (RFC 5545 3.3.10)."""
    until = _until_utc(schedule)
    if until is None:
        return schedule.rrule
    parts = split_rrule(schedule.rrule)
    parts["UNTIL"] = f"{until:%Y%m%dT%H%M%SZ}"
    return ";".join(f"{k}={v}" for k, v in parts.items())


def _regular(
    schedule: Schedule, from_local: datetime | None
) -> Iterator[tuple[datetime, datetime]]:
    """The rule's own sessions in order, as (local wall-clock, UTC), from about ``from_local``."""
    zone = schedule.tz
    rule = _rule_without_until(schedule, schedule.start)
    until = _until_utc(schedule)
    if until is not None:
        # Stop dateutil a day past UNTIL's local time; the exact cut is made in UTC below.
        rule = rule.replace(until=until.astimezone(zone).replace(tzinfo=None) + timedelta(days=1))
    begin = schedule.start if from_local is None else max(schedule.start, from_local)
    for local in rule.xafter(begin, inc=True):
        moment = wall_to_utc(local, zone)
        if until is not None and moment > until:
            return
        yield local, moment


def sessions(
    schedule: Schedule,
    *,
    not_before: datetime | None = None,
    before: datetime | None = None,
    count: int | None = None,
    cancelled: Collection[date] = (),
    moved: Mapping[date, datetime] | None = None,
) -> list[Session]:
    """The sessions starting in ``[not_before, before)``, in order, at most ``count`` of them.

    ``cancelled`` holds local dates whose session is off; ``moved`` maps a session's local
    date to its new UTC start. Dates on which the rule has no session are ignored.
    """
    if count is None and before is None and not _bounded(schedule):
        raise ValueError("an endless series needs a count or a before")
    off = set(cancelled)
    moves = {day: at for day, at in (moved or {}).items() if day not in off}
    zone = schedule.tz
    from_local = None
    if not_before is not None:
        from_local = not_before.astimezone(zone).replace(tzinfo=None) - timedelta(days=2)
    found: list[Session] = []
    for local, moment in _regular(schedule, from_local):
        # Same-time sessions on later days are later in UTC too; two days cover any offset jump.
        if before is not None and moment >= before + timedelta(days=2):
            break
        if local.date() in off or local.date() in moves or not _within(moment, not_before, before):
            continue
        found.append(Session(local.date(), moment))
        if count is not None and len(found) >= count:
            break
    real = occurring(schedule, moves.keys())
    found += [
        Session(day, at, moved=True)
        for day, at in moves.items()
        if day in real and _within(at, not_before, before)
    ]
    found.sort(key=lambda s: (s.starts_at, s.day))
    return found if count is None else found[:count]


def _within(moment: datetime, not_before: datetime | None, before: datetime | None) -> bool:
    return (not_before is None or moment >= not_before) and (before is None or moment < before)


def _bounded(schedule: Schedule) -> bool:
    parts = split_rrule(schedule.rrule)
    return "COUNT" in parts or "UNTIL" in parts


def occurring(schedule: Schedule, days: Collection[date]) -> set[date]:
    """Which of these local dates the rule has a session on (before any cancel or move)."""
    if not days:
        return set()
    first, last = min(days), max(days)
    found: set[date] = set()
    for local, _ in _regular(schedule, datetime.combine(first, time.min)):
        if local.date() > last:
            break
        found.add(local.date())
    return found & set(days)


def session_on(schedule: Schedule, day: date) -> Session | None:
    """The rule's session on a local date, if it has one."""
    if day not in occurring(schedule, (day,)):
        return None
    return Session(day, wall_to_utc(datetime.combine(day, schedule.start.time()), schedule.tz))


def end_before(schedule: Schedule, day: date) -> Schedule | None:
    """The series cut so its last session is before local ``day`` (None if none would remain).

    The first half of a series edited from ``day`` on, or a series ended: UNTIL becomes the
    UTC start of its last session before ``day``, replacing any COUNT.
    """
    cut = datetime.combine(day, time.min)
    last: tuple[datetime, datetime] | None = None
    for local, moment in _regular(schedule, None):
        if local >= cut:
            break
        last = (local, moment)
    else:
        return schedule  # it ends before the day already
    if last is None:
        return None
    parts = split_rrule(schedule.rrule)
    parts.pop("COUNT", None)
    parts["UNTIL"] = f"{last[1]:%Y%m%dT%H%M%SZ}"
    return Schedule(";".join(f"{k}={v}" for k, v in parts.items()), schedule.start, schedule.zone)
