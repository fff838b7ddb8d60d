"""Opening the SQLite file: check it read-only, then migrate, stamp and switch to WAL.

Every way this can fail ends in one StartupError line naming the cause, within seconds, with
the connection closed (an open aiosqlite thread would keep the process alive forever) and an
existing file unchanged: nothing is written until the file is known to be ours and writable.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import suppress
from pathlib import Path

import aiosqlite

from bot.errors import StartupError
from bot.storage import sqlite_problems as problems
from bot.storage.sqlite_schema import APPLICATION_ID, FileState, inspect_file, migrations

# How long a write at start-up waits for another process's lock (SQLite's busy timeout).
BUSY_TIMEOUT = 5.0
# The page cache, in KiB (negative: SQLite's unit for a size, not a page count). SQLite's
# default 2 MiB holds a small fraction of a 10,000-member database (~120 MB), so a weekly
# batch spilled dirty pages to the log mid-transaction and reread what it had just evicted.
CACHE_KIB = 65_536
SIDE_FILES = ("-wal", "-shm", "-journal")


async def open_database(path: Path, *, max_pages: int | None = None) -> aiosqlite.Connection:
    """Check, open and migrate the database at ``path``, creating it if there is none.

    ``max_pages`` caps how large the file may grow (SQLite's max_page_count), like a quota.
    """
    known = migrations()
    # Reading the file (quick_check) can take a while on a big one: off the event loop.
    state, created = await asyncio.to_thread(_check, path, known[-1][0] if known else 0)
    conn: aiosqlite.Connection | None = None
    ready = False
    try:
        conn = await aiosqlite.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT)
        await _prepare(conn, path, state, known, max_pages)
        ready = True
        return conn
    except (sqlite3.Error, OSError, UnicodeError) as exc:
        raise StartupError(problems.explain(exc, path)) from None
    finally:
        if not ready:
            if conn is not None:
                await conn.close()
            if created:
                _remove(path)


def _check(path: Path, known_version: int) -> tuple[FileState, bool]:
    """Read-only checks, then the folder: (what the file holds, whether it is new)."""
    state = inspect_file(path, known_version)
    problem = problems.unwritable(path)
    if problem is not None:
        raise StartupError(problem)
    created = not path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StartupError(problems.explain(exc, path)) from None
    return state, created


async def _prepare(
    conn: aiosqlite.Connection,
    path: Path,
    state: FileState,
    known: list[tuple[int, str]],
    max_pages: int | None,
) -> None:
    if max_pages is not None:
        await conn.execute(f"PRAGMA max_page_count = {int(max_pages)}")
    await conn.execute("PRAGMA foreign_keys=ON")
    await _migrate(conn, state, known)
    # WAL only now: a file refused above keeps its journal mode (and every byte) as it was.
    row = await (await conn.execute("PRAGMA journal_mode=WAL")).fetchone()
    mode = str(row[0]).lower() if row else "unknown"
    if mode != "wal":
        raise StartupError(
            f"SQLite could not switch the database {path} to WAL mode (it stays in {mode} "
            "mode); is it on a network filesystem? Keep it on a local disk."
        )
    await conn.execute("PRAGMA synchronous=NORMAL")
    await conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")


async def _migrate(
    conn: aiosqlite.Connection, state: FileState, known: list[tuple[int, str]]
) -> None:
    row = await (await conn.execute("PRAGMA user_version")).fetchone()
    current = int(row[0]) if row else 0
    pending = [(version, sql) for version, sql in known if version > current]
    if not pending:
        if not state.stamped:
            # A Crossfade file from before the application id, recognised by its schema.
            await conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        return
    # One transaction for every step: a failure (a full disk) leaves the file as it was.
    # executescript commits on its own, so the version bump and the stamp ride inside.
    steps = "\n".join(sql for _, sql in pending)
    script = (
        f"BEGIN IMMEDIATE;\n{steps}\nPRAGMA user_version = {pending[-1][0]};\n"
        f"PRAGMA application_id = {APPLICATION_ID};\nCOMMIT;"
    )
    try:
        await conn.executescript(script)
    except BaseException:
        if conn.in_transaction:
            with suppress(sqlite3.Error):
                await conn.execute("ROLLBACK")
        raise


def _remove(path: Path) -> None:
    """Take away a database this start-up created but could not finish."""
    for name in ("", *SIDE_FILES):
        with suppress(OSError):
            Path(f"{path}{name}").unlink(missing_ok=True)
