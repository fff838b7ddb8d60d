"""PostgreSQL's schema: its own versioned migrations, applied once under an advisory lock.

Several processes may start at once: the first to take the lock migrates, in one
transaction, and the others find the work done. A database migrated by a newer Crossfade,
or holding another program's tables, is left untouched and start-up stops with one line.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from bot.errors import StartupError

MIGRATIONS = "bot.storage.postgres.migrations"
# pg_advisory_xact_lock key for migrating ("XFAD" + 1); writes use WRITE_LOCK (connection.py).
MIGRATE_LOCK = int.from_bytes(b"XFAD", "big") * 16 + 1
VERSION_TABLE = "schema_version"


@functools.cache
def migrations() -> tuple[tuple[int, str], ...]:
    """PostgreSQL's migrations shipped with the code, as (version, SQL), in order."""
    found = []
    for entry in resources.files(MIGRATIONS).iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text("utf-8")))
    return tuple(sorted(found))


def latest() -> int:
    """The schema version this Crossfade builds."""
    known = migrations()
    return known[-1][0] if known else 0


async def _version(conn: Any, where: str) -> int:
    """The database's schema version: 0 when empty; StartupError when it isn't ours."""
    has_table = await conn.fetchval("SELECT to_regclass('public.schema_version') IS NOT NULL")
    if has_table:
        return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version"))
    tables = await conn.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        " ORDER BY table_name LIMIT 6"
    )
    if tables:
        names = ", ".join(str(r[0]) for r in tables[:5])
        raise StartupError(
            f"The PostgreSQL database {where} is not a Crossfade database: it holds another "
            f"program's tables ({names}). Crossfade leaves it untouched; point "
            "CROSSFADE_DATABASE_URL at an empty database or a Crossfade one."
        )
    return 0


async def migrate(conn: Any, where: str) -> int:
    """Bring the database up to this Crossfade's schema; returns the version it is at."""
    known = migrations()
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATE_LOCK)
        current = await _version(conn, where)
        if current > latest():
            raise StartupError(
                f"The PostgreSQL database {where} has schema version {current}, newer than "
                f"this Crossfade knows (up to {latest()}). Upgrade Crossfade; the database "
                "was left untouched."
            )
        pending = [(version, sql) for version, sql in known if version > current]
        if not pending:
            return current
        if current == 0:
            await conn.execute(f"CREATE TABLE {VERSION_TABLE} (version BIGINT NOT NULL)")
        for version, sql in pending:
            await conn.execute(sql)
            await conn.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES ($1)", version)
        return pending[-1][0]
