"""A clinic's sessions as people see them: the rule's dates merged with what is stored.

The rule (``recurrence.sessions``) gives each date; a stored row overrides it (moved,
cancelled, announced, answered). A numbered clinic may be several series (parts) after an
edit: its sessions are all of theirs, in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from bot.features.clinics.models import Series, SessionRow, SessionStatus, Upcoming
from bot.features.clinics.recurrence import occurring, sessions


def upcoming(
    series: Series,
    rows: Iterable[SessionRow],
    *,
    not_before: datetime,
    before: datetime | None = None,
    count: int | None = None,
    with_cancelled: bool = True,
) -> list[Upcoming]:
    """A series' sessions starting in ``[not_before, before)``, at most ``count`` of them.

    Cancelled sessions are listed too, unless ``with_cancelled`` is off.
    """
    if series.void:
        return []
    mine = {r.day: r for r in rows if r.series_id == series.id}
    found = sessions(
        series.schedule,
        not_before=not_before,
        before=before,
        count=count,
        cancelled=[d for d, r in mine.items() if r.cancelled],
        moved={d: r.starts_at for d, r in mine.items() if r.status is SessionStatus.MOVED},
    )
    items = [
        Upcoming(
            series, s.day, mine[s.day].starts_at if s.day in mine else s.starts_at, mine.get(s.day)
        )
        for s in found
    ]
    if with_cancelled:
        # Only days the rule still gives: a session cut off by an edit or an end is gone.
        ruled = occurring(series.schedule, [d for d, r in mine.items() if r.cancelled])
        items += [
            Upcoming(series, r.day, r.starts_at, r)
            for r in mine.values()
            if r.cancelled
            and r.day in ruled
            and r.starts_at >= not_before
            and (before is None or r.starts_at < before)
        ]
    items.sort(key=lambda u: (u.starts_at, u.series.id))
    return items if count is None else items[:count]


def clinic_sessions(
    parts: Sequence[Series],
    rows: Iterable[SessionRow],
    *,
    not_before: datetime,
    before: datetime | None = None,
    count: int | None = None,
    with_cancelled: bool = True,
) -> list[Upcoming]:
    """The sessions of every part of a clinic, in order (at most ``count``)."""
    stored = list(rows)
    items: list[Upcoming] = []
    for series in parts:
        items += upcoming(
            series,
            stored,
            not_before=not_before,
            before=before,
            count=count,
            with_cancelled=with_cancelled,
        )
    items.sort(key=lambda u: (u.starts_at, u.series.id))
    return items if count is None else items[:count]


def on_date(parts: Sequence[Series], rows: Iterable[SessionRow], day: date) -> list[Upcoming]:
    """A clinic's sessions on a local date: where they take place, or the date the rule gave."""
    stored = list(rows)
    # Local dates are within a day of UTC ones; two days either side cover any zone.
    start = datetime.combine(day - timedelta(days=2), time.min, UTC)
    near = clinic_sessions(parts, stored, not_before=start, before=start + timedelta(days=5))
    found = [u for u in near if u.starts_at.astimezone(u.series.schedule.tz).date() == day]
    by_rule = [
        Upcoming(s, r.day, r.starts_at, r)
        for s in parts
        for r in stored
        if r.series_id == s.id and r.day == day and not s.void
    ]
    for item in by_rule:
        if not any(u.series.id == item.series.id and u.day == item.day for u in found):
            found.append(item)
    return sorted(found, key=lambda u: (u.starts_at, u.series.id))
