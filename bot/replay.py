"""Keys that may be used once within a window, such as a platform's request signatures."""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock

# How often SeenInStore forgets the keys whose window closed (the table stays that small).
PURGE_EVERY = timedelta(minutes=1)
# How long past its window a key is kept before it is purged: each process checks a request's
# age by its own clock, so one whose clock runs a little behind must still find the key.
PURGE_GRACE = timedelta(minutes=5)


class SeenOnce(Protocol):
    """Remembers each key until its expiry, so a second use inside the window is refused.

    In this process (SeenInProcess) while one process serves the database; in the database
    (SeenInStore) once several may, so a request replayed to another process is refused too.
    """

    async def first_use(self, key: str, until: datetime) -> bool:
        """True the first time ``key`` is offered; False while an earlier use is remembered."""
        ...


class SeenInProcess:
    """SeenOnce in memory: it holds only what is still inside a window, so it stays small."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._until: dict[str, datetime] = {}
        self._expiries: list[tuple[datetime, str]] = []  # a heap, soonest first

    async def first_use(self, key: str, until: datetime) -> bool:
        """True the first time ``key`` is offered; False while an earlier use is remembered."""
        now = self._clock.now()
        while self._expiries and self._expiries[0][0] <= now:
            _, old = heapq.heappop(self._expiries)
            self._until.pop(old, None)
        if key in self._until:
            return False
        if until > now:
            self._until[key] = until
            heapq.heappush(self._expiries, (until, key))
        return True

    def __len__(self) -> int:
        return len(self._until)


class SeenStore(Protocol):
    """Keys used once, kept in the database (the ``seen_once`` table)."""

    # Whether several processes may serve the database (then keys must be kept in it).
    shared: bool

    async def use_once(self, key: str, until: datetime, now: datetime) -> bool:
        """Remember ``key`` until ``until``: True if it was free (never seen, or expired)."""
        ...

    async def forget_used(self, now: datetime) -> int:
        """Forget the keys whose window closed; how many."""
        ...


class SeenInStore:
    """SeenOnce in the database every process shares: one atomic upsert per key."""

    def __init__(self, store: SeenStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._purged_at: datetime | None = None

    async def first_use(self, key: str, until: datetime) -> bool:
        """True the first time ``key`` is offered; False while an earlier use is remembered."""
        now = self._clock.now()
        if self._purged_at is None or now - self._purged_at >= PURGE_EVERY:
            self._purged_at = now
            await self._store.forget_used(now - PURGE_GRACE)
        if until <= now:
            return True  # its window has passed: refused by its age, nothing to remember
        return await self._store.use_once(key, until, now)


def seen_once_for(store: SeenStore, clock: Clock) -> SeenOnce:
    """Where to remember used keys: the database when several processes share it."""
    return SeenInStore(store, clock) if store.shared else SeenInProcess(clock)
