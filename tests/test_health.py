"""`crossfade health`, the container healthcheck."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.cli import main
from bot.clock import FakeClock
from bot.health import heartbeat_path, problems
from bot.scheduler import Scheduler
from bot.status import Status
from bot.storage.sqlite import SqliteStore

# A Monday, 08:00 UTC.
START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.mark.asyncio
async def test_healthy_then_stale_heartbeat_then_broken_file(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    assert problems(db) == [f"no database at {db} yet"]
    store = await SqliteStore.open(db)
    await store.close()
    assert problems(db) == []
    beat = heartbeat_path(db)
    beat.touch()
    old = (datetime.now(UTC) - timedelta(minutes=20)).timestamp()
    os.utime(beat, (old, old))
    assert problems(db) == ["the scheduler last ticked 20 minutes ago"]
    beat.unlink()
    db.write_bytes(b"not sqlite" * 100)
    assert "not a readable Crossfade database" in problems(db)[0]


@dataclass
class StuckEngine:
    """An engine whose first tick completes and whose later ticks fail or never finish."""

    clock: FakeClock
    later: str  # "fail" or "hang"
    ticks: int = 0
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def tick(self) -> None:
        self.ticks += 1
        if self.ticks == 1:
            return
        self.started.set()
        if self.later == "fail":
            raise RuntimeError("the outbox is wedged")
        await asyncio.Event().wait()

    async def next_due_at(self) -> datetime | None:
        return None


async def _database(tmp_path: Path) -> Path:
    db = tmp_path / "h.db"
    store = await SqliteStore.open(db)
    await store.close()
    return db


@pytest.mark.asyncio
@pytest.mark.parametrize("later", ["fail", "hang"])
async def test_health_says_when_the_last_tick_completed_while_the_heartbeat_goes_on(
    tmp_path: Path, later: str
) -> None:
    db = await _database(tmp_path)
    clock = FakeClock(START)
    engine = StuckEngine(clock, later)
    scheduler = Scheduler(engine, heartbeat=heartbeat_path(db), status=Status(clock))  # type: ignore[arg-type]
    await scheduler.tick()  # the first tick completes at 08:00
    clock.advance(timedelta(minutes=1))
    second = asyncio.create_task(scheduler.tick())
    await asyncio.wait_for(engine.started.wait(), 5)
    try:
        # The event loop runs and the heartbeat is written every minute, ticks or not.
        clock.advance(timedelta(minutes=10))
        scheduler.beat()
        assert problems(db, now=clock.now()) == []
        clock.advance(timedelta(minutes=6))
        scheduler.beat()
        expected = "no tick has completed since 08:00 UTC (17 min)"
        if later == "hang":
            expected += "; one has been running since 08:01 UTC"
        assert problems(db, now=clock.now()) == [expected]
    finally:
        second.cancel()
        await asyncio.gather(second, return_exceptions=True)


@pytest.mark.asyncio
async def test_health_names_a_bot_that_never_completed_a_tick_or_stopped_beating(
    tmp_path: Path,
) -> None:
    db = await _database(tmp_path)
    clock = FakeClock(START)
    status = Status(clock)
    status.tick_started()
    clock.advance(timedelta(minutes=20))
    status.write(heartbeat_path(db))
    assert problems(db, now=clock.now()) == [
        "no tick has completed since the bot started at 08:00 UTC (20 min); "
        "one has been running since 08:00 UTC"
    ]
    clock.advance(timedelta(days=1))
    assert problems(db, now=clock.now()) == [
        "no heartbeat since Mon 30 Nov 08:20 UTC (1440 min): is the bot running?"
    ]


@pytest.mark.asyncio
async def test_crossfade_health_fails_on_a_platform_disconnected_for_more_than_five_minutes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = await _database(tmp_path)
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("CROSSFADE_DB", str(db))
    now = datetime.now(UTC)
    clock = FakeClock(now - timedelta(minutes=7, seconds=30))
    status = Status(clock)
    discord, slack = status.link("Discord"), status.link("Slack")
    discord.up()
    slack.up()
    discord.down("KeyError: 'session_id'")
    clock.set(now - timedelta(minutes=4))
    slack.down("the Socket Mode connection closed")  # down 4 minutes: it may be back soon
    clock.set(now)
    status.tick_finished()
    status.write(heartbeat_path(db))
    went = now - timedelta(minutes=7, seconds=30)
    # Today's outages show the time; one that began before midnight UTC shows the day too.
    since = went.strftime("%H:%M UTC" if went.date() == now.date() else "%a %d %b %H:%M UTC")

    assert main(["health"]) == 1
    assert capsys.readouterr().out.strip() == f"Discord disconnected since {since} (7 min)"

    discord.up()
    status.write(heartbeat_path(db))
    assert main(["health"]) == 0
    assert capsys.readouterr().out.strip() == "healthy"
