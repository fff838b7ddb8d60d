"""One pass of everything time-driven: run every feature's jobs, then deliver the outbox.

The engine knows jobs, not features: each job says what is due and when it next will be
(bot/features/base.py), and the list comes from ``bot.features.FEATURES`` unless given.

Where several processes share the store, one at a time runs the jobs (the store's
``lead_jobs``) and every one delivers; a standby tries to lead again at least every
``LEADER_POLL``, so it takes over within a minute of the leader's death. The jobs' writes
stay guarded anyway: two deciders would still queue each message once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock, MovableClock
from bot.delivery import DeliveryReport, Dispatcher
from bot.features import FEATURES
from bot.features.base import Job, jobs_of, ordered_jobs
from bot.metrics import Metrics
from bot.storage.base import Store

log = logging.getLogger(__name__)

# How often a process not running the jobs tries to take them over.
LEADER_POLL = timedelta(seconds=30)


@dataclass
class TickReport:
    """What one tick decided (how many each job acted on) and delivered."""

    jobs: dict[str, int]
    delivery: DeliveryReport


class Engine:
    """Runs the jobs and the outbox at the clock's current time."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        dispatcher: Dispatcher,
        jobs: Sequence[Job] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.dispatcher = dispatcher
        self.jobs = ordered_jobs(jobs_of(FEATURES) if jobs is None else jobs)
        # Whether this process ran the jobs at its last decision (a standby doesn't).
        self.leading = True
        self.metrics = metrics or Metrics()

    async def decide(self) -> dict[str, int]:
        """Run every job at the current time, if this process leads them; how many each did."""
        was_leading, self.leading = self.leading, await self.store.lead_jobs()
        if not self.leading:
            if was_leading:
                log.info("another process runs the timed jobs; this one only delivers")
            return {}
        now = self.clock.now()
        done = {job.name: await job.run(self.store, now) for job in self.jobs}
        # Noted in the database, so every process's health check sees the jobs run.
        await self.store.jobs_completed(now)
        self.metrics.jobs_done(now)
        if any(done.values()):
            log.info("jobs at %s: %s", now.isoformat(), {k: v for k, v in done.items() if v})
        return done

    async def tick(self) -> TickReport:
        """Decide what is due now and deliver everything queued."""
        jobs = await self.decide()
        delivery = await self.dispatcher.deliver_due()
        return TickReport(jobs, delivery)

    async def resume(self) -> None:
        """At start: retry now whatever was waiting, since a restart often follows a fix."""
        released = await self.store.release_waiting(self.clock.now())
        if released:
            log.info("retrying %d waiting message(s) after the restart", released)

    async def next_due_at(self) -> datetime | None:
        """When the next tick has something to do: the earliest job, or the outbox's next send."""
        now = self.clock.now()
        moments = [await job.next_due(self.store, now) for job in self.jobs]
        moments.append(await self.store.next_send_at(self.dispatcher.platforms(), now))
        if not self.leading:
            moments.append(now + LEADER_POLL)  # try to take the jobs over
        found = [m for m in moments if m is not None]
        return min(found) if found else None

    async def run_until(self, clock: MovableClock, target: datetime) -> None:
        """Fast-forward: move the clock to each due moment up to ``target`` and tick there."""
        for _ in range(100_000):
            due = await self.next_due_at()
            if due is None or due > target:
                break
            if due > clock.now():
                clock.set(due)
            report = await self.tick()
            idle = not any(report.jobs.values()) and not any(vars(report.delivery).values())
            if idle and self.leading:
                # Due but not actionable: a bug, since each next_due mirrors its due query.
                log.warning("nothing to do at %s although it was due; skipping ahead", due)
                break
        if target > clock.now():
            clock.set(target)
        await self.tick()
