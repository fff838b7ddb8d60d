"""PostgreSQL through an asyncpg pool: opening it, transactions and reads.

A write transaction takes one advisory lock first, so writes run one at a time across every
process sharing the database, as SQLite's BEGIN IMMEDIATE runs them on one file: the SQL
modules read, decide and write inside one transaction (numbering, check-then-insert) and
rely on no other writer in between. Reads take no lock, and neither do the outbox's claims
and marks (``_rows_tx``): they touch only outbox rows by id, which row locks keep apart.
Any number of processes serve one database together (bot/storage/postgres/shared.py).
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Self
from urllib.parse import unquote, urlsplit

import asyncpg

from bot.errors import StartupError
from bot.pacing import Pacing, SharedPacer, Sleep
from bot.storage.postgres.driver import PgConnection
from bot.storage.postgres.schema import migrate
from bot.storage.postgres.shared import RESERVE_SLOT, JobsLeadership, OutboxWakeups
from bot.storage.postgres_address import where
from bot.storage.sql.communities import ForeignKey, Schema
from bot.storage.sql.db import Db, SqlBase

# pg_advisory_xact_lock key every write transaction takes ("XFAD" + 2).
WRITE_LOCK = int.from_bytes(b"XFAD", "big") * 16 + 2
# Each foreign key of the current schema: table, its columns, the parent, the parent's.
FOREIGN_KEYS = (
    "SELECT c.conrelid::regclass::text, (SELECT string_agg(a.attname, ',' ORDER BY k.i)"
    " FROM unnest(c.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a"
    " ON a.attrelid = c.conrelid AND a.attnum = k.n),"
    " c.confrelid::regclass::text, (SELECT string_agg(a.attname, ',' ORDER BY k.i)"
    " FROM unnest(c.confkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a"
    " ON a.attrelid = c.confrelid AND a.attnum = k.n)"
    " FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace"
    " WHERE c.contype = 'f' AND s.nspname = current_schema() ORDER BY 1, c.conname"
)
CONNECT_TIMEOUT = 10.0
POOL_SIZE = 8


def explain(exc: BaseException, url: str) -> str:
    """One line saying which server and what failed (no password, no traceback)."""
    parts = urlsplit(url)
    try:
        _ = parts.port
    except ValueError:  # asyncpg's own words would be int()'s
        port = parts.netloc.rsplit("@", 1)[-1].rsplit("]", 1)[-1].rsplit(":", 1)[-1]
        return (
            f"CROSSFADE_DATABASE_URL has no valid port ({port!r}); write it as "
            "postgresql://user:password@host:5432/database."
        )
    place = where(url)
    user = unquote(parts.username or "") or "the default user"
    if isinstance(exc, asyncpg.InvalidPasswordError):
        if parts.password is None:
            return (
                f"PostgreSQL wants a password for user {user!r} ({place}) and "
                "CROSSFADE_DATABASE_URL gives none: postgresql://user:password@host/database."
            )
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
    if isinstance(exc, OSError) and "rejected ssl upgrade" in str(exc).lower():
        return (
            f"PostgreSQL at {place} does not accept SSL, which CROSSFADE_DATABASE_URL asks "
            "for (sslmode): turn SSL on at the server, or change sslmode."
        )
    if isinstance(exc, OSError):
        reason = (exc.strerror or _first_line(exc)).lower()
        return f"Cannot reach PostgreSQL at {place}: {reason}; is the server running there?"
    return f"PostgreSQL {place} failed at start: {_first_line(exc)}."


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


async def _keep(conn: asyncpg.Connection) -> None:
    """Return a connection to the pool as it is: a round trip saved on every store call.

    asyncpg's default resets the session (advisory locks, cursors, LISTEN, settings) on
    each release; the pool's connections never change any of that (their locks are the
    transaction's, gone at commit; locks and LISTEN are on connections of their own), and
    an open transaction is still rolled back before this runs.
    """


class PostgresConnection(SqlBase):
    """A pool of asyncpg connections to one database, migrated when opened."""

    integrity_errors: tuple[type[Exception], ...] = (asyncpg.IntegrityConstraintViolationError,)
    shared = True
    skip_locked = " FOR UPDATE OF o SKIP LOCKED"

    def __init__(self, pool: Any, url: str) -> None:
        self._pool = pool
        self.url = url
        self.where = where(url)
        self._leadership = JobsLeadership(url, self.owner, CONNECT_TIMEOUT)
        self._wakeups = OutboxWakeups(url, self.owner, CONNECT_TIMEOUT)

    @classmethod
    async def open(cls, url: str) -> Self:
        """Connect to the database at ``url`` and migrate it; StartupError with one line."""
        try:
            pool = await asyncpg.create_pool(
                url, min_size=1, max_size=POOL_SIZE, timeout=CONNECT_TIMEOUT, reset=_keep
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
        """Close every connection of the pool, and the lock's and the wake-ups' own."""
        await self._leadership.close()
        await self._wakeups.close()
        await self._pool.close()

    def send_pacer(self, bucket: str, rate: float, sleep: Sleep, *, steady: bool = False) -> Pacing:
        """The bot's sends paced together with every other process's, in the database."""
        return SharedPacer(self, bucket, rate, sleep, steady=steady)

    async def reserve_send_slot(
        self, bucket: str, interval: float, burst: float
    ) -> tuple[float, float]:
        """Reserve the bucket's next send slot: (the slot in epoch seconds, seconds to wait)."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(RESERVE_SLOT, bucket, interval, burst)
        return float(row["slot"]), float(row["wait"])

    async def lead_jobs(self) -> bool:
        """Whether this process holds the timed jobs' lock (trying for it if not).

        Also listens again for new outbox rows if that connection was lost meanwhile.
        """
        await self._wakeups.ensure()
        return await self._leadership.lead()

    async def watch_outbox(self, poke: Callable[[], None]) -> None:
        """Poke on every outbox row any process queues (LISTEN, delivered at commit)."""
        await self._wakeups.watch(poke)

    async def schema(self) -> Schema:
        """The database's tables (in its current schema) and their foreign keys."""
        async with self._pool.acquire() as conn:
            tables = await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                " ORDER BY tablename"
            )
            keys = await conn.fetch(FOREIGN_KEYS)
        return Schema(
            tuple(str(r[0]) for r in tables),
            tuple(
                ForeignKey(str(r[0]), tuple(r[1].split(",")), str(r[2]), tuple(r[3].split(",")))
                for r in keys
            ),
        )

    async def _wake_senders(self, db: Db) -> None:
        """Every process LISTENing wakes at commit (the outbox trigger's channel)."""
        await db.execute("SELECT pg_notify('crossfade_outbox', '')")

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[PgConnection]:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
            yield PgConnection(conn)

    @asynccontextmanager
    async def _rows_tx(self) -> AsyncIterator[PgConnection]:
        # No write lock: the statements name outbox rows by id; row locks (and SKIP
        # LOCKED in the batch claim) keep concurrent claims from taking the same row.
        async with self._pool.acquire() as conn, conn.transaction():
            yield PgConnection(conn)

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[PgConnection]:
        async with self._pool.acquire() as conn:
            yield PgConnection(conn)
