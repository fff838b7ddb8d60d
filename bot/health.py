"""Health of a running Crossfade: the database is readable, ticks complete, platforms connected.

The running bot writes its status record (bot/status.py) beside the database every minute;
this module reads it from another process and names each problem.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.errors import StartupError
from bot.status import Snapshot, read_status
from bot.storage.sql.operations import JOBS_COMPLETED
from bot.storage.sqlite import check_existing_file, migrations
from bot.web_routes import Route, WebRequest, WebResponse

# The heartbeat is written every minute; the scheduler ticks at least every 5 minutes, so
# three missed safety ticks mean it is stuck.
STALE_AFTER = timedelta(minutes=15)
# A platform may drop and come back (Discord and Slack ask for reconnects); past this it is out.
DISCONNECTED_AFTER = timedelta(minutes=5)
# The leader runs the jobs at least every safety tick (5 minutes); twice that without a
# completed pass anywhere means no process runs them (a standby's own record is fine).
JOBS_STALE_AFTER = timedelta(minutes=10)
HEALTH_PATH = "/healthz"


@dataclass(frozen=True)
class DeploymentJobs:
    """When any process of the deployment last completed the timed jobs (None: never)."""

    completed: datetime | None


def heartbeat_path(db_path: Path) -> Path:
    """Where the running bot writes its status record, beside the database."""
    return db_path.with_name(db_path.name + ".heartbeat")


def problems(
    db_path: Path,
    now: datetime | None = None,
    *,
    file: bool = True,
    jobs: DeploymentJobs | None = None,
) -> list[str]:
    """What is wrong, or an empty list when healthy; reads only, never writes.

    ``file``: the database is the SQLite file at ``db_path`` (not PostgreSQL), check it too.
    ``jobs``: what the database says of the deployment's timed jobs, checked if given.
    """
    found: list[str] = []
    if file and not db_path.exists():
        return [f"no database at {db_path} yet"]
    try:
        if file:
            check_existing_file(db_path, migrations()[-1][0])
    except StartupError as exc:
        found.append(str(exc))
    beat = heartbeat_path(db_path)
    if not beat.exists():
        return found
    now = now or datetime.now(UTC)
    try:
        snapshot = read_status(beat.read_text(encoding="utf-8", errors="replace"))
    except OSError as exc:
        return [*found, f"can't read {beat}: {exc.strerror or exc}"]
    if snapshot is None:
        # An older Crossfade's heartbeat: only its age is known.
        age = now - datetime.fromtimestamp(beat.stat().st_mtime, UTC)
        if age > STALE_AFTER:
            found.append(f"the scheduler last ticked {_minutes(age)} minutes ago")
        return found
    return found + status_problems(snapshot, now, jobs)


def deployment_jobs(db_path: Path, database_url: str | None = None) -> DeploymentJobs | None:
    """Read when the deployment last completed its timed jobs (None: the database can't say).

    From the SQLite file at ``db_path`` (read-only), or the PostgreSQL at ``database_url``.
    """
    try:
        if database_url is not None:
            value = asyncio.run(_postgres_jobs(database_url))
        else:
            if not db_path.exists():
                return None
            with closing(sqlite3.connect(f"{db_path.as_uri()}?mode=ro", uri=True)) as db:
                row = db.execute(
                    "SELECT value FROM settings WHERE key = ?", (JOBS_COMPLETED,)
                ).fetchone()
            value = None if row is None else str(row[0])
    except Exception:  # an unreadable database is named by the other checks
        return None
    return DeploymentJobs(None if value is None else datetime.fromisoformat(value))


async def _postgres_jobs(url: str) -> str | None:
    from bot.storage.postgres.shared import connect

    db = await connect(url, "crossfade health", 10.0)
    try:
        value = await db.fetchval("SELECT value FROM settings WHERE key = $1", JOBS_COMPLETED)
    finally:
        await db.close()
    return None if value is None else str(value)


def verdict(found: Sequence[str]) -> str:
    """What `crossfade health` prints and /healthz answers: "healthy", or every problem."""
    return "; ".join(found) if found else "healthy"


def health_route(
    db_path: Path,
    *,
    file: bool = True,
    jobs: Callable[[], Awaitable[datetime | None]] | None = None,
) -> Route:
    """GET /healthz: 200 and "healthy", or 503 naming the problems, as `crossfade health`.

    ``jobs`` reads when the deployment last completed its timed jobs (the store's).
    """

    async def check(_: WebRequest) -> WebResponse:
        known = None if jobs is None else DeploymentJobs(await jobs())
        # The checks read files and open the database: off the event loop.
        found = await asyncio.to_thread(problems, db_path, file=file, jobs=known)
        return WebResponse.text(
            verdict(found) + "\n", 503 if found else 200, **{"Cache-Control": "no-store"}
        )

    return Route("GET", HEALTH_PATH, check)


def status_problems(
    snapshot: Snapshot, now: datetime, jobs: DeploymentJobs | None = None
) -> list[str]:
    """What a running bot's status record (and the deployment's ``jobs``) say is wrong."""
    if now - snapshot.written_at > STALE_AFTER:
        # Nothing else in the record is current: the process or its event loop stopped.
        return [f"no heartbeat since {_moment(snapshot.written_at, now)}: is the bot running?"]
    found: list[str] = []
    completed = snapshot.last_tick or snapshot.started_at
    if now - completed > STALE_AFTER:
        started = "the bot started at " if snapshot.last_tick is None else ""
        line = f"no tick has completed since {started}{_moment(completed, now)}"
        if snapshot.tick_running_since is not None:
            line += f"; one has been running since {_clock(snapshot.tick_running_since, now)}"
        found.append(line)
    for link in snapshot.links:
        if not link.connected and now - link.since > DISCONNECTED_AFTER:
            found.append(f"{link.label} disconnected since {_moment(link.since, now)}")
    if jobs is not None:
        # Never completed: count from this process's start (the leader notes its first pass).
        done = jobs.completed or snapshot.started_at
        if now - done > JOBS_STALE_AFTER:
            found.append(
                "no process of the deployment has completed the timed jobs since "
                f"{_moment(done, now)}"
            )
    return found


def _minutes(age: timedelta) -> int:
    return int(age.total_seconds() // 60)


def _clock(moment: datetime, now: datetime) -> str:
    moment, now = moment.astimezone(UTC), now.astimezone(UTC)
    if moment.date() == now.date():
        return moment.strftime("%H:%M UTC")
    return moment.strftime("%a %d %b %H:%M UTC")


def _moment(moment: datetime, now: datetime) -> str:
    """'12:03 UTC (7 min)': when, and how long ago."""
    return f"{_clock(moment, now)} ({_minutes(now - moment)} min)"
