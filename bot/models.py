"""Records the core works with; storage reads and writes exactly these."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Actor:
    """Who is talking to the bot, as the platform adapter saw them."""

    platform: str
    community_id: str
    user_id: str
    display_name: str
    community_name: str = ""
    is_admin: bool = False
    channel_id: str | None = None
    timezone_hint: str | None = None


@dataclass(frozen=True)
class Community:
    """A Discord server, a Slack workspace or a console session, with its check-in settings."""

    id: int
    platform: str
    ext_id: str
    name: str
    checkin_weekday: int = 0
    checkin_time: time = time(10, 0)
    reminder_hours: int = 24
    default_timezone: str = "UTC"
    # Since when nothing is sent to it (the app uninstalled there), or None (bot/communities.py).
    paused_at: datetime | None = None
    paused_reason: str = ""


@dataclass(frozen=True)
class Member:
    """A person in a community, keyed by platform and platform user id."""

    id: int
    community_id: int
    platform: str
    ext_id: str
    display_name: str
    timezone: str | None = None
    skills: tuple[str, ...] = ()
    current_role: str = ""
    heading: str = ""
    share_blockers: bool = False
    paused: bool = False
    dm_note_sent: bool = False
    dm_channel: str | None = None

    def zone(self, community: Community) -> ZoneInfo:
        """The member's time zone, falling back to the community's default."""
        return ZoneInfo(self.timezone or community.default_timezone)


class SprintStatus(enum.Enum):
    """Where a sprint stands."""

    ACTIVE = "active"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


DELIVERABLE_KINDS: dict[str, str] = {
    "workshop": "Workshop",
    "sample-calibration": "Sample calibration",
    "video-series": "Video series",
    "other": "Other",
}


@dataclass(frozen=True)
class Sprint:
    """A three-month (by default) learning sprint with one public deliverable."""

    id: int
    member_id: int
    goal: str
    skill: str
    deliverable_kind: str
    deliverable: str
    start_date: date
    weeks: int
    status: SprintStatus
    created_at: datetime
    next_week: int
    next_prompt_at: datetime | None
    ended_at: datetime | None = None
    outcome_url: str | None = None
    abandon_reason: str | None = None
    # The member's own sequence (#1, #2, …), given by storage when the sprint is created.
    number: int = 0


@dataclass(frozen=True)
class EndRequest:
    """A request to complete or abandon a sprint, waiting for the member to confirm it."""

    id: int
    sprint_id: int
    status: SprintStatus
    created_at: datetime
    outcome_url: str | None = None
    reason: str | None = None


class WeekStatus(enum.Enum):
    """A check-in week's state; a week left open past its close counts as missed."""

    OPEN = "open"
    DONE = "done"
    SKIPPED = "skipped"
    MISSED = "missed"


@dataclass(frozen=True)
class CheckinWeek:
    """One sprint week's check-in: its window, its answers and its prompt."""

    id: int
    sprint_id: int
    week: int
    status: WeekStatus
    opens_at: datetime
    closes_at: datetime
    community_week: date
    progress: str = ""
    blockers: str = ""
    confidence: int | None = None
    hours: float | None = None
    submitted_at: datetime | None = None
    remind_at: datetime | None = None
    reminded_at: datetime | None = None
    prompt_outbox_id: int | None = None
    skip_reason: str = ""

    def effective_status(self, now: datetime) -> WeekStatus:
        """The status as a reader sees it now: an unanswered week becomes missed once closed."""
        if self.status is WeekStatus.OPEN and now >= self.closes_at:
            return WeekStatus.MISSED
        return self.status


class DestinationKind(enum.Enum):
    """Where a queued message goes."""

    DM = "dm"
    CHANNEL = "channel"


@dataclass(frozen=True)
class Destination:
    """A member's DMs, or a community channel by purpose (a name a feature declares)."""

    kind: DestinationKind
    member_id: int | None = None
    purpose: str | None = None

    @staticmethod
    def dm(member_id: int) -> Destination:
        """A member's direct messages."""
        return Destination(DestinationKind.DM, member_id=member_id)

    @staticmethod
    def channel(purpose: str) -> Destination:
        """The community channel that serves a purpose."""
        return Destination(DestinationKind.CHANNEL, purpose=purpose)

    @staticmethod
    def community() -> Destination:
        """The community as a whole, no channel in particular (its native events)."""
        return Destination(DestinationKind.CHANNEL)


class OutboxStatus(enum.Enum):
    """Delivery state of a queued message."""

    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class OutboxItem:
    """A message the bot decided to post (or an edit of one it posted)."""

    id: int
    community_id: int
    destination: Destination
    payload: str
    dedupe_key: str | None
    edit_of: int | None
    status: OutboxStatus
    attempts: int
    not_before: datetime
    created_at: datetime
    channel_ref: str | None = None
    message_ref: str | None = None
    last_error: str | None = None
    # The feature that queued it, which words the note if its member's DMs are closed.
    feature: str = ""
    # When it was last claimed to be sent (a lookup reads the history around then), and
    # where an unfinished lookup reads on (the platform's cursor).
    attempted_at: datetime | None = None
    lookup_cursor: str | None = None


@dataclass(frozen=True)
class NewWeek:
    """A check-in week about to be opened (or recorded as skipped or missed)."""

    sprint_id: int
    community_id: int
    week: int
    status: WeekStatus
    opens_at: datetime
    closes_at: datetime
    community_week: date
    remind_at: datetime | None = None
    skip_reason: str = ""


@dataclass(frozen=True)
class NewOutbox:
    """A message to queue, written in the same transaction as the decision behind it."""

    community_id: int
    destination: Destination
    payload: str
    dedupe_key: str | None = None
    edit_of: int | None = None
    # The feature queueing it (a name in bot.features.FEATURES).
    feature: str = ""
    # Not sent before this moment (a scheduled post); None: as soon as possible.
    not_before: datetime | None = None
