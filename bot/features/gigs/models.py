"""The records gig leads work with: a lead, its pay, and the community's limits."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

# The feature's name, carried by the messages it queues.
NAME = "gigs"
# The channel purpose leads are posted in, and the one admins review them in.
GIGS = "gigs"
GIG_REVIEW = "gig-review"


class GigStatus(enum.Enum):
    """Where a lead is in its life."""

    PENDING = "pending"  # waits for an admin's approval; members don't see it
    OPEN = "open"  # posted, matching, taking interest
    HIDDEN = "hidden"  # reported by three members: hidden until an admin decides
    CLOSED = "closed"  # filled or withdrawn by its poster
    EXPIRED = "expired"  # its time ran out
    REJECTED = "rejected"  # an admin said no
    DELETED = "deleted"  # removed; the row stays so it still counts against the limit


class Outcome(enum.Enum):
    """How a closed lead ended."""

    FILLED = "filled"
    WITHDRAWN = "withdrawn"


class Per(enum.Enum):
    """What an amount of pay is for."""

    HOUR = "hour"
    DAY = "day"
    PROJECT = "project"


class AlertMode(enum.Enum):
    """How a member wants to hear of leads that fit them (/profile gig-alerts)."""

    INSTANT = "instant"
    DIGEST = "digest"
    OFF = "off"


@dataclass(frozen=True)
class Pay:
    """An amount or a range, its currency and what it is for; ``Pay.unpaid()`` is none."""

    low: Decimal | None
    high: Decimal | None
    currency: str | None
    per: Per | None

    @staticmethod
    def unpaid() -> Pay:
        """Explicitly unpaid work."""
        return Pay(None, None, None, None)

    @property
    def paid(self) -> bool:
        """Whether there is an amount at all."""
        return self.low is not None


@dataclass(frozen=True)
class GigDraft:
    """A lead as its poster describes it (posting, or the fields an edit leaves)."""

    title: str
    details: str
    skills: tuple[str, ...]
    pay: Pay
    place: str  # "" is remote
    starts_on: date | None  # both None: ongoing
    ends_on: date | None
    link: str | None


@dataclass(frozen=True)
class Gig:
    """A stored lead."""

    id: int
    community_id: int
    number: int
    poster_id: int
    draft: GigDraft
    status: GigStatus
    outcome: Outcome | None
    hired_member_id: int | None
    hired_name: str | None
    reason: str
    created_at: datetime
    published_at: datetime | None
    edited_at: datetime | None
    expires_at: datetime
    closed_at: datetime | None
    warned_at: datetime | None
    matched_at: datetime | None
    version: int
    post_id: int | None
    review_id: int | None

    @property
    def title(self) -> str:
        """The lead's title."""
        return self.draft.title

    @property
    def skills(self) -> tuple[str, ...]:
        """The skills wanted, as typed."""
        return self.draft.skills

    @property
    def visible(self) -> bool:
        """Whether members can see it and answer it."""
        return self.status is GigStatus.OPEN


@dataclass(frozen=True)
class GigSettings:
    """A community's limits on posting (/admin gigs)."""

    posts_per_week: int = 3
    min_member_days: int = 0
    approval: bool = False
