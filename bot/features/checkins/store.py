"""What the check-ins feature asks of storage (SQLite: bot/storage/sql/checkins.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.features.sprints.store import SprintReads
from bot.models import CheckinWeek, Community, Member, NewOutbox, NewWeek, Sprint, WeekStatus

# The feature's name, carried by the messages it queues.
NAME = "checkins"
# Weekly summaries go to the channel admins point this purpose at.
CHECKINS = "checkins"


# A batch makes thousands of the next three: not frozen (its checks make each several
# times dearer to build), and each holds the few columns a decision needs rather than whole
# sprints and members.


@dataclass(slots=True)
class DuePrompt:
    """A sprint whose next check-in slot has come: what deciding it reads, and no more."""

    sprint_id: int
    goal: str
    # The week whose slot has come, and the sprint's length.
    week: int
    weeks: int
    next_prompt_at: datetime
    member_id: int
    # The member's own zone, if they set one.
    timezone: str | None
    paused: bool
    community: Community
    # The member already skipped this week ahead of time.
    skipped_ahead: bool = False

    @property
    def zone(self) -> ZoneInfo:
        """The member's time zone, falling back to the community's (as Member.zone)."""
        return ZoneInfo(self.timezone or self.community.default_timezone)


@dataclass(frozen=True)
class WeekSlot:
    """A week as every sprint recording it at one slot records it (sprint and week aside)."""

    status: WeekStatus
    opens_at: datetime
    closes_at: datetime
    community_week: date
    remind_at: datetime | None = None
    skip_reason: str = ""


@dataclass(slots=True)
class WeekOpening:
    """One sprint moving past a week slot: the week to record, its prompt, the next slot.

    ``week`` is None only for a week the member skipped ahead (its row is already there).
    """

    due: DuePrompt
    week: WeekSlot | None
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


@dataclass(slots=True)
class DueReminder:
    """An open week whose reminder is due: what deciding it reads."""

    week_id: int
    sprint_id: int
    week: int
    closes_at: datetime
    goal: str
    member_id: int
    paused: bool
    community: Community


@dataclass(frozen=True)
class SummaryRow:
    """One member's week in a community week."""

    week: CheckinWeek
    member: Member
    sprint: Sprint


class ScheduleStore(Protocol):
    """Moving sprints to a changed check-in slot (bot/features/checkins/reschedule.py)."""

    async def active_sprints_in(self, community_id: int) -> list[tuple[Sprint, Member]]:
        """Active sprints of a community."""
        ...

    async def streak_weeks(self, sprint_ids: Sequence[int]) -> dict[int, list[CheckinWeek]]:
        """Weeks of several sprints."""
        ...

    async def update_schedule(self, community: Community, moves: Sequence[SprintMove]) -> None:
        """Save check-in settings with the sprints they move, all or nothing (guarded)."""
        ...

    async def update_member_moving(self, member: Member, move: SprintMove | None) -> None:
        """Save a member's profile and move their sprint with it, all or nothing (guarded)."""
        ...


class CheckinStore(SprintReads, ScheduleStore, Protocol):
    """Weekly check-ins: answers, skips, and the prompts, reminders and summaries."""

    async def add_week(self, week: NewWeek) -> CheckinWeek:
        """Record a week ahead of its prompt."""
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

    async def next_prompt_at(self, now: datetime) -> datetime | None:
        """When the next sprint's slot comes (the query due_prompts reads)."""
        ...

    async def open_weeks(self, openings: Sequence[WeekOpening], now: datetime) -> int:
        """Advance sprints past a week slot, each once and only as read; returns how many moved."""
        ...

    async def due_reminders(self, now: datetime, limit: int = 1000) -> list[DueReminder]:
        """Weeks whose reminder is due."""
        ...

    async def next_reminder_at(self, now: datetime) -> datetime | None:
        """When the next reminder is due."""
        ...

    async def mark_reminded(
        self, decided: Sequence[tuple[DueReminder, NewOutbox | None]], now: datetime
    ) -> int:
        """Record reminder decisions still as read (None: a paused member's); returns how many."""
        ...

    async def due_summaries(self, now: datetime) -> list[tuple[int, date]]:
        """Community weeks ready for a summary."""
        ...

    async def next_summary_at(self, now: datetime) -> datetime | None:
        """When the next community week is ready for its summary."""
        ...

    async def summary_rows(self, community_id: int, community_week: date) -> list[SummaryRow]:
        """The member weeks of a community week."""
        ...

    async def average_confidence(self, community_id: int, community_week: date) -> float | None:
        """Average confidence of a community week."""
        ...

    async def record_summary(
        self, community_id: int, community_week: date, summary: NewOutbox, now: datetime
    ) -> bool:
        """Queue a week's summary once."""
        ...


# What a check-in command's handler gets.
CheckinContext = Context[CheckinStore]
