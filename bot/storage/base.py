"""The storage the core shares: identity, channels, settings and the outbox.

Each feature's own storage Protocol lives in its package (``bot/features/<name>/store.py``)
and extends ``IdentityStore`` with only what that feature needs. SQLite implements them all
(``bot/storage/sqlite/``); another database could.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.drafts import DraftStore
from bot.models import Actor, Community, Member, NewOutbox, OutboxItem
from bot.native_events import NativeEventStore
from bot.pacing import Pacing, Sleep
from bot.replay import SeenStore

# How long a process holds the outbox rows it claimed: longer than any send's timeout, so a
# slow but alive sender keeps its rows; past it, another process may take them over.
OUTBOX_LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class DueOutbox:
    """A queued message ready to send, with where its community lives."""

    item: OutboxItem
    platform: str
    community_ext_id: str


class SettingsStore(Protocol):
    """Settings kept with the database (the console's clock)."""

    async def get_setting(self, key: str) -> str | None:
        """A setting kept with the database, or None if it was never set."""
        ...

    async def set_setting(self, key: str, value: str) -> None:
        """Keep a setting with the database, replacing its earlier value."""
        ...


class IdentityStore(Protocol):
    """Communities, members and the channels admins point purposes at."""

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

    async def update_member(self, member: Member) -> None:
        """Save a member's profile and flags."""
        ...

    async def set_paused(self, member_id: int, paused: bool) -> None:
        """Pause or resume a member's check-in prompts."""
        ...

    async def set_dm_note_sent(self, member_id: int, sent: bool) -> None:
        """Record whether the member was told their DMs are closed."""
        ...

    async def remember_dm_channel(self, member_id: int, channel: str) -> None:
        """Keep a member's DM channel."""
        ...

    async def set_channel(self, community_id: int, purpose: str, ref: str) -> None:
        """Point a channel purpose at a channel (posts waiting for a channel may go now)."""
        ...

    async def channels(self, community_id: int) -> dict[str, str]:
        """The community's channel for each purpose that has one."""
        ...


class OutboxStore(Protocol):
    """The durable outbox: queued messages and their delivery state."""

    async def enqueue(self, items: Sequence[NewOutbox], now: datetime) -> list[int]:
        """Queue messages (an edit supersedes unsent edits of the same message)."""
        ...

    async def due_outbox(
        self, now: datetime, platforms: Sequence[str], limit: int = 200
    ) -> list[DueOutbox]:
        """Messages ready to send, leased to this process (another's live lease passes them)."""
        ...

    async def get_outbox(self, outbox_id: int) -> OutboxItem | None:
        """A queued message by id."""
        ...

    async def claim_outbox(self, outbox_id: int, now: datetime, *, attempt: bool = True) -> bool:
        """Mark a message leased to us as being sent; False if it is no longer ours to send.

        ``attempt``: a send follows (noted, to bound a lookup); False only counts the try.
        """
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
        lookup_cursor: str | None = None,
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

    async def next_send_at(self, platforms: Sequence[str], now: datetime) -> datetime | None:
        """When the outbox next has a message to send on these platforms."""
        ...


class Store(
    IdentityStore, OutboxStore, SettingsStore, NativeEventStore, SeenStore, DraftStore, Protocol
):
    """What the core itself (app, engine, outbox, replay guard, drafts) asks of storage."""

    # Whether several processes may serve this database at once (PostgreSQL).
    shared: bool

    def send_pacer(self, bucket: str, rate: float, sleep: Sleep, *, steady: bool = False) -> Pacing:
        """One bot's pacing (``steady``: no bursts), shared by every process sharing the store."""
        ...

    async def take_turn(self, bucket: str, interval: float, now: datetime) -> float:
        """Take the bucket's turn if it has come (0.0), else the seconds until it comes."""
        ...

    async def hold_turns(self, bucket: str, until: datetime) -> None:
        """No turn of the bucket before ``until`` (the platform said to wait)."""
        ...

    async def lead_jobs(self) -> bool:
        """Whether this process runs the timed jobs now (trying to take them over if not)."""
        ...

    async def jobs_completed(self, moment: datetime) -> None:
        """The timed jobs completed a pass at ``moment`` (the leader notes it)."""
        ...

    async def jobs_last_completed(self) -> datetime | None:
        """When any process last completed the timed jobs; None if none ever did."""
        ...

    async def outbox_backlog(self) -> tuple[int, datetime | None]:
        """How many rows wait to go out, and when the oldest of them was queued."""
        ...

    async def outbox_held(self) -> tuple[int, int]:
        """How many communities are paused, and how many outbox rows they hold."""
        ...

    async def community_paused(self, community_id: int) -> bool:
        """Whether nothing may be sent to this community now (bot/communities.py)."""
        ...

    async def pause_community(
        self, platform: str, ext_id: str, reason: str, now: datetime
    ) -> Community | None:
        """Stop all sending to the community (None if unknown)."""
        ...

    async def resume_community(
        self, platform: str, ext_id: str, stale_before: datetime
    ) -> tuple[Community, int] | None:
        """Send to it again, dropping held rows due before ``stale_before``."""
        ...

    async def watch_outbox(self, poke: Callable[[], None]) -> None:
        """Call ``poke`` whenever another process queues a message (where several may)."""
        ...

    async def close(self) -> None:
        """Release the database."""
        ...
