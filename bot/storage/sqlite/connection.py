"""The one SQLite connection a store works on: opening it, transactions and reads.

Opening the file (checking it, migrating it) is ``bot/storage/sqlite_open.py``; the SQL
modules (``bot/storage/sql/``) are mixins over ``SqlBase``, and ``SqliteStore`` (in
``__init__``) is this connection with all of them.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Self

import aiosqlite

from bot.pacing import Pacer, Pacing, Sleep
from bot.storage.sql.communities import ForeignKey, Schema
from bot.storage.sql.db import SqlBase
from bot.storage.sql.db import dt as dt
from bot.storage.sql.db import opt_dt as opt_dt
from bot.storage.sql.db import opt_ts as opt_ts
from bot.storage.sql.db import ts as ts
from bot.storage.sqlite.checkpoints import WAL_LIMIT, Checkpointer
from bot.storage.sqlite.statements import SqliteDb
from bot.storage.sqlite_open import open_database

log = logging.getLogger(__name__)


class ConnectionBase(SqlBase):
    """One aiosqlite connection (WAL, foreign keys on), every unit of work serialised."""

    def __init__(
        self, conn: aiosqlite.Connection, path: Path, checkpoints: Checkpointer | None = None
    ) -> None:
        self._conn = conn
        self.path = path
        # Where the WAL is checkpointed after writes (None: by SQLite, inside commits).
        self.checkpoints = checkpoints
        # One connection: serialise every unit of work so transactions never interleave.
        self._lock = asyncio.Lock()
        # What a unit of work gets: the connection, each statement and its rows in one trip.
        self._db = SqliteDb(conn)

    integrity_errors: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)

    @classmethod
    async def open(
        cls, path: str | Path, *, max_pages: int | None = None, wal_limit: int = WAL_LIMIT
    ) -> Self:
        """Open (creating if needed) and migrate the database at ``path`` (see sqlite_open).

        ``wal_limit``: the WAL file's size in bytes past which a write waits for the log to
        be checkpointed (bot/storage/sqlite/checkpoints.py).
        """
        file = Path(path)
        conn = await open_database(file, max_pages=max_pages)
        conn.row_factory = aiosqlite.Row
        try:
            checkpoints = await Checkpointer.open(file, wal_limit)
        except sqlite3.Error as exc:
            log.warning("SQLite checkpoints stay inside commits (%s)", exc)
            return cls(conn, file)
        # Commits no longer checkpoint: the checkpointer does, on its own connection; a
        # log started afresh leaves the file no larger than the limit.
        await conn.execute("PRAGMA wal_autocheckpoint = 0")
        await conn.execute(f"PRAGMA journal_size_limit = {int(wal_limit)}")
        return cls(conn, file, checkpoints)

    async def close(self) -> None:
        """Close the connection (after the checkpoint under way, if any)."""
        if self.checkpoints is not None:
            await self.checkpoints.close()
        await self._conn.close()

    def send_pacer(self, bucket: str, rate: float, sleep: Sleep, *, steady: bool = False) -> Pacing:
        """The one process serving the file paces its sends in memory."""
        return Pacer(rate, sleep, steady=steady)

    async def lead_jobs(self) -> bool:
        """Always: one process serves the file (bot/storage/serve_lock.py)."""
        return True

    async def watch_outbox(self, poke: Callable[[], None]) -> None:
        """Nothing to watch: only this process queues messages, and it pokes itself."""

    async def schema(self) -> Schema:
        """The file's tables and their foreign keys."""
        async with self._read() as db:
            names = [
                str(r[0])
                for r in await db.execute_fetchall(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
                )
            ]
            keys = []
            for name in names:
                found: dict[int, list[Any]] = {}
                for r in await db.execute_fetchall(f'PRAGMA foreign_key_list("{name}")'):
                    found.setdefault(int(r["id"]), []).append(r)
                for parts in found.values():
                    parts.sort(key=lambda r: int(r["seq"]))
                    keys.append(
                        ForeignKey(
                            name,
                            tuple(str(r["from"]) for r in parts),
                            str(parts[0]["table"]),
                            tuple(str(r["to"]) for r in parts),
                        )
                    )
        return Schema(tuple(names), tuple(keys))

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[SqliteDb]:
        async with self._lock:
            if self.checkpoints is not None:
                await self.checkpoints.before_write()
            changes = self._conn.total_changes
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")
            changes = self._conn.total_changes - changes
        if self.checkpoints is not None:
            self.checkpoints.wrote(changes)

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[SqliteDb]:
        async with self._lock:
            yield self._db
