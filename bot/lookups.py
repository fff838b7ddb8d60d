"""Looking a post up on its platform before sending it again, within the platform's limits.

A post found 'sending' (a crash or an ambiguous failure cut its attempt short) is looked up
first (``find_sent``), in the history around that attempt only (``SentWindow``). Where the
platform allows a community only so many history reads a minute (Slack: one, for apps
outside its Marketplace), each lookup first takes a turn from that community's bucket,
shared by every process on the store (``Store.take_turn``). A row whose turn hasn't come is
rescheduled for when it comes: its tries aren't used up, and it is still looked up before
anything is sent. A 429 holds the bucket and the row for the platform's Retry-After.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Final

from bot.clock import Clock
from bot.metrics import Metrics
from bot.models import OutboxItem
from bot.storage.base import OUTBOX_LEASE, DueOutbox, Store
from bot.transport import DeliveryError, LookupUnfinished, Receipt, SentWindow, Target, Transport

log = logging.getLogger(__name__)

# Seconds added to each turn's interval. Turns are counted on each process's own clock, so
# two hosts a few seconds apart could otherwise make two reads less than a minute apart; and
# a request takes a moment to reach the platform.
TURN_MARGIN = 5.0


class Later:
    """The lookup waits (for its turn, its next page or a Retry-After): the row is rescheduled."""


LATER: Final = Later()


def window_of(item: OutboxItem, now: datetime) -> SentWindow:
    """When the row's last attempt may have reached the platform."""
    if item.attempted_at is None:
        # Claimed before attempts were recorded: any time since it was queued.
        return SentWindow(item.created_at, now, item.lookup_cursor)
    # An attempt sends within its lease (the claim extends it); a later one re-claims.
    return SentWindow(item.attempted_at, item.attempted_at + OUTBOX_LEASE, item.lookup_cursor)


def bucket_of(platform: str, community: str) -> str:
    """The turn bucket of a community's history reads (send_pace)."""
    return f"{platform}-lookups:{community}"


class Lookups:
    """Runs the Dispatcher's lookups, one turn at a time per community where platforms ask."""

    def __init__(self, store: Store, clock: Clock, metrics: Metrics) -> None:
        self.store = store
        self.clock = clock
        self.metrics = metrics

    async def look(
        self, entry: DueOutbox, transport: Transport, target: Target, key: str
    ) -> Receipt | Later | None:
        """The post if the platform has it, None if not, LATER if the row was rescheduled."""
        item = entry.item
        now = self.clock.now()
        per_minute = transport.lookups_per_minute
        bucket = bucket_of(transport.platform, entry.community_ext_id)
        interval = 0.0
        if per_minute is not None:
            interval = 60 / per_minute + TURN_MARGIN
            wait = await self.store.take_turn(bucket, interval, now)
            if wait > 0:
                log.info("outbox %s: looked up in %.0f s, at its community's turn", item.id, wait)
                await self._later(item, now + timedelta(seconds=wait), "waiting for its turn")
                return LATER
        try:
            return await transport.find_sent(target, key, window_of(item, now))
        except LookupUnfinished as more:
            await self._later(
                item, now + timedelta(seconds=interval), more.reason, cursor=more.resume
            )
            return LATER
        except DeliveryError as exc:
            if exc.retry_after is None:
                raise
            # The platform's own limit answered: nobody in this community reads until then.
            self.metrics.rate_limited.labels(transport.platform).inc()
            until = now + timedelta(seconds=exc.retry_after)
            if per_minute is not None:
                await self.store.hold_turns(bucket, until)
            log.warning("outbox %s: history reads limited; looked up at %s", item.id, until)
            await self._later(item, until, exc.reason)
            return LATER

    async def _later(
        self, item: OutboxItem, at: datetime, reason: str, *, cursor: str | None = None
    ) -> None:
        """Reschedule, still to be looked up first; its tries aren't used (no claim yet)."""
        await self.store.reschedule_outbox(
            item.id, at, reason, unsure=True, lookup_cursor=cursor or item.lookup_cursor
        )
