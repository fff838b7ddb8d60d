"""`crossfade migrate-to-postgres`: an SQLite database copied into an empty PostgreSQL one.

Table by table in dependency order (a table after those it references), row for row with
the ids kept, in one transaction; identity sequences then move past the copied ids, and
every table's count is checked against the file's before anything is committed.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

from bot.errors import StartupError
from bot.storage.postgres import PostgresStore
from bot.storage.postgres.connection import WRITE_LOCK
from bot.storage.serve_lock import ServeLock
from bot.storage.sqlite import SqliteStore


def dependency_order(conn: sqlite3.Connection) -> list[str]:
    """The file's tables, each after every table its foreign keys point at."""
    names = [
        str(r[0])
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    ]
    needs = {
        name: {str(r[2]) for r in conn.execute(f'PRAGMA foreign_key_list("{name}")')} - {name}
        for name in names
    }
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and needs[n] <= set(ordered)]
        if not ready:
            raise StartupError("The SQLite database's foreign keys go round in a circle.")
        ordered += ready
    return ordered


def _read(path: Path) -> list[tuple[str, list[str], list[tuple[object, ...]]]]:
    """Every table's columns and rows, in dependency order."""
    with closing(sqlite3.connect(path)) as conn:
        found = []
        for table in dependency_order(conn):
            cursor = conn.execute(f'SELECT * FROM "{table}"')
            columns = [str(d[0]) for d in cursor.description]
            found.append((table, columns, [tuple(r) for r in cursor.fetchall()]))
        return found


async def copy_to_postgres(path: Path, url: str) -> list[tuple[str, int]]:
    """Copy the SQLite database at ``path`` into the empty database at ``url``: each count."""
    if not await asyncio.to_thread(path.exists):
        raise StartupError(f"There is no SQLite database at {path} to copy (CROSSFADE_DB).")
    # No bot may write to the file while it is copied; locked only once the file is known
    # to be there, as the lock would leave a file of its own beside a missing one.
    with ServeLock(path):
        return await _copy(path, url)


async def _copy(path: Path, url: str) -> list[tuple[str, int]]:
    lite = await SqliteStore.open(path)  # checked and brought to this Crossfade's schema
    await lite.close()
    tables = await asyncio.to_thread(_read, path)
    store = await PostgresStore.open(url)
    try:
        async with store._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
            for table, _, _ in tables:
                if await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):
                    raise StartupError(
                        f"The PostgreSQL database {store.where} is not empty (its {table} "
                        "table has rows); copy into a new, empty database."
                    )
            for table, columns, rows in tables:
                if rows:
                    await conn.copy_records_to_table(table, records=rows, columns=columns)
                if "id" in columns:
                    await conn.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f' COALESCE(MAX(id), 0) + 1, false) FROM "{table}"'
                    )
            counts = []
            for table, _, rows in tables:
                have = int(await conn.fetchval(f'SELECT COUNT(*) FROM "{table}"'))
                if have != len(rows):
                    raise StartupError(
                        f"The copy of {table} holds {have} rows, not {len(rows)}: nothing was "
                        "kept; try again."
                    )
                counts.append((table, have))
    finally:
        await store.close()
    return counts
