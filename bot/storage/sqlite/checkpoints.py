"""WAL checkpoints on a connection of their own, off the path of commands and decisions.

SQLite copies its write-ahead log back into the database file (a checkpoint) by itself,
inside whichever commit pushes the log past 1,000 pages: now and then a /checkin, and after
every big batch the weekly decision, which paid 0.1-0.2 s of a 10,000-member tick for it.
Here the store's connection never checkpoints (``wal_autocheckpoint = 0``): after a write
commits, a second connection on its own thread runs a PASSIVE checkpoint, which waits for
no reader or writer, so the store carries on meanwhile. One runs at a time, and writes that
commit during it get another right after, so the log never grows unchecked.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path
from typing import Self

import aiosqlite

from bot.storage.sqlite_open import BUSY_TIMEOUT

log = logging.getLogger(__name__)


class Checkpointer:
    """Checkpoints the WAL of one database after its writes, in the background."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._closed = False

    @classmethod
    async def open(cls, path: Path) -> Self:
        """A checkpointing connection to the (already open and migrated) database at ``path``."""
        conn = await aiosqlite.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT)
        await conn.execute("PRAGMA synchronous=NORMAL")
        return cls(conn)

    def wrote(self) -> None:
        """A write transaction committed: checkpoint it soon."""
        if self._closed:
            # A commit that lands while the store closes: its connection is going away.
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._again = True
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while self._again:
            self._again = False
            try:
                await self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as exc:
                # The next write tries again; meanwhile the log just holds more pages.
                log.warning("SQLite WAL checkpoint failed: %s", exc)
                return

    async def settled(self) -> None:
        """Wait for the checkpoint under way, if any (and any it was asked to repeat)."""
        if self._task is not None:
            await self._task

    async def close(self) -> None:
        """Finish the checkpoint under way, then close the connection."""
        self._closed = True
        await self.settled()
        await self._conn.close()
