"""Clinics as iCalendar (RFC 5545): one file for a series, or a feed of a community's series.

Each series is a VEVENT with DTSTART in its own zone, DURATION, RRULE and EXDATE for the
cancelled sessions; each moved session is a VEVENT with the series' UID and RECURRENCE-ID;
the VTIMEZONE of every zone used comes from zoneinfo. A series edited from a date on is two
entries (two UIDs), the first cut with ``recurrence.end_before``, so its RRULE has an UNTIL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vDuration, vRecur

from bot.features.clinics.recurrence import (
    Schedule,
    first_session,
    occurring,
    rfc_rrule,
    wall_to_utc,
)

MEDIA_TYPE = "text/calendar"
PRODID = "-//Crossfade//Clinics//EN"
# VTIMEZONE covers this long past the latest date in the file; later, apps use their own rules.
_ZONE_AHEAD = timedelta(days=3660)


@dataclass(frozen=True)
class MovedSession:
    """One session moved away from where its rule puts it."""

    original: date  # the local date its rule gives it: its RECURRENCE-ID
    starts_at: datetime  # the new start, aware
    reason: str = ""
    sequence: int = 1


@dataclass(frozen=True)
class SeriesEntry:
    """One clinic series as the calendar shows it, independent of how it is stored."""

    uid: str  # stable, e.g. clinic-12@community-3.crossfade
    title: str
    description: str
    location: str
    url: str | None
    rrule: str
    start_local: datetime  # naive: local date and wall-clock time the series starts
    zone: str
    duration: timedelta
    cancelled: tuple[date, ...] = ()
    moved: tuple[MovedSession, ...] = ()
    sequence: int = 0

    @property
    def schedule(self) -> Schedule:
        """The series' recurrence, for expanding it."""
        return Schedule(self.rrule, self.start_local, self.zone)


def calendar_file(
    entries: Iterable[SeriesEntry],
    *,
    stamp: datetime,
    name: str,
    refresh: timedelta | None = None,
) -> bytes:
    """An .ics file of these series; ``stamp`` (aware) is when it is written."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    if refresh is not None:
        # How often a subscribed app should fetch the feed again (RFC 7986, and Outlook's).
        calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(refresh))
    earliest = latest = stamp.astimezone(UTC).date()
    for entry in entries:
        for event, day in _events(entry, stamp):
            calendar.add_component(event)
            earliest, latest = min(earliest, day), max(latest, day)
    # Whole years, so one VTIMEZONE serves every file of those years (see _vtimezone).
    first = date(earliest.year - 1, 1, 1)
    last = date((latest + _ZONE_AHEAD).year + 1, 1, 1)
    for index, tzid in enumerate(sorted(calendar.get_missing_tzids())):
        calendar.subcomponents.insert(index, _vtimezone(tzid, first, last))
    return bytes(calendar.to_ical())


@lru_cache(maxsize=256)
def _vtimezone(tzid: str, first: date, last: date) -> Timezone:
    """A zone's VTIMEZONE from zoneinfo: written once, as writing one is a feed's slowest part."""
    return Timezone.from_tzid(tzid, first_date=first, last_date=last)


def _events(entry: SeriesEntry, stamp: datetime) -> list[tuple[Event, date]]:
    """The series' VEVENTs, each with its earliest date (for the VTIMEZONE's range)."""
    schedule = entry.schedule
    first = first_session(schedule)
    if first is None:
        return []
    zone = ZoneInfo(entry.zone)
    at = entry.start_local.time()
    real = occurring(schedule, {*entry.cancelled, *(m.original for m in entry.moved)})
    cancelled = sorted(day for day in set(entry.cancelled) if day in real)
    # RFC 5545 leaves a DTSTART that the rule doesn't give undefined: start at the first session.
    series = _event(entry, stamp, entry.sequence)
    series.add("dtstart", datetime.combine(first.day, at, tzinfo=zone))
    series.add("rrule", vRecur.from_ical(rfc_rrule(schedule)))
    if cancelled:
        series.add("exdate", [datetime.combine(day, at, tzinfo=zone) for day in cancelled])
    found = [(series, first.day)]
    for move in entry.moved:
        if move.original not in real or move.original in cancelled:
            continue
        moved = _event(entry, stamp, move.sequence, reason=move.reason)
        moved.add("recurrence-id", datetime.combine(move.original, at, tzinfo=zone))
        moved.add("dtstart", _in_zone(move.starts_at, zone))
        found.append((moved, min(move.original, move.starts_at.astimezone(UTC).date())))
    return found


def _event(entry: SeriesEntry, stamp: datetime, sequence: int, reason: str = "") -> Event:
    event = Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("summary", entry.title)
    description = f"Moved: {reason}\n\n{entry.description}" if reason else entry.description
    if description:
        event.add("description", description)
    if entry.location:
        event.add("location", entry.location)
    if entry.url:
        event.add("url", entry.url)
    event.add("duration", entry.duration)
    event.add("sequence", sequence)
    return event


def _in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    """A moment in the series' zone when its wall-clock time names it exactly, else in UTC."""
    local = moment.astimezone(zone)
    # The second pass of an overlap (fold=1) can't be written as local time with a TZID.
    if wall_to_utc(local.replace(tzinfo=None), zone) == moment.astimezone(UTC):
        return local.replace(fold=0)
    return moment.astimezone(UTC)
