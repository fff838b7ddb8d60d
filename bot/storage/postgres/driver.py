"""asyncpg behind the cursor-shaped calls the store's SQL modules make of aiosqlite.

The SQL modules write one dialect both servers read: ``?`` placeholders, ``ON CONFLICT``,
``RETURNING id`` instead of ``lastrowid``, ``COLLATE NOCASE`` (on PostgreSQL an ICU
collation of that name, created by the first migration). This module turns the
placeholders into ``$1, $2 …`` and gives back a cursor with ``rowcount`` and rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import asyncpg

from bot.storage.sql.db import returns_rows

# A quoted string (kept as it is) or a placeholder (numbered).
_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?")
# Statements run once per set of parameters, so the rows each touched are counted.
_COUNTED = re.compile(r"^\s*(UPDATE|DELETE)\b", re.IGNORECASE)


@lru_cache(maxsize=2048)
def translate(sql: str) -> str:
    """SQL with ``?`` placeholders as PostgreSQL's ``$1, $2 …`` (quoted text left alone)."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(0) != "?":
            return match.group(0)
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


def _touched(status: str) -> int:
    """Rows a command touched, from its status ("UPDATE 3", "INSERT 0 1", "DELETE 0")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


class PgCursor:
    """What one statement gave back: its rows, or how many rows it touched."""

    def __init__(self, rows: list[asyncpg.Record], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    async def fetchone(self) -> asyncpg.Record | None:
        """The first row, or None."""
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> list[asyncpg.Record]:
        """Every row."""
        return list(self._rows)

    @property
    def lastrowid(self) -> int:
        """Not on PostgreSQL: write ``RETURNING id`` and read the row instead."""
        raise TypeError("PostgreSQL has no lastrowid: use INSERT … RETURNING id")


class PgConnection:
    """One asyncpg connection with aiosqlite's ``execute`` / ``executemany`` shape."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.raw = conn

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> PgCursor:
        """Run one statement with its parameters."""
        args = tuple(parameters or ())
        query = translate(sql)
        if returns_rows(sql):
            rows = await self.raw.fetch(query, *args)
            return PgCursor(rows, len(rows))
        status = await self.raw.execute(query, *args)
        return PgCursor([], _touched(status))

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> PgCursor:
        """Run one statement for each set of parameters; ``rowcount`` is their total.

        Inserts go in one pipelined batch, whose count asyncpg doesn't report (-1, as
        sqlite3 says when it can't tell); an UPDATE or DELETE runs per set of parameters
        so the rows it touched are counted (the batches check them).
        """
        rows = [tuple(p) for p in parameters]
        query = translate(sql)
        if not _COUNTED.match(sql):
            await self.raw.executemany(query, rows)
            return PgCursor([], -1)
        statement = await self.raw.prepare(query)
        total = 0
        for args in rows:
            await statement.fetch(*args)
            total += _touched(statement.get_statusmsg())
        return PgCursor([], total)
