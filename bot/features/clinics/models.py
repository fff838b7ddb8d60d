"""The records clinics work with: series, sessions, RSVPs and the changes made to them."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.features.clinics.recurrence import Schedule
from bot.models import NewOutbox

DEFAULT_REMINDERS = (timedelta(hours=24), timedelta(hours=1))


@dataclass(frozen=True)
class NewSeries:
    """A series about to be created (or the next part of one being edited)."""

    community_id: int
    title: str
    bring: str
    host_id: int
    schedule: Schedule
    duration: timedelta
    location: str = ""
    capacity: int | None = None
    announce_days: int = 7


@dataclass(frozen=True)
class Series:
    """One clinic series (a part of a numbered clinic), as stored."""

    id: int
    community_id: int
    number: int
    part: int
    title: str
    bring: str
    host_id: int
    host_name: str
    schedule: Schedule
    duration: timedelta
    location: str
    capacity: int | None
    announce_days: int
    void: bool
    sequence: int
    created_at: datetime

    @property
    def uid(self) -> str:
        """The series' stable calendar UID."""
        return f"clinic-{self.id}@community-{self.community_id}.crossfade"

    @property
    def lead(self) -> timedelta:
        """How long before each session its announcement goes out."""
        return timedelta(days=self.announce_days)


class SessionStatus(enum.Enum):
    """A stored session's state; a held one is 'scheduled' or 'moved' with closed_at set."""

    SCHEDULED = "scheduled"
    MOVED = "moved"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class SessionRow:
    """A session as stored: keyed by its series and the local date its rule gives it."""

    id: int
    series_id: int
    day: date
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus
    reason: str = ""
    sequence: int = 0
    announcement_id: int | None = None
    notes: str = ""
    recording: str | None = None
    closed_at: datetime | None = None

    @property
    def cancelled(self) -> bool:
        """Whether the session is off."""
        return self.status is SessionStatus.CANCELLED


class Answer(enum.Enum):
    """A member's answer to a session."""

    GOING = "going"
    PRESENTING = "presenting"
    WAITLIST = "waitlist"
    CANT = "cant"

    @property
    def seated(self) -> bool:
        """Whether the answer takes one of the session's seats."""
        return self in (Answer.GOING, Answer.PRESENTING)


@dataclass(frozen=True)
class Person:
    """A member as clinics name them."""

    member_id: int
    ext_id: str
    name: str


@dataclass(frozen=True)
class Rsvp:
    """One member's answer, with who they are."""

    member_id: int
    ext_id: str
    name: str
    answer: Answer
    bring: str = ""
    wants_present: bool = False
    waitlist_order: int | None = None
    attended: bool | None = None
    reminders: bool = True


@dataclass(frozen=True)
class Roster:
    """A session with its series and everyone who answered, as one transaction saw them."""

    series: Series
    session: SessionRow
    rsvps: tuple[Rsvp, ...] = ()

    @property
    def seated(self) -> list[Rsvp]:
        """Going and presenting members, in the order they answered."""
        return [r for r in self.rsvps if r.answer.seated]

    @property
    def presenters(self) -> list[Rsvp]:
        """Members presenting."""
        return [r for r in self.rsvps if r.answer is Answer.PRESENTING]

    @property
    def waitlist(self) -> list[Rsvp]:
        """Waitlisted members, first in line first."""
        waiting = [r for r in self.rsvps if r.answer is Answer.WAITLIST]
        return sorted(waiting, key=lambda r: r.waitlist_order or 0)

    @property
    def answered(self) -> list[Rsvp]:
        """Everyone who answered, "can't" included."""
        return list(self.rsvps)

    def of(self, member_id: int) -> Rsvp | None:
        """A member's answer, if they gave one."""
        return next((r for r in self.rsvps if r.member_id == member_id), None)

    def place(self, member_id: int) -> int | None:
        """A waitlisted member's place in line (1 is next)."""
        ids = [r.member_id for r in self.waitlist]
        return ids.index(member_id) + 1 if member_id in ids else None


@dataclass(frozen=True)
class RsvpResult:
    """What an answer did: the member's answer now, and who got a seat because of it."""

    roster: Roster
    answer: Answer
    place: int | None = None
    promoted: tuple[Rsvp, ...] = ()
    # The session had started or was off when the answer was written: nothing changed.
    closed: bool = False


@dataclass(frozen=True)
class SessionChange:
    """A session cancelled or moved, decided from the session as read (None: not stored yet)."""

    series: Series
    day: date
    read: SessionRow | None
    status: SessionStatus
    starts_at: datetime
    ends_at: datetime
    reason: str


@dataclass(frozen=True)
class Fate:
    """What a series change does to one stored session on or after its cut."""

    read: SessionRow
    # Rehomed to the new part (same day, RSVPs kept) at these times; else cancelled.
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@dataclass(frozen=True)
class SeriesChange:
    """A series ended, or split in two: the old part cut, a new part starting."""

    series: Series
    # The old part's rule after the cut; None: it keeps no session at all (void).
    cut_rrule: str | None
    new: NewSeries | None
    fates: tuple[Fate, ...]
    reason: str


@dataclass(frozen=True)
class Tally:
    """A member's clinics for /journey."""

    attended: int = 0
    presented: int = 0
    hosted: int = 0


@dataclass(frozen=True)
class PendingReminder:
    """A coming session with the reminders (minutes before its start) not yet sent."""

    series: Series
    session: SessionRow
    minutes: tuple[int, ...]


# Messages decided inside a write, from the state it leaves (pure: no I/O).
RosterMessages = Callable[[Roster], Sequence[NewOutbox]]
RsvpMessages = Callable[[RsvpResult], Sequence[NewOutbox]]


@dataclass(frozen=True)
class Upcoming:
    """One session of a series as a listing shows it: stored or only given by the rule."""

    series: Series
    day: date
    starts_at: datetime
    row: SessionRow | None = None

    @property
    def cancelled(self) -> bool:
        """Whether the session is off."""
        return self.row is not None and self.row.cancelled

    @property
    def moved(self) -> bool:
        """Whether it moved from where its rule puts it."""
        return self.row is not None and self.row.status is SessionStatus.MOVED
