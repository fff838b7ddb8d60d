"""WAL checkpoints on a connection of their own, off the path of commands and decisions.

SQLite copies its write-ahead log back into the database file (a checkpoint) by itself,
inside whichever commit pushes the log past 1,000 pages: now and then a /checkin, and after
every big batch the weekly decision, which paid 0.1-0.2 s of a 10,000-member tick for it.
Here the store's connection never checkpoints (``wal_autocheckpoint = 0``): a second
connection on its own thread runs PASSIVE checkpoints, which wait for no reader or writer.

One checkpoint per small commit cost a /checkin more than its own work (two syncs and a
pass over the log, on a machine of two cores), so one starts only once the log has gathered
``COMMITS`` commits or ``ROWS`` changed rows; it then runs again while commits land during
it, until one finds the log still, after which the next write starts the log afresh. The
log stays bounded even when writes never pause: a write finding the file past ``limit``
bytes, with the log not yet caught up, first waits for a checkpoint to catch up (no other
write can land meanwhile), so it starts the log afresh, and SQLite's journal_size_limit
(set to the same ``limit``) shrinks the file back.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from pathlib import Path
from typing import Self

import aiosqlite

from bot.storage.sqlite_open import BUSY_TIMEOUT

log = logging.getLogger(__name__)

# A checkpoint starts once the log holds this many commits, or rows changed, since the last.
COMMITS = 64
ROWS = 1000
# The WAL file's size past which a write waits for the log to catch up (well above what one
# week's prompts for 10,000 members write, about 26 MB, so the weekly decision never waits).
WAL_LIMIT = 64 * 1024 * 1024


class Checkpointer:
    """Checkpoints the WAL of one database in the background, after enough writes."""

    def __init__(self, conn: aiosqlite.Connection, wal: Path, limit: int = WAL_LIMIT) -> None:
        self._conn = conn
        self._wal = wal
        # The WAL file's size past which a write waits for the log to catch up.
        self.limit = limit
        self._task: asyncio.Task[None] | None = None
        # Commits and changed rows since the last checkpoint began.
        self._commits = 0
        self._rows = 0
        # A commit landed while the checkpoint under way ran: it must run again.
        self._again = False
        # The last checkpoint copied the whole log and no commit has landed since.
        self._caught_up = True
        self._closed = False
        # How many checkpoints ran (for tests and benchmarks).
        self.runs = 0

    @classmethod
    async def open(cls, path: Path, limit: int = WAL_LIMIT) -> Self:
        """A checkpointing connection to the (already open and migrated) database at ``path``."""
        conn = await aiosqlite.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT)
        await conn.execute("PRAGMA synchronous=NORMAL")
        return cls(conn, Path(f"{path}-wal"), limit)

    async def before_write(self) -> None:
        """Called before a write transaction begins (no other write can land until it ends).

        Past the limit, with the log not caught up, wait for a checkpoint that catches up.
        """
        if self._caught_up or self._closed or self._size() <= self.limit:
            return
        self._start()
        await self.idle()

    def wrote(self, rows: int = 1) -> None:
        """A write transaction committed, changing ``rows`` rows: checkpoint once enough has."""
        if self._closed:
            # A commit that lands while the store closes: its connection is going away.
            return
        self._caught_up = False
        self._commits += 1
        self._rows += rows
        if self._task is not None and not self._task.done():
            self._again = True
        elif self._commits >= COMMITS or self._rows >= ROWS:
            self._start()

    def _start(self) -> None:
        if self._task is None or self._task.done():
            self._again = False
            self._task = asyncio.get_running_loop().create_task(self._run())
        else:
            self._again = True

    async def _run(self) -> None:
        while True:
            self._commits = self._rows = 0
            self._again = False
            self.runs += 1
            try:
                cursor = await self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                busy, frames, copied = await cursor.fetchone() or (1, 0, 0)
            except sqlite3.Error as exc:
                # The next write tries again; meanwhile the log just holds more pages.
                log.warning("SQLite WAL checkpoint failed: %s", exc)
                return
            if not self._again:
                # Nothing committed while it ran: if it copied everything, the log is still.
                self._caught_up = busy == 0 and frames == copied
                return

    def _size(self) -> int:
        try:
            return os.stat(self._wal).st_size
        except OSError:
            return 0

    async def idle(self) -> None:
        """Wait for the checkpoint under way, if any (and the runs it repeats)."""
        if self._task is not None:
            await self._task

    async def settled(self) -> None:
        """Checkpoint whatever the log holds now, and wait for it."""
        if not self._caught_up and not self._closed:
            self._start()
        await self.idle()

    async def close(self) -> None:
        """Finish the checkpoint under way, then close the connection."""
        self._closed = True
        await self.idle()
        await self._conn.close()
