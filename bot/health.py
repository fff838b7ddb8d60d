"""Health of a running Crossfade: the database is readable and the scheduler keeps ticking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.errors import StartupError
from bot.storage.sqlite import check_existing_file, migrations

# The scheduler ticks at least every 5 minutes; three missed ticks mean it is stuck.
STALE_AFTER = timedelta(minutes=15)


def heartbeat_path(db_path: Path) -> Path:
    """Where the scheduler records its last tick, beside the database."""
    return db_path.with_name(db_path.name + ".heartbeat")


def problems(db_path: Path, now: datetime | None = None) -> list[str]:
    """What is wrong, or an empty list when healthy; reads only, never writes."""
    found: list[str] = []
    if not db_path.exists():
        return [f"no database at {db_path} yet"]
    try:
        check_existing_file(db_path, migrations()[-1][0])
    except StartupError as exc:
        found.append(str(exc))
    beat = heartbeat_path(db_path)
    if beat.exists():
        age = (now or datetime.now(UTC)) - datetime.fromtimestamp(beat.stat().st_mtime, UTC)
        if age > STALE_AFTER:
            found.append(f"the scheduler last ticked {int(age.total_seconds() // 60)} minutes ago")
    return found
