"""Each `crossfade run` on a machine has its own heartbeat; `crossfade health` checks the one asked.

Real processes (tests/heartbeat_child.py, each writing its heartbeat as `crossfade run`'s
scheduler does) share one CROSSFADE_DB folder, as several processes on one PostgreSQL
database do. One is healthy, one has had Discord down for 7.5 minutes; each is killed in
turn, and the file it leaves never speaks for a process that runs.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.cli import main
from bot.clock import FakeClock
from bot.health import health_route
from bot.heartbeats import clear_stale, heartbeat_path, heartbeats
from bot.scheduler import Scheduler
from bot.status import Status
from bot.storage.sqlite import SqliteStore
from bot.web_routes import WebRequest

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def process(db: Path, down_minutes: float) -> Iterator[subprocess.Popen[str]]:
    """A process of this machine that wrote its heartbeat beside ``db`` and is still running."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.heartbeat_child", str(db), str(down_minutes)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        yield child
    finally:
        kill(child)


def kill(child: subprocess.Popen[str]) -> None:
    """SIGKILL: the process dies without cleaning anything up."""
    if child.poll() is None:
        child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    for stream in (child.stdin, child.stdout):
        if stream is not None:
            stream.close()


def health(
    db: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *options: str,
) -> tuple[int, str]:
    """`crossfade health` (with ``options``) against the SQLite file ``db``."""
    monkeypatch.chdir(db.parent)  # no .env
    monkeypatch.setenv("CROSSFADE_DB", str(db))
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        code = main(["health", *options])
    finally:
        root.handlers[:], root.level = handlers, level
    return code, capsys.readouterr().out.strip()


async def database(tmp_path: Path) -> Path:
    db = tmp_path / "crossfade.db"
    store = await SqliteStore.open(db)
    await store.close()
    return db


@pytest.mark.asyncio
async def test_each_process_has_its_own_heartbeat_and_health_checks_the_one_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = await database(tmp_path)
    with process(db, 0) as healthy, process(db, 7.5) as down:
        assert heartbeat_path(db, healthy.pid) != heartbeat_path(db, down.pid)
        assert [b.pid for b in heartbeats(db)] == sorted([healthy.pid, down.pid])

        # Asked about one, health answers about that one.
        assert health(db, monkeypatch, capsys, "--pid", str(healthy.pid)) == (0, "healthy")
        code, said = health(db, monkeypatch, capsys, "--pid", str(down.pid))
        assert code == 1
        assert said.startswith("Discord disconnected since ")
        assert said.endswith(" (7 min)")
        # Asked about none, it checks every process running here and names the sick one.
        assert health(db, monkeypatch, capsys) == (1, f"process {down.pid}: {said}")
        # /healthz answers for the process serving it (this one, which is fine).
        answer = await health_route(db).handler(WebRequest())
        assert (answer.status, answer.body) == (200, b"healthy\n")

        # The sick process dies: the file it leaves speaks for no one running.
        kill(down)
        assert heartbeat_path(db, down.pid).exists()
        assert health(db, monkeypatch, capsys) == (0, "healthy")
        code, said = health(db, monkeypatch, capsys, "--pid", str(down.pid))
        assert code == 1
        assert said.startswith(f"process {down.pid} is not running: it stopped after ")

        # Every process here is gone: health says so instead of "healthy".
        kill(healthy)
        code, said = health(db, monkeypatch, capsys)
        assert code == 1
        assert said.startswith("no Crossfade process is running here: process ")

    # A process starting here clears what dead processes left; nothing stale is read.
    clear_stale(db)
    assert heartbeats(db) == []
    assert health(db, monkeypatch, capsys) == (0, "healthy")


@dataclass
class IdleEngine:
    """An engine with nothing due, for a scheduler that only beats."""

    clock: FakeClock

    async def tick(self) -> None:
        return None

    async def next_due_at(self) -> datetime | None:
        return None


@pytest.mark.asyncio
async def test_a_process_clears_dead_heartbeats_at_start_and_its_own_when_it_stops(
    tmp_path: Path,
) -> None:
    db = await database(tmp_path)
    # This pid's file from a previous life (a container's pid 1 before a restart).
    Status(FakeClock(datetime(2026, 11, 30, tzinfo=UTC))).write(heartbeat_path(db))
    with process(db, 0) as alive, process(db, 0) as dead:
        kill(dead)
        clear_stale(db)
        assert [b.pid for b in heartbeats(db)] == [alive.pid]

        clock = FakeClock(datetime.now(UTC))
        engine = IdleEngine(clock)
        scheduler = Scheduler(engine, heartbeat=heartbeat_path(db), status=Status(clock))  # type: ignore[arg-type]
        scheduler.start()
        try:
            assert heartbeat_path(db).exists()
            assert sorted(b.pid for b in heartbeats(db)) == sorted([alive.pid, os.getpid()])
        finally:
            scheduler.shutdown()
        assert not heartbeat_path(db).exists()
        assert [b.pid for b in heartbeats(db)] == [alive.pid]
