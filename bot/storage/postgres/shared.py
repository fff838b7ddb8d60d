"""What processes sharing one PostgreSQL database coordinate through it, besides the SQL.

Job leadership: the timed jobs run in one process at a time, the one holding a session
advisory lock on a connection of its own; PostgreSQL frees it when that connection ends, so
a dead leader's lock goes with it and a standby's next try takes it. Wake-ups: every new
outbox row notifies ``crossfade_outbox`` at commit (the trigger of migration 0002), and each
process LISTENs on a connection of its own. Pacing: one statement reserves a bot's next
send slot on the server's clock, so the processes' own clocks don't matter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import asyncpg

log = logging.getLogger(__name__)

# pg_try_advisory_lock key the process running the timed jobs holds ("XFAD" + 4).
JOBS_LOCK = int.from_bytes(b"XFAD", "big") * 16 + 4
OUTBOX_CHANNEL = "crossfade_outbox"
# What a connection that went away raises (terminated, server gone, network down); a
# session the server ended while idle may also leave asyncpg's protocol in a bad state.
LOST = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)

# The bucket's theoretical arrival time moves one interval past max(itself, now); the send
# waits until its slot is within the burst of now. Both on the server's clock_timestamp().
RESERVE_SLOT = """
INSERT INTO send_pace AS p (bucket, next_slot)
VALUES ($1, EXTRACT(EPOCH FROM clock_timestamp())::float8 + $2::float8)
ON CONFLICT (bucket) DO UPDATE
SET next_slot = GREATEST(p.next_slot, EXTRACT(EPOCH FROM clock_timestamp())::float8)
    + $2::float8
RETURNING next_slot - $2::float8 AS slot,
    GREATEST(next_slot - $2::float8 - $3::float8
        - EXTRACT(EPOCH FROM clock_timestamp())::float8, 0) AS wait
"""


def session_name(purpose: str, owner: str) -> str:
    """The application_name of a connection of its own, so an operator can tell them apart."""
    return f"crossfade {purpose} {owner}"[:63]


async def connect(url: str, name: str, wait: float) -> Any:
    """A connection of its own, under its name."""
    return await asyncpg.connect(url, timeout=wait, server_settings={"application_name": name})


class JobsLeadership:
    """Whether this process leads the timed jobs: the session lock, kept or retried."""

    def __init__(self, url: str, owner: str, timeout: float) -> None:
        self._url = url
        self.name = session_name("jobs", owner)
        self._timeout = timeout
        self._conn: Any = None
        self.leading = False

    async def lead(self) -> bool:
        """True while the lock is held; a standby tries for it again on each call."""
        if self._conn is not None and self.leading:
            try:
                # The lock lasts as long as the session: a live session still holds it.
                await self._conn.fetchval("SELECT 1", timeout=self._timeout)
                return True
            except LOST as exc:
                log.warning("lost the timed jobs' lock (%s); another process may lead now", exc)
                await self.close()
        try:
            if self._conn is None or self._conn.is_closed():
                self._conn = await connect(self._url, self.name, self._timeout)
            taken = await self._conn.fetchval(
                "SELECT pg_try_advisory_lock($1)", JOBS_LOCK, timeout=self._timeout
            )
        except LOST as exc:
            log.warning("cannot try for the timed jobs' lock (%s); the next tick tries again", exc)
            await self.close()
            return False
        self.leading = bool(taken)
        if self.leading:
            log.info("this process runs the timed jobs now")
        return self.leading

    async def close(self) -> None:
        """Give the lock up (closing its session)."""
        self.leading = False
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            try:
                await conn.close(timeout=self._timeout)
            except LOST:
                conn.terminate()


class OutboxWakeups:
    """LISTEN for new outbox rows on a connection of its own, poking the scheduler."""

    def __init__(self, url: str, owner: str, timeout: float) -> None:
        self._url = url
        self.name = session_name("wake-ups", owner)
        self._timeout = timeout
        self._conn: Any = None
        self._poke: Callable[[], None] | None = None

    async def watch(self, poke: Callable[[], None]) -> None:
        """Start listening (again, if the connection was lost); ``poke`` on each notice."""
        self._poke = poke
        await self.ensure()

    async def ensure(self) -> None:
        """Listen again if the connection went away (called on each tick)."""
        if self._poke is None or (self._conn is not None and not self._conn.is_closed()):
            return
        try:
            conn = await connect(self._url, self.name, self._timeout)
            await conn.add_listener(OUTBOX_CHANNEL, self._notified)
        except LOST as exc:
            log.warning("cannot listen for new outbox rows (%s); the next tick tries again", exc)
            return
        self._conn = conn

    def _notified(self, *_: object) -> None:
        if self._poke is not None:
            self._poke()

    async def close(self) -> None:
        """Stop listening."""
        self._poke = None
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            try:
                await conn.close(timeout=self._timeout)
            except LOST:
                conn.terminate()
