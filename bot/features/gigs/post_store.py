"""What posting leads, moderating them and expiring them ask of storage."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.features.gigs.models import Gig, GigDraft, GigSettings, GigStatus
from bot.models import NewOutbox


@dataclass(frozen=True)
class GigView:
    """A lead as a change leaves it, with the members interested in it (first first)."""

    gig: Gig
    interested: tuple[int, ...]


@dataclass(frozen=True)
class GigMessages:
    """What a change queues: a new channel post and a new admins' card keep their ids."""

    post: NewOutbox | None = None
    review: NewOutbox | None = None
    others: tuple[NewOutbox, ...] = ()


# The messages for a change, decided from what it leaves, inside its transaction.
Messages = Callable[[GigView], GigMessages]
# A report's messages: the lead as it leaves it, and how many members reported it.
ReportMessages = Callable[[GigView, int], GigMessages]


@dataclass(frozen=True)
class NewGig:
    """A lead about to be posted, with the posting limit it must fit in."""

    community_id: int
    poster_id: int
    draft: GigDraft
    status: GigStatus  # OPEN, or PENDING when admins approve posts first
    expires_at: datetime
    # When its poster is told it expires soon (None: no warning, it is open too briefly).
    warn_at: datetime | None
    # At most ``limit`` leads by this poster created since ``since`` (deleted ones count).
    limit: int
    since: datetime


class PostingLimit(Exception):
    """The poster has used every post of the rolling week; one frees up at ``next_slot``."""

    def __init__(self, next_slot: datetime) -> None:
        super().__init__(next_slot.isoformat())
        self.next_slot = next_slot


class GigJourneyStore(Protocol):
    """The hires /journey shows."""

    async def gigs_hired(self, member_id: int) -> list[Gig]:
        """The filled leads a member was named as hired for, oldest first."""
        ...


class GigPostStore(GigJourneyStore, Protocol):
    """Posting, editing, closing, reports, approval, limits and expiry."""

    async def gig_settings(self, community_id: int) -> GigSettings:
        """The community's posting limits (the defaults if never set)."""
        ...

    async def set_gig_settings(self, community_id: int, settings: GigSettings) -> None:
        """Save the community's posting limits."""
        ...

    async def member_since(self, member_id: int) -> datetime:
        """When a member first reached the bot."""
        ...

    async def create_gig(self, new: NewGig, now: datetime, messages: Messages) -> Gig:
        """Number and insert a lead and queue its messages; PostingLimit if over the limit."""
        ...

    async def change_gig(
        self, gig: Gig, changes: Mapping[str, object], now: datetime, messages: Messages
    ) -> Gig:
        """Write a lead's changed columns if its version is still ``gig.version`` (GigChanged
        otherwise) and queue the messages decided from the result."""
        ...

    async def report_gig(
        self,
        gig: Gig,
        member_id: int,
        reason: str,
        now: datetime,
        hide_at: int,
        messages: ReportMessages,
    ) -> GigView | None:
        """Record a member's report (None if they reported it already); the ``hide_at``-th
        report of an open lead hides it. Its messages are queued with it."""
        ...

    async def gig_reports(self, gig_id: int) -> list[tuple[int, str]]:
        """Who reported a lead and why, first first."""
        ...

    async def recent_gigs(self, community_id: int, limit: int = 100) -> list[Gig]:
        """A community's leads, newest first (for type-ahead)."""
        ...

    async def poster_gigs(self, member_id: int) -> list[GigView]:
        """A poster's leads (not deleted), newest first, with who is interested."""
        ...

    async def gigs_to_warn(self, now: datetime) -> list[Gig]:
        """Open leads whose expiry warning is due."""
        ...

    async def next_gig_warning(self, now: datetime) -> datetime | None:
        """When the next expiry warning is due."""
        ...

    async def gigs_to_expire(self, now: datetime) -> list[Gig]:
        """Open leads whose time has run out."""
        ...

    async def next_gig_expiry(self, now: datetime) -> datetime | None:
        """When the next open lead runs out."""
        ...
