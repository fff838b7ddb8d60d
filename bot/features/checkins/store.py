"""What the check-ins feature asks of storage (SQLite: bot/storage/sql/checkins.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.features.sprints.store import SprintReads
from bot.models import CheckinWeek, Community, Member, NewOutbox, NewWeek, Sprint
from bot.payload_templates import Template

# The feature's name, carried by the messages it queues.
NAME = "checkins"
# Weekly summaries go to the channel admins point this purpose at.
CHECKINS = "checkins"


# A week's prompts and reminders are decided per slot group, not per member: members sharing
# a slot share its window, its card and what happens to them, and the database writes each
# member's rows itself (bot/storage/sql/checkin_jobs.py), so nothing per member is built here.


@dataclass(frozen=True)
class PromptGroup:
    """Active sprints whose next check-in slot has come, all with one and the same slot.

    They share the moment, the community, the member's own zone setting (None: the
    community's) and the sprint's length, which is all that deciding a slot reads besides
    each member's pause and a week skipped ahead (read when the decision is written).
    """

    opens: datetime
    community: Community
    timezone: str | None
    weeks: int
    # How many sprints it held when read.
    sprints: int

    @property
    def zone(self) -> ZoneInfo:
        """The members' time zone, falling back to the community's (as Member.zone)."""
        return ZoneInfo(self.timezone or self.community.default_timezone)


@dataclass(frozen=True)
class SlotDecision:
    """What happens at a group's slot, for each of its sprints still in it when written.

    The week opening then closes at ``closes_at`` (the sprint's next slot, unless it was its
    last week). A sprint whose member skipped the week ahead just moves on; otherwise the
    week is recorded: missed if the whole window passed (``missed``), skipped if the member
    is paused, else open with a prompt (``template``: the week's card for a sprint this long)
    and a reminder at ``remind_at``.
    """

    group: PromptGroup
    closes_at: datetime
    community_week: date
    remind_at: datetime | None
    missed: bool
    template: Template | None


@dataclass(frozen=True)
class ReminderGroup:
    """Open, unanswered weeks whose reminder is due, all closing at one moment."""

    closes_at: datetime
    # How many weeks it held when read.
    weeks: int


@dataclass(frozen=True)
class ReminderDecision:
    """Each week of a group still due when written gets this reminder, unless paused."""

    group: ReminderGroup
    template: Template


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

    async def due_prompts(self, now: datetime, limit: int = 1000) -> list[PromptGroup]:
        """Sprints whose next slot has come, by slot group (earliest first, about ``limit``)."""
        ...

    async def next_prompt_at(self, now: datetime) -> datetime | None:
        """When the next sprint's slot comes (the query due_prompts reads)."""
        ...

    async def open_weeks(self, decided: Sequence[SlotDecision], now: datetime) -> int:
        """Advance each group's sprints still in it past its slot, once; returns how many moved."""
        ...

    async def due_reminders(self, now: datetime, limit: int = 1000) -> list[ReminderGroup]:
        """Weeks whose reminder is due, by closing moment (earliest due first, about ``limit``)."""
        ...

    async def next_reminder_at(self, now: datetime) -> datetime | None:
        """When the next reminder is due."""
        ...

    async def mark_reminded(self, decided: Sequence[ReminderDecision], now: datetime) -> int:
        """Record the groups' reminders, for weeks still due (a paused member's: no message)."""
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
