"""APScheduler wakes the engine: at the next due moment, on a safety interval, and on demand."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.engine import Engine
from bot.status import Status

log = logging.getLogger(__name__)


class Scheduler:
    """Keeps the engine ticking; what is due always comes from the database, never from here."""

    def __init__(
        self,
        engine: Engine,
        *,
        safety_interval: timedelta = timedelta(minutes=5),
        heartbeat: Path | None = None,
        status: Status | None = None,
    ):
        self.engine = engine
        self.safety_interval = safety_interval
        # This process's status record, rewritten every minute while the loop is alive, for
        # the container healthcheck; it says when the last tick completed, not only that we
        # run. Removed at shutdown.
        self.heartbeat = heartbeat
        self.status = status or Status(engine.clock)
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._running = False
        self._again = False
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        """Start ticking; the first tick runs at once so anything missed while down goes out."""
        self._scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=self.safety_interval.total_seconds()),
            id="safety",
            coalesce=True,
        )
        if self.heartbeat is not None:
            self.beat()
            self._scheduler.add_job(self.beat, IntervalTrigger(minutes=1), id="heartbeat")
        self._scheduler.start()
        self.poke()

    def poke(self) -> None:
        """Tick as soon as possible (something was just queued); never lost, even mid-tick."""
        task = asyncio.get_running_loop().create_task(self.tick())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def beat(self) -> None:
        """Write the status record (the heartbeat job does, every minute)."""
        assert self.heartbeat is not None
        try:
            self.status.write(self.heartbeat)
        except OSError as exc:
            log.warning("could not write the heartbeat %s: %s", self.heartbeat, exc)

    async def tick(self) -> None:
        """Run the engine; a request arriving meanwhile makes the running tick go round again."""
        if self._running:
            self._again = True
            return
        self._running = True
        self.status.tick_started()
        try:
            again = True
            while again:
                self._again = False
                try:
                    await self.engine.tick()
                except Exception:
                    log.exception("scheduled tick failed; retrying at the next interval")
                    return
                self.status.tick_finished()
                again = self._again
            due = await self.engine.next_due_at()
        finally:
            self._running = False
            self.status.tick_ended()
        if due is not None and self._scheduler.running:
            # The engine's clock may run ahead of the wall clock (console fast-forward).
            delay = max(timedelta(), due - self.engine.clock.now())
            self._scheduler.add_job(
                self.tick,
                DateTrigger(run_date=datetime.now(UTC) + delay, timezone=UTC),
                id="wake",
                replace_existing=True,
                misfire_grace_time=None,
                # A tick the wake job runs sets the next wake before it returns: at one
                # instance, a wake due at once was skipped (still running) and lost until the
                # safety interval. tick() itself never overlaps (``_running``).
                max_instances=3,
            )

    def shutdown(self) -> None:
        """Stop ticking, and take this process's heartbeat away (it no longer runs)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        for task in self._tasks:
            task.cancel()
        if self.heartbeat is not None:
            try:
                self.heartbeat.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("could not remove the heartbeat %s: %s", self.heartbeat, exc)
