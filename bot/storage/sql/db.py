"""What the SQL modules ask of a connection, and the base every store's mixin extends.

Both aiosqlite's connection and ``PgConnection`` (bot/storage/postgres/driver.py) are a
``Db``: ``execute`` gives a cursor with ``rowcount`` and rows, ``executemany`` runs a batch.
The SQL is one dialect both servers read (``?`` placeholders, ``ON CONFLICT``, ``RETURNING``,
``COLLATE NOCASE``); times are ISO 8601 UTC text and flags 0/1 integers on both.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import socket
from collections.abc import Awaitable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any, Protocol


class Row(Protocol):
    """One row: by column name or position (sqlite3.Row, asyncpg.Record)."""

    def __getitem__(self, key: Any, /) -> Any:
        """A column's value."""
        ...

    def keys(self) -> Any:
        """The column names."""
        ...


class Cursor(Protocol):
    """What one statement gave back."""

    @property
    def rowcount(self) -> int:
        """Rows the statement touched."""
        ...

    async def fetchone(self) -> Any:
        """The first row, or None."""
        ...

    async def fetchall(self) -> Iterable[Any]:
        """Every row."""
        ...


class Db(Protocol):
    """A connection inside a unit of work."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Awaitable[Cursor]:
        """Run one statement."""
        ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Awaitable[Any]:
        """Run one statement for each set of parameters."""
        ...


# Statements whose rows are read (all at once); any other reports how many rows it touched.
_RETURNS_ROWS = re.compile(r"^\s*(SELECT|WITH|VALUES)\b|\bRETURNING\b", re.IGNORECASE)


@functools.lru_cache(maxsize=2048)
def returns_rows(sql: str) -> bool:
    """Whether a statement gives rows back (read at once), not a count of the rows it touched."""
    return _RETURNS_ROWS.search(sql) is not None


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


async def fetch_all(db: Db, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """Every row of one statement run inside a unit of work."""
    return list(await (await db.execute(sql, params)).fetchall())


async def inserted_id(db: Db, sql: str, params: Sequence[Any]) -> int | None:
    """Run an ``INSERT … RETURNING id``: the new row's id, or None when none was inserted."""
    rows = list(await (await db.execute(sql, params)).fetchall())
    return int(rows[0][0]) if rows else None


class SqlBase:
    """The units of work each store provides; every SQL module is a mixin over this."""

    # What a broken unique or check constraint raises on this store's driver.
    integrity_errors: tuple[type[Exception], ...] = ()
    # Whether several processes may serve this database at once (PostgreSQL, not SQLite).
    shared: bool = False
    # What a claiming subquery ends with so concurrent claims pass over each other's rows
    # (PostgreSQL's FOR UPDATE … SKIP LOCKED; SQLite has one writer and no such clause).
    skip_locked: str = ""

    @functools.cached_property
    def owner(self) -> str:
        """Who holds this store's outbox leases: host, process and a random part per store."""
        return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"

    def _tx(self) -> AbstractAsyncContextManager[Db]:
        """One write transaction (one writer at a time), committed when the block ends."""
        raise NotImplementedError

    def _rows_tx(self) -> AbstractAsyncContextManager[Db]:
        """A write transaction touching only rows it names (the outbox's claims and marks).

        Where the store has a database-wide write lock it may do without it: row locks
        keep such statements apart. By default, the ordinary write transaction.
        """
        return self._tx()

    def _read(self) -> AbstractAsyncContextManager[Db]:
        """A connection for reads."""
        raise NotImplementedError

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        async with self._read() as db:
            return await (await db.execute(sql, params)).fetchone()

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        async with self._read() as db:
            return list(await (await db.execute(sql, params)).fetchall())
