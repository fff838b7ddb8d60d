"""PostgreSQL through an asyncpg pool: opening it, transactions and reads.

A write transaction takes one advisory lock first, so writes run one at a time across every
process sharing the database, as SQLite's BEGIN IMMEDIATE runs them on one file: the SQL
modules read, decide and write inside one transaction (numbering, check-then-insert) and
rely on no other writer in between. Reads take no lock.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Self
from urllib.parse import unquote, urlsplit

import asyncpg

from bot.errors import StartupError
from bot.storage.postgres.driver import PgConnection
from bot.storage.postgres.schema import migrate
from bot.storage.postgres_address import where
from bot.storage.sql.db import SqlBase

# pg_advisory_xact_lock key every write transaction takes ("XFAD" + 2).
WRITE_LOCK = int.from_bytes(b"XFAD", "big") * 16 + 2
# pg_try_advisory_lock key the serving process holds ("XFAD" + 3).
SERVE_LOCK = int.from_bytes(b"XFAD", "big") * 16 + 3
CONNECT_TIMEOUT = 10.0
POOL_SIZE = 8


def explain(exc: BaseException, url: str) -> str:
    """One line saying which server and what failed (no password, no traceback)."""
    place = where(url)
    user = unquote(urlsplit(url).username or "") or "the default user"
    if isinstance(exc, asyncpg.InvalidPasswordError):
        return (
            f"PostgreSQL refused the password for user {user!r} ({place}); "
            "fix it in CROSSFADE_DATABASE_URL."
        )
    if isinstance(exc, asyncpg.InvalidAuthorizationSpecificationError):
        return f"PostgreSQL refused user {user!r} ({place}): {_first_line(exc)}."
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return (
            f"The PostgreSQL database {place} does not exist; create it (createdb) "
            "or fix CROSSFADE_DATABASE_URL."
        )
    if isinstance(exc, socket.gaierror):
        return f"Cannot reach PostgreSQL at {place}: its host name does not resolve."
    if isinstance(exc, TimeoutError):
        return f"Cannot reach PostgreSQL at {place}: no answer within {CONNECT_TIMEOUT:.0f} s."
    if isinstance(exc, OSError):
        reason = (exc.strerror or _first_line(exc)).lower()
        return f"Cannot reach PostgreSQL at {place}: {reason}; is the server running there?"
    return f"PostgreSQL {place} failed at start: {_first_line(exc)}."


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class PostgresConnection(SqlBase):
    """A pool of asyncpg connections to one database, migrated when opened."""

    integrity_errors: tuple[type[Exception], ...] = (asyncpg.IntegrityConstraintViolationError,)

    def __init__(self, pool: Any, url: str) -> None:
        self._pool = pool
        self.url = url
        self.where = where(url)
        self._serving: Any = None

    @classmethod
    async def open(cls, url: str) -> Self:
        """Connect to the database at ``url`` and migrate it; StartupError with one line."""
        try:
            pool = await asyncpg.create_pool(
                url, min_size=1, max_size=POOL_SIZE, timeout=CONNECT_TIMEOUT
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as exc:
            raise StartupError(explain(exc, url)) from None
        try:
            async with pool.acquire() as conn:
                await migrate(conn, where(url))
        except BaseException as exc:
            await pool.close()
            if isinstance(exc, (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)):
                raise StartupError(explain(exc, url)) from None
            raise
        return cls(pool, url)

    async def close(self) -> None:
        """Close every connection of the pool (and the serving lock's)."""
        if self._serving is not None:
            await self._serving.close()
            self._serving = None
        await self._pool.close()

    async def hold_serve_lock(self) -> None:
        """Be the one process serving this database; StartupError if another already is.

        The lock is a session advisory lock on a connection of its own: it goes with the
        process, however it ends.
        """
        conn = await asyncpg.connect(self.url, timeout=CONNECT_TIMEOUT)
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", SERVE_LOCK):
            await conn.close()
            raise StartupError(
                f"Another Crossfade is already serving the PostgreSQL database {self.where}; "
                "stop it first (a second would send everything again)."
            )
        self._serving = conn

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[PgConnection]:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
            yield PgConnection(conn)

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[PgConnection]:
        async with self._pool.acquire() as conn:
            yield PgConnection(conn)
