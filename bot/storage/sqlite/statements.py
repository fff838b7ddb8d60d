"""The store's aiosqlite connection as the SQL modules use it: one trip per statement.

aiosqlite runs each call on the connection's own thread, and every call is a round trip
through a queue and the event loop (about 0.1 ms, more on a busy machine): a read as
``await (await db.execute(…)).fetchone()`` took two. A statement that gives rows back is
read here in the same trip as it runs (``execute_fetchall``), which is what the PostgreSQL
driver does (bot/storage/postgres/driver.py), by the same test (``returns_rows``): its
``rowcount`` is then how many rows came back, as there. Any other statement runs as before
and reports how many rows it touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

from bot.storage.sql.db import Cursor, returns_rows


class Fetched:
    """A statement's rows, read as it ran."""

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows
        self.rowcount = len(rows)

    async def fetchone(self) -> Any:
        """The first row, or None."""
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> list[Any]:
        """Every row."""
        return list(self._rows)


class SqliteDb:
    """One aiosqlite connection inside a unit of work, a statement and its rows in one trip."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Cursor:
        """Run one statement; rows it gives back are read in the same trip."""
        if returns_rows(sql):
            return Fetched(list(await self.conn.execute_fetchall(sql, parameters)))
        return await self.conn.execute(sql, parameters)

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> Cursor:
        """Run one statement for each set of parameters."""
        return await self.conn.executemany(sql, parameters)

    async def execute_fetchall(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        """Every row of one statement."""
        return list(await self.conn.execute_fetchall(sql, parameters))
