"""Health of the deployment's timed jobs: any process may run them; none running them is named."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from adapters.cli import main
from adapters.web import WebApp
from bot.clock import FakeClock
from bot.health import DeploymentJobs, deployment_jobs, health_route, heartbeat_path, problems
from bot.status import Status
from tests.harness import Harness
from tests.stores import Database

START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def cli_health(
    database: Database,
    heartbeat_db: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str]:
    """`crossfade health` against ``database``, its heartbeat beside ``heartbeat_db``."""
    monkeypatch.chdir(heartbeat_db.parent)  # no .env
    monkeypatch.setenv("CROSSFADE_DB", str(heartbeat_db))
    if isinstance(database, str):
        monkeypatch.setenv("CROSSFADE_DATABASE_URL", database)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        code = main(["health"])
    finally:
        root.handlers[:], root.level = handlers, level
    return code, capsys.readouterr().out.strip()


@pytest.mark.asyncio
async def test_health_fails_when_no_process_has_completed_the_jobs_for_ten_minutes(
    harness: Harness,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The heartbeat beside the SQLite file, or (PostgreSQL) where CROSSFADE_DB points.
    here = harness.database if isinstance(harness.database, Path) else tmp_path / "h.db"
    assert (await deployment_jobs_of(harness)).completed is None
    await harness.engine.tick()  # the leader completes the jobs at 08:00
    assert await harness.store.jobs_last_completed() == START

    # A standby: it ticks and delivers but never runs the jobs itself.
    clock = FakeClock(START)
    standby = Status(clock)
    standby.link("Discord").up()
    clock.advance(timedelta(minutes=9))
    standby.tick_finished()
    standby.write(heartbeat_path(here))
    file = isinstance(harness.database, Path)
    jobs = await deployment_jobs_of(harness)
    assert problems(here, clock.now(), file=file, jobs=jobs) == []

    # The leader went away at 08:00: eleven minutes on, no process runs the jobs.
    clock.advance(timedelta(minutes=2))
    standby.tick_finished()
    standby.write(heartbeat_path(here))
    expected = "no process of the deployment has completed the timed jobs since 08:00 UTC (11 min)"
    assert problems(here, clock.now(), file=file, jobs=jobs) == [expected]
    # Without the deployment's record, only this process's own (healthy) state is checked.
    assert problems(here, clock.now(), file=file) == []

    # Another process takes the jobs over and completes them: healthy again.
    harness.clock.set(clock.now())
    await harness.engine.tick()
    jobs = await deployment_jobs_of(harness)
    assert problems(here, clock.now(), file=file, jobs=jobs) == []


async def deployment_jobs_of(harness: Harness) -> DeploymentJobs:
    """What `crossfade health` reads from the harness's database, as another process would."""
    path = harness.database if isinstance(harness.database, Path) else Path("/nonexistent")
    url = harness.database if isinstance(harness.database, str) else None
    # Off the event loop: the PostgreSQL reading runs a loop of its own, as the CLI does.
    found = await asyncio.to_thread(deployment_jobs, path, url)
    assert found is not None
    return found


@pytest.mark.asyncio
async def test_crossfade_health_and_healthz_name_jobs_no_process_completed(
    harness: Harness,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    here = harness.database if isinstance(harness.database, Path) else tmp_path / "h.db"
    file = isinstance(harness.database, Path)
    now = datetime.now(UTC)
    # The leader last completed the jobs 12 minutes ago (real time: the CLI's clock).
    harness.clock.set(now - timedelta(minutes=12))
    await harness.engine.tick()
    went = now - timedelta(minutes=12)
    clock = FakeClock(now - timedelta(minutes=1))
    status = Status(clock)
    status.tick_finished()
    status.write(heartbeat_path(here))
    since = went.strftime("%H:%M UTC" if went.date() == now.date() else "%a %d %b %H:%M UTC")
    expected = f"no process of the deployment has completed the timed jobs since {since} (12 min)"

    # In a thread, as from a shell: the PostgreSQL reading runs an event loop of its own.
    code, said = await asyncio.to_thread(cli_health, harness.database, here, monkeypatch, capsys)
    assert (code, said) == (1, expected)

    web_app = WebApp(
        host="127.0.0.1",
        port=0,
        routes=[health_route(here, file=file, jobs=harness.store.jobs_last_completed)],
    )
    await web_app.start()
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(web_app.local_url("/healthz")) as resp,
        ):
            assert (resp.status, await resp.text()) == (503, expected + "\n")
        harness.clock.set(now)
        await harness.engine.tick()  # a process completes them now
        async with (
            aiohttp.ClientSession() as session,
            session.get(web_app.local_url("/healthz")) as resp,
        ):
            assert (resp.status, await resp.text()) == (200, "healthy\n")
    finally:
        await web_app.stop()
    healthy = await asyncio.to_thread(cli_health, harness.database, here, monkeypatch, capsys)
    assert healthy == (0, "healthy")
