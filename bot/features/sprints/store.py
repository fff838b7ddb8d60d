"""What the sprints feature asks of storage (SQLite: bot/storage/sql/sprints.py, nudges.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.context import Context
from bot.features.clinics.store import ClinicTallyStore
from bot.features.gigs.post_store import GigJourneyStore
from bot.models import CheckinWeek, Community, EndRequest, Member, NewOutbox, Sprint, SprintStatus
from bot.storage.base import IdentityStore

# The feature's name, carried by the messages it queues.
NAME = "sprints"
# Sprint news goes to the community's announcements channel (a purpose admin declares).
ANNOUNCEMENTS = "announcements"


class ActiveSprintExists(Exception):
    """The member already has an active sprint."""


class ScheduleChanged(Exception):
    """A sprint moved on after it was read (a week opened, another change landed).

    Raised by a guarded write before anything is written: read again, decide again.
    """


@dataclass(frozen=True)
class DueNudge:
    """A sprint nudge whose time has come (bot/features/sprints/jobs.py), with what it is about."""

    sprint: Sprint
    member: Member
    community: Community
    # The sprint's last week (an ending and its reminder) or the third missed week in a row.
    week: CheckinWeek
    due_at: datetime


@dataclass(frozen=True)
class NudgeDecision:
    """A decided nudge: its message and, for a sprint's ending, when to remind."""

    due: DueNudge
    message: NewOutbox
    remind_at: datetime | None = None


class SprintReads(IdentityStore, Protocol):
    """Reading sprints and their weeks: what every feature about sprints needs."""

    async def get_sprint(self, sprint_id: int) -> Sprint | None:
        """A sprint by id."""
        ...

    async def active_sprint(self, member_id: int) -> Sprint | None:
        """The member's active sprint."""
        ...

    async def weeks(self, sprint_id: int) -> list[CheckinWeek]:
        """A sprint's check-in weeks."""
        ...


class SprintStore(SprintReads, ClinicTallyStore, GigJourneyStore, Protocol):
    """Sprints: starting, editing and ending them, and the nudges about them."""

    async def create_sprint(self, sprint: Sprint, outbox: Sequence[NewOutbox] = ()) -> Sprint:
        """Insert an active sprint, numbered next in its member's sequence."""
        ...

    async def member_sprints(self, member_id: int) -> list[Sprint]:
        """All of a member's sprints."""
        ...

    async def member_sprint(self, member_id: int, number: int) -> Sprint | None:
        """A member's sprint by its number in their sequence (#1, #2, …)."""
        ...

    async def update_sprint(self, sprint: Sprint, *, read: Sprint) -> None:
        """Save an edited sprint if it is still as ``read``; else raise ScheduleChanged."""
        ...

    async def end_sprint(
        self,
        sprint: Sprint,
        status: SprintStatus,
        at: datetime,
        *,
        outcome_url: str | None = None,
        reason: str | None = None,
        outbox: Sequence[NewOutbox] = (),
    ) -> bool:
        """Complete or abandon a sprint, once: False (nothing queued) if it had already ended."""
        ...

    async def request_end(
        self,
        sprint: Sprint,
        status: SprintStatus,
        now: datetime,
        *,
        outcome_url: str | None = None,
        reason: str | None = None,
    ) -> EndRequest:
        """Keep a request to end a sprint until the member confirms it."""
        ...

    async def get_end_request(self, request_id: int) -> EndRequest | None:
        """A pending request to end a sprint."""
        ...

    async def drop_end_request(self, request_id: int) -> None:
        """Forget a cancelled request to end a sprint."""
        ...

    async def due_sprint_endings(self, now: datetime, limit: int = 1000) -> list[DueNudge]:
        """Active sprints whose last check-in week has closed, not yet told so."""
        ...

    async def next_sprint_ending_at(self, now: datetime) -> datetime | None:
        """When the next sprint ending is due (the query due_sprint_endings reads)."""
        ...

    async def record_sprint_endings(self, decided: Sequence[NudgeDecision], now: datetime) -> int:
        """Record sprint endings with their DMs, each once; returns how many were new."""
        ...

    async def due_ending_reminders(self, now: datetime, limit: int = 1000) -> list[DueNudge]:
        """Sprint endings whose one reminder is due (still active, not extended)."""
        ...

    async def next_ending_reminder_at(self, now: datetime) -> datetime | None:
        """When the next ending reminder is due."""
        ...

    async def record_ending_reminders(self, decided: Sequence[NudgeDecision], now: datetime) -> int:
        """Record ending reminders with their DMs, each once; returns how many were new."""
        ...

    async def due_pause_offers(self, now: datetime, limit: int = 1000) -> list[DueNudge]:
        """Sprints whose third missed week in a row has closed, not yet asked to pause."""
        ...

    async def next_pause_offer_at(self, now: datetime) -> datetime | None:
        """When the next pause question is due."""
        ...

    async def record_pause_offers(self, decided: Sequence[NudgeDecision], now: datetime) -> int:
        """Record pause questions with their DMs, once per sprint; returns how many were new."""
        ...


# What a sprint command's handler gets.
SprintContext = Context[SprintStore]
