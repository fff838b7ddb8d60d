"""APScheduler wakes the engine: at the next due moment, on a safety interval, and on demand."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.engine import Engine

log = logging.getLogger(__name__)


class Scheduler:
    """Keeps the engine ticking; what is due always comes from the database, never from here."""

    def __init__(
        self,
        engine: Engine,
        *,
        safety_interval: timedelta = timedelta(minutes=5),
        heartbeat: Path | None = None,
    ):
        self.engine = engine
        self.safety_interval = safety_interval
        # Touched after every tick so a container healthcheck can tell the bot is alive.
        self.heartbeat = heartbeat
        self._scheduler = AsyncIOScheduler(timezone=UTC)

    def start(self) -> None:
        """Start ticking; the first tick runs at once so anything missed while down goes out."""
        self._scheduler.add_job(
            self._tick,
            IntervalTrigger(seconds=self.safety_interval.total_seconds()),
            id="safety",
            max_instances=1,
            coalesce=True,
        )
        self._scheduler.start()
        self.poke()

    def poke(self) -> None:
        """Tick as soon as possible (something was just queued)."""
        self._wake_at(datetime.now(UTC))

    def _wake_at(self, when: datetime) -> None:
        self._scheduler.add_job(
            self._tick,
            DateTrigger(run_date=when, timezone=UTC),
            id="wake",
            replace_existing=True,
            misfire_grace_time=None,
        )

    async def _tick(self) -> None:
        try:
            await self.engine.tick()
            due = await self.engine.next_due_at()
        except Exception:
            log.exception("scheduled tick failed; retrying at the next interval")
            return
        if self.heartbeat is not None:
            self.heartbeat.touch()
        if due is not None:
            # The engine's clock may run ahead of the wall clock (console fast-forward).
            delay = max(timedelta(), due - self.engine.clock.now())
            self._wake_at(datetime.now(UTC) + delay)

    def shutdown(self) -> None:
        """Stop ticking."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
