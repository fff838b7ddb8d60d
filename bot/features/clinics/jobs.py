"""Clinics' timed work: announcements, reminders and attendance, each ``run`` beside its
``next_due`` so both read the same state.

- Announcements: each session goes to the clinics channel its series' lead time before it
  starts (7 days by default), which stores the session.
- Reminders: DMs to those going at each of the community's reminder times (24 h and 1 h by
  default), unless they turned them off, and the host's roster. A reminder time that passed
  while the bot was down is sent once at start; several passed at once send one reminder.
- Attendance: when a session ends, those going are recorded as attended unless the host
  said otherwise, and the announcement shows it was held.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.features.base import Job
from bot.features.clinics import cards, mirror
from bot.features.clinics.models import Roster, Series, Upcoming
from bot.features.clinics.store import ClinicStore
from bot.features.clinics.timeline import upcoming
from bot.models import NewOutbox

# Sessions starting at this very moment have begun: they are no longer announced.
_JUST_AFTER = timedelta(microseconds=1)


def _announce_messages(roster: Roster) -> list[NewOutbox]:
    card = cards.announcement_card(roster)
    post = cards.channel_post(roster.series, card, f"clinic-announce:{roster.session.id}")
    return [post, *mirror.announced(roster)]


async def _unannounced(store: ClinicStore, now: datetime) -> list[tuple[Series, Upcoming]]:
    """Each live series' first coming session not yet announced (cancelled ones skipped)."""
    live = await store.live_series()
    rows = await store.session_rows([s.id for s in live], now)
    found = []
    for series in live:
        mine = [r for r in rows if r.series_id == series.id]
        announced = sum(1 for r in mine if r.announcement_id is not None and r.starts_at > now)
        items = upcoming(
            series, mine, not_before=now + _JUST_AFTER, count=announced + 1, with_cancelled=False
        )
        first = next((u for u in items if u.row is None or u.row.announcement_id is None), None)
        if first is not None:
            found.append((series, first))
    return found


async def announce(store: ClinicStore, now: datetime) -> int:
    """Announce every session whose lead time has come; how many were announced."""
    done = 0
    while True:
        due = [(s, u) for s, u in await _unannounced(store, now) if u.starts_at - s.lead <= now]
        if not due:
            return done
        for series, item in due:
            if not await store.announce_session(
                series, item.day, item.starts_at, now, _announce_messages
            ):
                return done  # stored as it was read elsewhere: the next tick looks again
            done += 1


async def next_announcement(store: ClinicStore, now: datetime) -> datetime | None:
    """When the next announcement is due."""
    due = [u.starts_at - s.lead for s, u in await _unannounced(store, now)]
    return min(due, default=None)


def _reminder_messages(roster: Roster, minutes: int) -> list[NewOutbox]:
    session, series = roster.session, roster.series
    tag = f"{session.id}.{session.sequence}"
    reminders = [
        cards.dm(
            series,
            r.member_id,
            cards.reminder_card(roster, r),
            f"clinic-remind:{tag}:{r.member_id}:{minutes}",
        )
        for r in roster.seated
        if r.reminders and r.member_id != series.host_id
    ]
    host = cards.dm(
        series, series.host_id, cards.roster_card(roster), f"clinic-roster:{tag}:{minutes}"
    )
    return [*reminders, host]


async def remind(store: ClinicStore, now: datetime) -> int:
    """Send every reminder whose time has come; how many sessions were reminded."""
    done = 0
    for pending in await store.pending_reminders(now):
        starts = pending.session.starts_at
        due = [m for m in pending.minutes if starts - timedelta(minutes=m) <= now]
        if not due:
            continue
        closest = min(due)

        def messages(roster: Roster, closest: int = closest) -> list[NewOutbox]:
            return _reminder_messages(roster, closest)

        if await store.record_reminders(pending.session, due, now, messages):
            done += 1
    return done


async def next_reminder(store: ClinicStore, now: datetime) -> datetime | None:
    """When the next reminder is due."""
    times = [
        p.session.starts_at - timedelta(minutes=m)
        for p in await store.pending_reminders(now)
        for m in p.minutes
    ]
    return min(times, default=None)


async def record_attendance(store: ClinicStore, now: datetime) -> int:
    """Close every session that has ended; how many were closed."""
    return await store.close_ended_sessions(now, cards.edit_announcement)


async def next_attendance(store: ClinicStore, now: datetime) -> datetime | None:
    """When the next session ends."""
    return await store.next_session_end(now)


JOBS = (
    Job("clinics.announcements", announce, next_announcement),
    # Reminders read the sessions announcements store.
    Job("clinics.reminders", remind, next_reminder, after=("clinics.announcements",)),
    Job("clinics.attendance", record_attendance, next_attendance),
)
