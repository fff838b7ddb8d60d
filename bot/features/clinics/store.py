"""What clinics ask of storage, and only that (SQLite: bot/storage/sql/clinics.py and
clinic_sessions.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.context import Context
from bot.features.clinics.models import (
    Answer,
    Fate,
    NewSeries,
    PendingReminder,
    Person,
    Roster,
    RosterMessages,
    RsvpMessages,
    RsvpResult,
    Series,
    SeriesChange,
    SessionChange,
    SessionRow,
    Tally,
)
from bot.models import NewOutbox, Sprint
from bot.storage.base import IdentityStore

# The feature's name, carried by the messages it queues.
NAME = "clinics"
# The channel purpose clinics post in; a community without one uses its announcements channel.
CLINICS = "clinics"


class SessionChanged(Exception):
    """A session or series moved on after it was read; nothing was written: read again."""


# Messages for one session a series change touched, from the state it leaves.
FateMessages = Callable[[Roster, Fate], Sequence[NewOutbox]]


class ClinicSettingsStore(Protocol):
    """A member's clinic reminders switch (read and set by /profile too)."""

    async def member_clinic_reminders(self, member_id: int) -> bool:
        """Whether the member gets clinic reminders."""
        ...

    async def set_member_clinic_reminders(self, member_id: int, on: bool) -> None:
        """Turn a member's clinic reminders on or off."""
        ...


class ClinicTallyStore(Protocol):
    """A member's clinics, for /journey."""

    async def clinic_tally(self, member_id: int) -> Tally:
        """How many clinics a member attended, presented at and hosted."""
        ...


class ClinicStore(IdentityStore, ClinicSettingsStore, ClinicTallyStore, Protocol):
    """Clinic storage; every change and the messages it queues are one transaction."""

    async def active_sprint(self, member_id: int) -> Sprint | None:
        """The member's active sprint (a presenter brings its deliverable by default)."""
        ...

    async def add_clinic_host(self, community_id: int, member_id: int, now: datetime) -> bool:
        """Make a member a host; False if they were one already."""
        ...

    async def remove_clinic_host(self, community_id: int, member_id: int) -> bool:
        """Take a member off the hosts; False if they weren't one."""
        ...

    async def clinic_hosts(self, community_id: int) -> list[Person]:
        """The community's hosts, by name."""
        ...

    async def is_clinic_host(self, community_id: int, member_id: int) -> bool:
        """Whether an admin made the member a host."""
        ...

    async def create_series(self, new: NewSeries, now: datetime) -> Series:
        """Insert a series as the next clinic number of its community."""
        ...

    async def get_series(self, series_id: int) -> Series | None:
        """A series by id."""
        ...

    async def community_series(self, community_id: int) -> list[Series]:
        """Every series of a community, every part, by number then part."""
        ...

    async def live_series(self) -> list[Series]:
        """Every series of every community that may still have sessions (for timed jobs)."""
        ...

    async def change_series(
        self, change: SeriesChange, now: datetime, messages: FateMessages
    ) -> Series | None:
        """End a series or split it (guarded: SessionChanged if not as read); the new part."""
        ...

    async def session_rows(self, series_ids: Sequence[int], since: datetime) -> list[SessionRow]:
        """Stored sessions of these series starting (or ruled to be) from ``since`` on."""
        ...

    async def get_session(self, session_id: int) -> SessionRow | None:
        """A stored session by id."""
        ...

    async def session_on(self, series_id: int, day: date) -> SessionRow | None:
        """A series' stored session on the local date its rule gives it."""
        ...

    async def ensure_session(
        self, series: Series, day: date, starts_at: datetime, now: datetime
    ) -> SessionRow:
        """Store a session the rule gives (if it isn't yet) and return it."""
        ...

    async def roster(self, session_id: int) -> Roster:
        """A session with its series and everyone who answered."""
        ...

    async def seat_counts(self, session_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        """Per session: (seats taken, waitlisted)."""
        ...

    async def announce_session(
        self,
        series: Series,
        day: date,
        starts_at: datetime,
        now: datetime,
        messages: RosterMessages,
    ) -> bool:
        """Queue a session's announcement once (storing the session); False if it had one."""
        ...

    async def change_session(
        self, change: SessionChange, now: datetime, messages: RosterMessages
    ) -> Roster:
        """Cancel or move a session not yet started (guarded: SessionChanged if not as read)."""
        ...

    async def answer_rsvp(
        self,
        session_id: int,
        member_id: int,
        answer: Answer,
        bring: str,
        now: datetime,
        messages: RsvpMessages,
    ) -> RsvpResult:
        """Record an answer, deciding seat or waitlist (and any promotion) in one write."""
        ...

    async def record_notes(
        self,
        session_id: int,
        notes: str,
        recording: str | None,
        absent: Sequence[int],
        now: datetime,
        messages: RosterMessages,
    ) -> Roster:
        """Keep a session's notes and recording; mark these members as not attended."""
        ...

    async def pending_reminders(self, now: datetime) -> list[PendingReminder]:
        """Coming sessions with reminders not yet sent (by the community's reminder times)."""
        ...

    async def record_reminders(
        self,
        read: SessionRow,
        minutes: Sequence[int],
        now: datetime,
        messages: RosterMessages,
    ) -> bool:
        """Record these reminders of a session with their DMs, once; False if already done."""
        ...

    async def next_session_end(self, now: datetime) -> datetime | None:
        """When the next held session ends and its attendance is due."""
        ...

    async def close_ended_sessions(self, now: datetime, messages: RosterMessages) -> int:
        """Record attendance of every session that has ended; how many were closed."""
        ...

    async def clinic_reminders(self, community_id: int) -> tuple[timedelta, ...]:
        """The community's reminder times before a session."""
        ...

    async def set_clinic_reminders(self, community_id: int, offsets: Sequence[timedelta]) -> None:
        """Change the community's reminder times."""
        ...


# What a clinic command's handler gets.
ClinicContext = Context[ClinicStore]
