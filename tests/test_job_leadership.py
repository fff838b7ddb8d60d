"""The timed jobs run in one process at a time; another takes over when the leader dies.

Two "processes" are two stores on one PostgreSQL database, each with its engine. The
leader's lock connection is terminated on the server, as when its process dies; the
standby takes the jobs over at its next poll, moved on the test clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from bot.clock import FakeClock
from bot.delivery import Dispatcher
from bot.engine import LEADER_POLL, Engine
from bot.features.base import Job
from bot.health import status_problems
from bot.scheduler import Scheduler
from bot.status import read_status
from bot.storage.postgres import PostgresStore
from bot.storage.postgres.shared import JOBS_LOCK, session_name
from bot.storage.sqlite import SqliteStore

pytestmark = pytest.mark.asyncio

START = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
# How long the server may take to end a terminated backend and free its locks.
SERVER_WAIT = 10.0


@dataclass
class Counted:
    """A job that is always due, counting the runs of each process."""

    runs: list[str] = field(default_factory=list)

    def job(self, process: str) -> Job:
        """The job as one process runs it."""

        async def run(store: Any, now: datetime) -> int:
            self.runs.append(process)
            return 1

        async def next_due(store: Any, now: datetime) -> datetime | None:
            return now + timedelta(hours=1)

        return Job("test.counted", run, next_due)


def engine(store: PostgresStore | SqliteStore, clock: FakeClock, job: Job) -> Engine:
    """A process's engine over its store, with the one counted job and nothing to deliver."""
    return Engine(store, clock, Dispatcher(store, clock, {}), [job])


@pytest_asyncio.fixture
async def two(postgres_db: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    """Two processes' stores on one PostgreSQL database."""
    first = await PostgresStore.open(postgres_db)
    second = await PostgresStore.open(postgres_db)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def terminate(url: str, store: PostgresStore) -> None:
    """End the store's lock session on the server (as its process dying would)."""
    admin = await asyncpg.connect(url)
    try:
        ended = await admin.fetchval(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = $1",
            session_name("jobs", store.owner),
        )
        assert ended == 1
        # A short bounded wait for the server to end the backend and free its lock.
        for _ in range(int(SERVER_WAIT / 0.05)):
            held = await admin.fetchval(
                "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory'"
                " AND ((classid::bigint << 32) | objid::bigint) = $1",
                JOBS_LOCK,
            )
            if not held:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the server kept the terminated session's lock")
    finally:
        await admin.close()


async def test_one_process_runs_the_jobs_and_the_standby_takes_over_when_it_dies(
    two: tuple[PostgresStore, PostgresStore], postgres_db: str
) -> None:
    first, second = two
    clock = FakeClock(START)
    counted = Counted()
    leader = engine(first, clock, counted.job("first"))
    standby = engine(second, clock, counted.job("second"))

    assert await leader.decide() == {"test.counted": 1}
    assert await standby.decide() == {}
    assert not standby.leading
    assert counted.runs == ["first"]
    # The standby wakes to try again within its poll, however far the jobs' next run is.
    assert await standby.next_due_at() == clock.now() + LEADER_POLL
    assert timedelta(minutes=1) >= LEADER_POLL

    await terminate(postgres_db, first)
    clock.advance(LEADER_POLL)
    assert await standby.decide() == {"test.counted": 1}
    assert standby.leading
    # The old leader finds its session gone: it stops deciding, the lock being another's.
    assert await leader.decide() == {}
    assert not leader.leading
    assert counted.runs == ["first", "second"]
    assert await leader.next_due_at() == clock.now() + LEADER_POLL


async def test_a_leader_whose_connection_drops_leads_again_when_the_lock_is_free(
    two: tuple[PostgresStore, PostgresStore], postgres_db: str
) -> None:
    first, _ = two
    clock = FakeClock(START)
    counted = Counted()
    leader = engine(first, clock, counted.job("first"))
    assert await leader.decide() == {"test.counted": 1}
    await terminate(postgres_db, first)
    # Nobody else took the lock: its next decision takes it back on a new session.
    assert await leader.decide() == {"test.counted": 1}
    assert counted.runs == ["first", "first"]


async def test_a_standby_process_is_healthy(
    two: tuple[PostgresStore, PostgresStore], tmp_path: Path
) -> None:
    first, second = two
    clock = FakeClock(START)
    counted = Counted()
    assert await first.lead_jobs()
    beat = tmp_path / "crossfade.db.heartbeat"
    scheduler = Scheduler(engine(second, clock, counted.job("second")), heartbeat=beat)
    await scheduler.tick()
    scheduler.beat()
    assert not scheduler.engine.leading
    assert counted.runs == []
    snapshot = read_status(beat.read_text())
    assert snapshot is not None
    assert status_problems(snapshot, clock.now()) == []


async def test_on_sqlite_the_one_process_always_runs_the_jobs(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "crossfade.db")
    try:
        clock = FakeClock(START)
        counted = Counted()
        one = engine(store, clock, counted.job("only"))
        assert await one.decide() == {"test.counted": 1}
        assert one.leading
        assert await one.next_due_at() == clock.now() + timedelta(hours=1)
    finally:
        await store.close()
