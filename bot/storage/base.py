"""The storage interface the core depends on; SQLite implements it, another database could."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from bot.models import (
    Actor,
    ChannelPurpose,
    CheckinWeek,
    Community,
    EndRequest,
    Member,
    NewOutbox,
    NewWeek,
    OutboxItem,
    Sprint,
    SprintStatus,
)
from bot.native_events import NativeEventStore


class ActiveSprintExists(Exception):
    """The member already has an active sprint."""


class ScheduleChanged(Exception):
    """A sprint moved on after it was read (a week opened, another change landed).

    Raised by a guarded write before anything is written: read again, decide again.
    """


@dataclass(frozen=True)
class DuePrompt:
    """A sprint whose next check-in slot has come, with its member and community."""

    sprint: Sprint
    member: Member
    community: Community
    # The member already skipped this week ahead of time.
    skipped_ahead: bool = False


@dataclass(frozen=True)
class WeekOpening:
    """One sprint moving past a week slot: the week to record, its prompt, the next slot."""

    sprint: Sprint
    week: NewWeek | None
    prompt: NewOutbox | None
    next_prompt_at: datetime | None


@dataclass(frozen=True)
class WeekTimes:
    """A recorded week's new window, moved with its sprint's schedule (guarded like it)."""

    week: CheckinWeek
    opens_at: datetime
    closes_at: datetime
    community_week: date


@dataclass(frozen=True)
class SprintMove:
    """A sprint's next prompt moved to a new slot, decided from ``sprint`` as it was read.

    The write happens only if the sprint still is as read (same week counter, length and
    next prompt); otherwise it raises ScheduleChanged and writes nothing.
    """

    sprint: Sprint
    next_prompt_at: datetime | None
    # When it was decided: the time its messages are queued at.
    at: datetime
    weeks: tuple[WeekTimes, ...] = ()
    # Edits of prompts whose "open until" changed.
    outbox: tuple[NewOutbox, ...] = ()

    @property
    def changes(self) -> bool:
        """Whether it changes anything at all (an unchanged slot leaves the sprint as it was)."""
        return self.next_prompt_at != self.sprint.next_prompt_at or bool(self.weeks)


@dataclass(frozen=True)
class DueReminder:
    """An open week whose reminder is due."""

    week: CheckinWeek
    member: Member
    community: Community
    sprint: Sprint


@dataclass(frozen=True)
class SummaryRow:
    """One member's week in a community week."""

    week: CheckinWeek
    member: Member
    sprint: Sprint


@dataclass(frozen=True)
class DueNudge:
    """A sprint nudge whose time has come (bot/sprint_nudges.py), with what it is about."""

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


@dataclass(frozen=True)
class DueOutbox:
    """A queued message ready to send, with where its community lives."""

    item: OutboxItem
    platform: str
    community_ext_id: str


class Store(NativeEventStore, Protocol):
    """Everything the core asks of storage; multi-row changes are single transactions."""

    async def close(self) -> None:
        """Release the database."""
        ...

    async def get_setting(self, key: str) -> str | None:
        """A setting kept with the database, or None if it was never set."""
        ...

    async def set_setting(self, key: str, value: str) -> None:
        """Keep a setting with the database, replacing its earlier value."""
        ...

    async def ensure_member(self, actor: Actor, now: datetime) -> tuple[Community, Member]:
        """Find or create the actor's community and member."""
        ...

    async def get_community(self, community_id: int) -> Community:
        """A community by id."""
        ...

    async def get_member(self, member_id: int) -> Member:
        """A member by id."""
        ...

    async def find_member(self, community_id: int, ref: str) -> Member | None:
        """A member by platform id or display name."""
        ...

    async def update_member(self, member: Member, *, move: SprintMove | None = None) -> None:
        """Save a member's profile and flags, and optionally move their sprint (guarded)."""
        ...

    async def set_dm_note_sent(self, member_id: int, sent: bool) -> None:
        """Record whether the member was told their DMs are closed."""
        ...

    async def remember_dm_channel(self, member_id: int, channel: str) -> None:
        """Keep a member's DM channel."""
        ...

    async def community_skills(self, community_id: int) -> list[str]:
        """Skills known in a community."""
        ...

    async def update_schedule(self, community: Community, moves: Sequence[SprintMove]) -> None:
        """Save check-in settings with the sprints they move, all or nothing (guarded)."""
        ...

    async def set_channel(self, community_id: int, purpose: ChannelPurpose, ref: str) -> None:
        """Map a channel purpose to a channel."""
        ...

    async def channels(self, community_id: int) -> dict[ChannelPurpose, str]:
        """The community's mapped channels."""
        ...

    async def create_sprint(self, sprint: Sprint, outbox: Sequence[NewOutbox] = ()) -> Sprint:
        """Insert an active sprint, numbered next in its member's sequence."""
        ...

    async def get_sprint(self, sprint_id: int) -> Sprint | None:
        """A sprint by id."""
        ...

    async def active_sprint(self, member_id: int) -> Sprint | None:
        """The member's active sprint."""
        ...

    async def member_sprints(self, member_id: int) -> list[Sprint]:
        """All of a member's sprints."""
        ...

    async def member_sprint(self, member_id: int, number: int) -> Sprint | None:
        """A member's sprint by its number in their sequence (#1, #2, …)."""
        ...

    async def active_sprints_in(self, community_id: int) -> list[tuple[Sprint, Member]]:
        """Active sprints of a community."""
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

    async def weeks(self, sprint_id: int) -> list[CheckinWeek]:
        """A sprint's check-in weeks."""
        ...

    async def add_week(self, week: NewWeek) -> CheckinWeek:
        """Record a week ahead of its prompt."""
        ...

    async def open_weeks(self, openings: Sequence[WeekOpening], now: datetime) -> int:
        """Advance sprints past a week slot, each once and only as read; returns how many moved."""
        ...

    async def save_checkin(
        self,
        week: CheckinWeek,
        *,
        progress: str,
        blockers: str,
        confidence: int,
        hours: float | None,
        now: datetime,
        outbox: Sequence[NewOutbox] = (),
    ) -> CheckinWeek:
        """Store a week's answers."""
        ...

    async def skip_week(
        self, week: CheckinWeek, reason: str, outbox: Sequence[NewOutbox], now: datetime
    ) -> None:
        """Mark an open week skipped."""
        ...

    async def unskip_week(self, week: CheckinWeek) -> bool:
        """Undo skipping a week ahead; False if that week's slot has already come."""
        ...

    async def due_prompts(self, now: datetime, limit: int = 1000) -> list[DuePrompt]:
        """Sprints whose next slot has come."""
        ...

    async def due_reminders(self, now: datetime, limit: int = 1000) -> list[DueReminder]:
        """Weeks whose reminder is due."""
        ...

    async def mark_reminded(
        self, decided: Sequence[tuple[CheckinWeek, NewOutbox | None]], now: datetime
    ) -> None:
        """Record reminder decisions."""
        ...

    async def due_summaries(self, now: datetime) -> list[tuple[int, date]]:
        """Community weeks ready for a summary."""
        ...

    async def summary_rows(self, community_id: int, community_week: date) -> list[SummaryRow]:
        """The member weeks of a community week."""
        ...

    async def streak_weeks(self, sprint_ids: Sequence[int]) -> dict[int, list[CheckinWeek]]:
        """Weeks of several sprints."""
        ...

    async def average_confidence(self, community_id: int, community_week: date) -> float | None:
        """Average confidence of a community week."""
        ...

    async def record_summary(
        self, community_id: int, community_week: date, summary: NewOutbox, now: datetime
    ) -> bool:
        """Queue a week's summary once."""
        ...

    async def due_sprint_endings(self, now: datetime, limit: int = 1000) -> list[DueNudge]:
        """Active sprints whose last check-in week has closed, not yet told so."""
        ...

    async def record_sprint_endings(self, decided: Sequence[NudgeDecision], now: datetime) -> int:
        """Record sprint endings with their DMs, each once; returns how many were new."""
        ...

    async def due_ending_reminders(self, now: datetime, limit: int = 1000) -> list[DueNudge]:
        """Sprint endings whose one reminder is due (still active, not extended)."""
        ...

    async def record_ending_reminders(self, decided: Sequence[NudgeDecision], now: datetime) -> int:
        """Record ending reminders with their DMs, each once; returns how many were new."""
        ...

    async def due_pause_offers(self, now: datetime, limit: int = 1000) -> list[DueNudge]:
        """Sprints whose third missed week in a row has closed, not yet asked to pause."""
        ...

    async def record_pause_offers(self, decided: Sequence[NudgeDecision], now: datetime) -> int:
        """Record pause questions with their DMs, once per sprint; returns how many were new."""
        ...

    async def enqueue(self, items: Sequence[NewOutbox], now: datetime) -> list[int]:
        """Queue messages (an edit supersedes unsent edits of the same message)."""
        ...

    async def due_outbox(
        self, now: datetime, platforms: Sequence[str], limit: int = 200
    ) -> list[DueOutbox]:
        """Messages ready to send."""
        ...

    async def get_outbox(self, outbox_id: int) -> OutboxItem | None:
        """A queued message by id."""
        ...

    async def claim_outbox(self, outbox_id: int) -> bool:
        """Mark a queued message as being sent; False if it is no longer queued."""
        ...

    async def mark_delivered(
        self, outbox_id: int, channel_ref: str | None, message_ref: str | None, now: datetime
    ) -> None:
        """Record a delivery."""
        ...

    async def reschedule_outbox(
        self,
        outbox_id: int,
        not_before: datetime,
        error: str,
        *,
        count_attempt: bool = True,
        unsure: bool = False,
    ) -> None:
        """Retry a message later; ``unsure``: it may have reached the platform, look first."""
        ...

    async def fail_outbox(self, outbox_id: int, error: str) -> None:
        """Give up on a message."""
        ...

    async def release_waiting(self, now: datetime) -> int:
        """Retry every waiting message now."""
        ...

    async def outbox_counts(self) -> dict[str, int]:
        """Queued messages by state."""
        ...

    async def next_due_at(self, platforms: Sequence[str], now: datetime) -> datetime | None:
        """When anything is next due."""
        ...
