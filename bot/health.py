"""Health of a running Crossfade: the database is readable, ticks complete, platforms connected.

Each running bot writes its status record (bot/status.py) beside the database every minute,
in a file of its own (bot/heartbeats.py); this module reads them from another process (or
/healthz, its own) and names each problem.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.errors import StartupError
from bot.heartbeats import Heartbeat, heartbeats, running
from bot.heartbeats import heartbeat_path as heartbeat_path  # its home before bot.heartbeats
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
    # Why PostgreSQL couldn't be read (one line): unlike a file, nothing else would say so.
    unreadable: str | None = None


def problems(
    db_path: Path,
    now: datetime | None = None,
    *,
    file: bool = True,
    jobs: DeploymentJobs | None = None,
    pid: int | None = None,
) -> list[str]:
    """What is wrong, or an empty list when healthy; reads only, never writes.

    ``file``: the database is the SQLite file at ``db_path`` (not PostgreSQL), check it too.
    ``jobs``: what the database says of the deployment's timed jobs, checked if given.
    ``pid``: the process of this machine to check (default: every one running here; a file
    left by a process that is gone is not one of them).
    """
    found: list[str] = []
    if file and not db_path.exists():
        return [f"no database at {db_path} yet"]
    try:
        if file:
            check_existing_file(db_path, migrations()[-1][0])
    except StartupError as exc:
        found.append(str(exc))
    if jobs is not None and jobs.unreadable is not None:
        found.append(jobs.unreadable)
    now = now or datetime.now(UTC)
    beats = heartbeats(db_path)
    if pid is not None:
        chosen = [b for b in beats if b.pid == pid]
        if not running(pid):
            last = _last_heard(chosen, now)
            after = f": it stopped after {last[1]}" if last else ""
            return [*found, f"process {pid} is not running{after}"]
        if not chosen and pid != os.getpid():  # a process asking about itself is alive
            return [*found, f"process {pid} has written no heartbeat beside {db_path}"]
    else:
        chosen = [b for b in beats if running(b.pid)]
        if not chosen and beats:
            # Only files of processes that are gone: nothing here is running.
            last = _last_heard(beats, now)
            after = f": process {last[0]} stopped after {last[1]}" if last else ""
            return [*found, f"no Crossfade process is running here{after}"]
    started: list[datetime] = []
    for beat in chosen:
        named = f"process {beat.pid}: " if len(chosen) > 1 else ""
        lines, snapshot = _beat_problems(beat.path, now)
        found += [named + line for line in lines]
        if snapshot is not None:
            started.append(snapshot.started_at)
    if jobs is not None and jobs.unreadable is None and started:
        late = jobs_problem(jobs, min(started), now)
        found += [late] if late else []
    return found


def _beat_problems(path: Path, now: datetime) -> tuple[list[str], Snapshot | None]:
    """What one process's heartbeat says is wrong (the deployment's jobs aside)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
        snapshot = read_status(text)
        if snapshot is None:
            # An older Crossfade's heartbeat: only its age is known.
            age = now - datetime.fromtimestamp(path.stat().st_mtime, UTC)
            late = age > STALE_AFTER
            return (
                [f"the scheduler last ticked {_minutes(age)} minutes ago"] if late else []
            ), None
    except OSError as exc:
        return [f"can't read {path}: {exc.strerror or exc}"], None
    return status_problems(snapshot, now), snapshot


def _last_heard(beats: Sequence[Heartbeat], now: datetime) -> tuple[int, str] | None:
    """The pid whose heartbeat of ``beats`` was written last, and when ("12:03 UTC (7 min)")."""
    written: list[tuple[datetime, int]] = []
    for beat in beats:
        try:
            snapshot = read_status(beat.path.read_text(encoding="utf-8", errors="replace"))
            moment = snapshot.written_at if snapshot else None
            moment = moment or datetime.fromtimestamp(beat.path.stat().st_mtime, UTC)
        except OSError:
            continue
        written.append((moment, beat.pid))
    if not written:
        return None
    moment, pid = max(written)
    return pid, _moment(moment, now)


def deployment_jobs(db_path: Path, database_url: str | None = None) -> DeploymentJobs | None:
    """Read when the deployment last completed its timed jobs (None: the database can't say).

    From the SQLite file at ``db_path`` (read-only), or the PostgreSQL at ``database_url``.
    """
    if database_url is not None:
        try:
            value = asyncio.run(_postgres_jobs(database_url))
        except Exception as exc:  # one line naming the server and what failed
            from bot.storage.postgres.connection import explain

            return DeploymentJobs(None, unreadable=explain(exc, database_url))
        return DeploymentJobs(None if value is None else datetime.fromisoformat(value))
    try:
        if not db_path.exists():
            return None
        with closing(sqlite3.connect(f"{db_path.as_uri()}?mode=ro", uri=True)) as db:
            row = db.execute(
                "SELECT value FROM settings WHERE key = ?", (JOBS_COMPLETED,)
            ).fetchone()
    except Exception:  # an unreadable file is named by the other checks
        return None
    return DeploymentJobs(None if row is None else datetime.fromisoformat(str(row[0])))


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
    """GET /healthz: 200 and "healthy", or 503 naming the problems of this very process, as
    `crossfade health --pid` does.

    ``jobs`` reads when the deployment last completed its timed jobs (the store's).
    """

    async def check(_: WebRequest) -> WebResponse:
        known = None if jobs is None else DeploymentJobs(await jobs())
        # The checks read files and open the database: off the event loop. The process
        # answering is the one asked about, whatever others share the folder.
        found = await asyncio.to_thread(problems, db_path, file=file, jobs=known, pid=os.getpid())
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
    late = None if jobs is None else jobs_problem(jobs, snapshot.started_at, now)
    return [*found, late] if late else found


def jobs_problem(jobs: DeploymentJobs, started: datetime, now: datetime) -> str | None:
    """The deployment's timed jobs overdue, counted from ``started`` if never completed."""
    # Never completed: count from the process's start (the leader notes its first pass).
    done = jobs.completed or started
    if now - done > JOBS_STALE_AFTER:
        return (
            f"no process of the deployment has completed the timed jobs since {_moment(done, now)}"
        )
    return None


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
