"""Health of a running Crossfade: the database is readable, ticks complete, platforms connected.

The running bot writes its status record (bot/status.py) beside the database every minute;
this module reads it from another process and names each problem.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.errors import StartupError
from bot.status import Snapshot, read_status
from bot.storage.sqlite import check_existing_file, migrations
from bot.web_routes import Route, WebRequest, WebResponse

# The heartbeat is written every minute; the scheduler ticks at least every 5 minutes, so
# three missed safety ticks mean it is stuck.
STALE_AFTER = timedelta(minutes=15)
# A platform may drop and come back (Discord and Slack ask for reconnects); past this it is out.
DISCONNECTED_AFTER = timedelta(minutes=5)
HEALTH_PATH = "/healthz"


def heartbeat_path(db_path: Path) -> Path:
    """Where the running bot writes its status record, beside the database."""
    return db_path.with_name(db_path.name + ".heartbeat")


def problems(db_path: Path, now: datetime | None = None, *, file: bool = True) -> list[str]:
    """What is wrong, or an empty list when healthy; reads only, never writes.

    ``file``: the database is the SQLite file at ``db_path`` (not PostgreSQL), check it too.
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
    return found + status_problems(snapshot, now)


def verdict(found: Sequence[str]) -> str:
    """What `crossfade health` prints and /healthz answers: "healthy", or every problem."""
    return "; ".join(found) if found else "healthy"


def health_route(db_path: Path, *, file: bool = True) -> Route:
    """GET /healthz: 200 and "healthy", or 503 naming the problems, as `crossfade health`."""

    async def check(_: WebRequest) -> WebResponse:
        # The checks read files and open the database: off the event loop.
        found = await asyncio.to_thread(problems, db_path, file=file)
        return WebResponse.text(
            verdict(found) + "\n", 503 if found else 200, **{"Cache-Control": "no-store"}
        )

    return Route("GET", HEALTH_PATH, check)


def status_problems(snapshot: Snapshot, now: datetime) -> list[str]:
    """What a running bot's status record says is wrong."""
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
