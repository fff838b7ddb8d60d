"""The one SQLite connection a store works on: opening it, transactions, reads, time columns.

Opening the file (checking it, migrating it) is ``bot/storage/sqlite_open.py``; every
module of this package is a mixin over ``ConnectionBase``, and ``SqliteStore`` (in
``__init__``) is all of them together.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import aiosqlite

from bot.storage.sqlite_open import open_database


def ts(moment: datetime) -> str:
    """A moment as stored: ISO 8601 in UTC."""
    return moment.astimezone(UTC).isoformat()


def opt_ts(moment: datetime | None) -> str | None:
    """An optional moment as stored."""
    return None if moment is None else ts(moment)


def dt(value: str) -> datetime:
    """A stored moment."""
    return datetime.fromisoformat(value)


def opt_dt(value: str | None) -> datetime | None:
    """An optional stored moment."""
    return None if value is None else datetime.fromisoformat(value)


class ConnectionBase:
    """One aiosqlite connection (WAL, foreign keys on), every unit of work serialised."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        # One connection: serialise every unit of work so transactions never interleave.
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path, *, max_pages: int | None = None) -> Self:
        """Open (creating if needed) and migrate the database at ``path`` (see sqlite_open)."""
        file = Path(path)
        conn = await open_database(file, max_pages=max_pages)
        conn.row_factory = aiosqlite.Row
        return cls(conn, file)

    async def close(self) -> None:
        """Close the connection."""
        await self._conn.close()

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            yield self._conn

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        async with self._read() as db:
            return await (await db.execute(sql, params)).fetchone()

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        async with self._read() as db:
            return list(await (await db.execute(sql, params)).fetchall())
