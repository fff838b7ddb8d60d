"""Stored clinics as calendar entries (``ical.SeriesEntry``), for the .ics file and the feed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.features.clinics.ical import MovedSession, SeriesEntry
from bot.features.clinics.models import Series, SessionRow, SessionStatus


def series_entries(series: Sequence[Series], rows: Iterable[SessionRow]) -> list[SeriesEntry]:
    """Each series with sessions, with its cancelled days and moved sessions from ``rows``."""
    stored = list(rows)
    entries = []
    for one in series:
        if one.void:
            continue
        mine = [r for r in stored if r.series_id == one.id]
        entries.append(
            SeriesEntry(
                uid=one.uid,
                title=one.title,
                description=f"Bring: {one.bring}" if one.bring else "",
                location=one.location,
                url=None,
                rrule=one.schedule.rrule,
                start_local=one.schedule.start,
                zone=one.schedule.zone,
                duration=one.duration,
                cancelled=tuple(r.day for r in mine if r.cancelled),
                moved=tuple(
                    MovedSession(r.day, r.starts_at, r.reason, r.sequence)
                    for r in mine
                    if r.status is SessionStatus.MOVED
                ),
                sequence=one.sequence,
            )
        )
    return entries
