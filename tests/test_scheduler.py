"""The scheduler never drops a request to tick, even while a tick is running."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.scheduler import Scheduler


@dataclass
class SlowEngine:
    """An engine whose first tick blocks until released, counting ticks."""

    clock: FakeClock = field(default_factory=lambda: FakeClock(datetime(2026, 11, 30, tzinfo=UTC)))
    ticks: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def tick(self) -> None:
        self.ticks += 1
        self.started.set()
        if self.ticks == 1:
            await self.release.wait()

    async def next_due_at(self) -> datetime | None:
        return None


@pytest.mark.asyncio
async def test_a_poke_during_a_tick_runs_another_tick(tmp_path: Path) -> None:
    engine = SlowEngine()
    scheduler = Scheduler(engine, heartbeat=tmp_path / "beat")  # type: ignore[arg-type]
    first = asyncio.create_task(scheduler.tick())
    await asyncio.wait_for(engine.started.wait(), 5)
    # Two commands queue messages while the first tick is still delivering.
    await scheduler.tick()
    await scheduler.tick()
    assert engine.ticks == 1
    engine.release.set()
    await asyncio.wait_for(first, 5)
    assert engine.ticks == 2  # one more round covers both requests


@pytest.mark.asyncio
async def test_start_writes_the_heartbeat_and_ticks(tmp_path: Path) -> None:
    engine = SlowEngine()
    engine.release.set()
    beat = tmp_path / "beat"
    scheduler = Scheduler(engine, heartbeat=beat)  # type: ignore[arg-type]
    scheduler.start()
    try:
        await asyncio.wait_for(engine.started.wait(), 5)
        assert beat.exists()
    finally:
        scheduler.shutdown()


@dataclass
class BusyEngine:
    """An engine with more due at once after each of its first ticks (a backlog)."""

    clock: FakeClock = field(default_factory=lambda: FakeClock(datetime(2026, 11, 30, tzinfo=UTC)))
    ticks: int = 0
    rounds: int = 4
    done: asyncio.Event = field(default_factory=asyncio.Event)

    async def tick(self) -> None:
        self.ticks += 1
        if self.ticks >= self.rounds:
            self.done.set()

    async def next_due_at(self) -> datetime | None:
        return self.clock.now() if self.ticks < self.rounds else None


@pytest.mark.asyncio
async def test_a_wake_due_at_once_after_a_woken_tick_is_not_lost(tmp_path: Path) -> None:
    engine = BusyEngine()
    scheduler = Scheduler(engine, heartbeat=tmp_path / "beat")  # type: ignore[arg-type]
    scheduler.start()
    try:
        # Each tick finds more due now; without the fix the second wake was skipped and the
        # rest waited for the 5-minute safety tick.
        await asyncio.wait_for(engine.done.wait(), 10)
        assert engine.ticks == engine.rounds
    finally:
        scheduler.shutdown()
