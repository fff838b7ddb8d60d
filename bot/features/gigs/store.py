"""What gig leads ask of storage (SQLite: bot/storage/sql/gig_*.py).

``GigReadStore`` is what both halves of the feature read; ``GigPostStore`` (posting, its
moderation and expiry) and ``GigMatchStore`` (matching, alerts, digests, interest) hold the
rest. Every change and the messages it queues are one transaction.
"""

from __future__ import annotations

from typing import Protocol

from bot.features.gigs.match_store import GigMatchStore
from bot.features.gigs.models import Gig
from bot.features.gigs.post_store import GigPostStore
from bot.storage.base import IdentityStore, OutboxStore


class GigChanged(Exception):
    """A lead moved on after it was read (its version differs); nothing was written."""


class GigReadStore(Protocol):
    """Reading leads and who answered them."""

    async def get_gig(self, gig_id: int) -> Gig | None:
        """A lead by id."""
        ...

    async def gig_by_number(self, community_id: int, number: int) -> Gig | None:
        """A lead by the number shown on it."""
        ...

    async def gigs_titled(self, community_id: int, title: str) -> list[Gig]:
        """Leads whose title is this (case-insensitive), newest first."""
        ...

    async def gig_interested(self, gig_id: int) -> list[int]:
        """The members who said they are interested, first first."""
        ...


class GigStore(GigReadStore, GigPostStore, GigMatchStore, IdentityStore, OutboxStore, Protocol):
    """Everything the gigs feature asks of storage."""
