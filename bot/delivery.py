"""Delivering the durable outbox through platform transports, with retries and pacing."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot import native_events as native
from bot.channels import ChannelRouting
from bot.clock import Clock
from bot.features import FEATURES
from bot.features.base import Feature
from bot.lookups import Later, Lookups
from bot.messages import Message
from bot.metrics import Metrics
from bot.models import (
    DestinationKind,
    Member,
    OutboxItem,
    OutboxStatus,
)
from bot.pacing import Pacing
from bot.storage.base import OUTBOX_LEASE, DueOutbox, Store
from bot.transport import DeliveryError as DeliveryError
from bot.transport import Receipt as Receipt
from bot.transport import RecipientUnreachable as RecipientUnreachable
from bot.transport import Target as Target
from bot.transport import Transport as Transport

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
# A member with closed DMs: keep their messages and try again a few times a day.
UNREACHABLE_RETRY = timedelta(hours=6)
# Posts for a purpose with no channel wait for an admin; set_channel releases them at once.
NO_CHANNEL_RETRY = timedelta(days=1)
# The most rows one process leases at once from a store several processes share.
SHARED_BATCH = 100


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    sent: int = 0
    edited: int = 0
    retried: int = 0
    failed: int = 0
    recovered: int = 0
    # Rows with nothing to send: a native event where there are none, or one overtaken.
    skipped: int = 0
    # Rows refused because their community was paused meanwhile: held, the try not counted.
    held: int = 0


def backoff(attempts: int) -> timedelta:
    """How long to wait before the next try: 30 s doubling up to an hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


class Dispatcher:
    """Sends what the outbox holds; marks each message delivered only after the platform took it."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        transports: Mapping[str, Transport],
        *,
        concurrency: int = 8,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        features: Sequence[Feature] = FEATURES,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        # Deliveries by platform and result, 429s and pacing waits (/metrics).
        self.metrics = metrics or Metrics()
        self._notes = ChannelRouting(features)
        self.clock = clock
        self.transports = dict(transports)
        self.concurrency = concurrency
        self._sleep = sleep
        self._pacers: dict[str, Pacing] = {}
        # Lookups before a resend, in turns where a platform limits history reads.
        self._lookups = Lookups(store, clock, self.metrics)
        self._pass_lock = asyncio.Lock()

    def platforms(self) -> list[str]:
        """Platforms this process can deliver to."""
        return sorted(self.transports)

    async def deliver_due(self, limit: int = 500) -> DeliveryReport:
        """Send every due message (posts before edits, so an edit finds its post)."""
        report = DeliveryReport()
        limit = self.batch_size(limit)
        async with self._pass_lock:
            while True:
                due = await self.store.due_outbox(self.clock.now(), self.platforms(), limit)
                if not due:
                    return report
                posts = [[d] for d in due if d.item.edit_of is None and not native.carried(d)]
                posts += native.event_queues(due)  # each native event's rows in order
                # Edits of one message go in order, one at a time, so the newest one shows.
                edits: dict[int, list[DueOutbox]] = {}
                for d in sorted(due, key=lambda d: d.item.id):
                    if d.item.edit_of is not None:
                        edits.setdefault(d.item.edit_of, []).append(d)
                await self._run_all(posts, report)
                await self._run_all(list(edits.values()), report)
                if len(due) < limit:
                    return report

    def batch_size(self, limit: int) -> int:
        """How many rows to lease at once: few enough to send well within the lease.

        At the slowest transport's rate a batch takes a quarter of the lease, so it still
        goes out in time when several processes share that rate; on a shared store at most
        ``SHARED_BATCH``, so the work spreads over the processes (and a transport pacing
        itself, Discord's, sends its batch in time too).
        """
        if self.store.shared:
            limit = min(limit, SHARED_BATCH)
        rate = min((t.max_per_second for t in self.transports.values()), default=float("inf"))
        if rate == float("inf"):
            return limit
        return max(1, min(limit, int(rate * OUTBOX_LEASE.total_seconds() / 4)))

    async def _run_all(self, queues: list[list[DueOutbox]], report: DeliveryReport) -> None:
        gate = asyncio.Semaphore(self.concurrency)

        async def one(queue: list[DueOutbox]) -> None:
            for entry in queue:
                async with gate:
                    await self._deliver_one(entry, report)

        await asyncio.gather(*(one(q) for q in queues))

    async def _deliver_one(self, entry: DueOutbox, report: DeliveryReport) -> None:
        """Deliver one message; whatever goes wrong with it, the others still go."""
        # Its own report first, so the metrics know its platform among concurrent sends.
        mine = DeliveryReport()
        try:
            await self._deliver(entry, mine)
        except Exception as exc:
            await self._unexpected(entry.item, exc, mine, entry.platform)
        for result, count in vars(mine).items():
            setattr(report, result, getattr(report, result) + count)
            self.metrics.delivered(entry.platform, result, count)

    def _pacer(self, transport: Transport) -> Pacing:
        # One bucket per platform: one bot per platform per deployment, paced across
        # every process sharing the store (in this process alone on SQLite).
        if transport.platform not in self._pacers:
            self._pacers[transport.platform] = self.store.send_pacer(
                transport.platform,
                transport.max_per_second,
                self.metrics.pacing_sleep(transport.platform, self._sleep),
            )
        return self._pacers[transport.platform]

    async def _target(self, entry: DueOutbox) -> tuple[Target | None, Member | None]:
        item = entry.item
        dest = item.destination
        if dest.kind is DestinationKind.DM:
            assert dest.member_id is not None
            member = await self.store.get_member(dest.member_id)
            target = Target(
                entry.community_ext_id,
                dest.kind,
                user_id=member.ext_id,
                channel_id=item.channel_ref or member.dm_channel,
                timezone=member.timezone,
            )
            return target, member
        assert dest.purpose is not None
        channels = await self.store.channels(item.community_id)
        channel = self._notes.channel_for(dest.purpose, channels)
        if channel is None:
            return None, None
        return Target(entry.community_ext_id, dest.kind, channel_id=channel), None

    async def _deliver(self, entry: DueOutbox, report: DeliveryReport) -> None:
        item = entry.item
        transport = self.transports[entry.platform]
        if native.carried(entry):
            # Whether a create may have got through is kept per event, not by the row.
            guild = Target(entry.community_ext_id, DestinationKind.CHANNEL)
            try:
                done = await native.deliver_event(
                    self.store, transport.events, guild, item, self.clock.now()
                )
            except DeliveryError as exc:
                await self._failed(item, exc, report, entry.platform, unsure=False)
                return
            done.count(report)
            return
        # Found "sending": a crash or an ambiguous failure cut an earlier attempt short, so
        # the platform may already have the post.
        unsure = item.edit_of is None and item.status is OutboxStatus.SENDING
        target, member = await self._target(entry)
        if target is None:
            purpose = item.destination.purpose or "?"
            log.warning(
                "outbox %s waits: no %s channel set in community %s (an admin runs /admin channel)",
                item.id,
                purpose,
                entry.community_ext_id,
            )
            await self.store.reschedule_outbox(
                item.id,
                self.clock.now() + NO_CHANNEL_RETRY,
                f"no {purpose} channel set",
                unsure=unsure,
            )
            report.retried += 1
            return
        message = Message.from_dict(json.loads(item.payload))
        if item.edit_of is not None:
            await self._edit(item, transport, target, message, report)
            return
        key = f"cf-{item.id}"
        try:
            if unsure:
                found = await self._lookups.look(entry, transport, target, key)
                if isinstance(found, Later):
                    report.retried += 1
                    return
                if found is not None:
                    await self.store.mark_delivered(
                        item.id, found.channel_id, found.message_id, self.clock.now()
                    )
                    report.recovered += 1
                    log.info("outbox %s had reached the platform already", item.id)
                    return
                unsure = False  # looked: it isn't there
                log.warning("outbox %s: not found on the platform; sending again", item.id)
            if not await self.store.claim_outbox(item.id, self.clock.now()):
                return
            await self._pacer(transport).take()
            receipt = await transport.send(target, message, key=key)
        except RecipientUnreachable as exc:
            assert member is not None
            await self._unreachable(item, member, exc, unsure=unsure)
            report.retried += 1
            return
        except DeliveryError as exc:
            await self._failed(item, exc, report, entry.platform, unsure=unsure or exc.ambiguous)
            return
        await self.store.mark_delivered(
            item.id, receipt.channel_id, receipt.message_id, self.clock.now()
        )
        report.sent += 1
        if member is not None and receipt.channel_id != member.dm_channel:
            await self.store.remember_dm_channel(member.id, receipt.channel_id)
        if member is not None and member.dm_note_sent:
            # DMs work again: a later closure deserves a fresh note.
            await self.store.set_dm_note_sent(member.id, False)

    async def _edit(
        self,
        item: OutboxItem,
        transport: Transport,
        target: Target,
        message: Message,
        report: DeliveryReport,
    ) -> None:
        assert item.edit_of is not None
        original = await self.store.get_outbox(item.edit_of)
        if original is None or original.status is OutboxStatus.FAILED:
            await self.store.fail_outbox(item.id, "the message to edit was never delivered")
            report.failed += 1
            return
        if original.message_ref is None or original.channel_ref is None:
            # Its post is still queued; edit once it has gone out.
            await self.store.reschedule_outbox(
                item.id, max(original.not_before, self.clock.now()), "waiting for the post"
            )
            return
        if not await self.store.claim_outbox(item.id, self.clock.now()):
            return  # a newer edit of the same message superseded it
        try:
            await self._pacer(transport).take()
            await transport.edit(
                target, Receipt(original.channel_ref, original.message_ref), message
            )
        except DeliveryError as exc:
            # An edit sent twice shows the same thing: no need to look first.
            await self._failed(item, exc, report, transport.platform, unsure=False)
            return
        await self.store.mark_delivered(
            item.id, original.channel_ref, original.message_ref, self.clock.now()
        )
        report.edited += 1

    async def _failed(
        self,
        item: OutboxItem,
        exc: DeliveryError,
        report: DeliveryReport,
        platform: str,
        *,
        unsure: bool,
    ) -> None:
        if await self.store.community_paused(item.community_id):
            # Paused while this row was on its way (the app uninstalled, its token dead):
            # the refusal is the pause's, so the try isn't counted and the row waits,
            # held, until the community resumes (bot/communities.py).
            log.info("outbox %s held: its community was paused (%s)", item.id, exc.reason)
            await self.store.reschedule_outbox(
                item.id, self.clock.now(), exc.reason, count_attempt=False, unsure=unsure
            )
            report.held += 1
            return
        if exc.retry_after is not None:
            # The platform's own rate limit answered (a 429 with its wait).
            self.metrics.rate_limited.labels(platform).inc()
        if exc.needs_admin:
            log.warning("outbox %s waits for an admin: %s", item.id, exc.reason)
            await self.store.reschedule_outbox(
                item.id,
                self.clock.now() + NO_CHANNEL_RETRY,
                exc.reason,
                count_attempt=False,
                unsure=unsure,
            )
            report.retried += 1
            return
        attempts = item.attempts + 1
        if exc.permanent or attempts >= MAX_ATTEMPTS:
            log.error("outbox %s failed for good after %s attempts: %s", item.id, attempts, exc)
            await self.store.fail_outbox(item.id, exc.reason)
            report.failed += 1
            return
        wait = (
            timedelta(seconds=exc.retry_after) if exc.retry_after is not None else backoff(attempts)
        )
        if unsure:
            log.warning(
                "outbox %s may have reached the platform (%s); looking before a retry in %s",
                item.id,
                exc.reason,
                wait,
            )
        else:
            log.info("outbox %s will retry in %s: %s", item.id, wait, exc.reason)
        await self.store.reschedule_outbox(
            item.id, self.clock.now() + wait, exc.reason, unsure=unsure
        )
        report.retried += 1

    async def _unexpected(
        self, item: OutboxItem, exc: Exception, report: DeliveryReport, platform: str
    ) -> None:
        """A bug or a failure no transport classified: one log line, retry later, go on."""
        reason = f"unexpected {type(exc).__name__}: {exc}"
        log.error("outbox %s: %s", item.id, reason)
        try:
            now = await self.store.get_outbox(item.id)
            if now is None or now.status in (OutboxStatus.DELIVERED, OutboxStatus.FAILED):
                return
            claimed = now.attempts > item.attempts
            if not claimed:  # so the try counts all the same (the last attempt's time stays)
                await self.store.claim_outbox(item.id, self.clock.now(), attempt=False)
            # Once claimed it may have got as far as the platform: a post is looked up first.
            unsure = item.edit_of is None and (claimed or item.status is OutboxStatus.SENDING)
            await self._failed(item, DeliveryError(reason), report, platform, unsure=unsure)
        except Exception as again:  # the database itself is failing; a later tick retries
            log.error("outbox %s: could not reschedule it either: %s", item.id, again)

    async def _unreachable(
        self, item: OutboxItem, member: Member, exc: RecipientUnreachable, *, unsure: bool
    ) -> None:
        """Keep the message for later; once, ask the member in a channel to open their DMs.

        The note is worded by the feature that queued the message (its ``undeliverable``).
        """
        retry_at = self.clock.now() + UNREACHABLE_RETRY
        await self.store.reschedule_outbox(item.id, retry_at, exc.reason, unsure=unsure)
        if member.dm_note_sent:
            return
        note = self._notes.closed_dm_note(item, member)
        if note is None:
            log.warning("member %s has closed DMs and no channel purpose to say so", member.id)
        else:
            await self.store.enqueue([note], self.clock.now())
        await self.store.set_dm_note_sent(member.id, True)
