"""Keys that may be used once within a window, such as a platform's request signatures."""

from __future__ import annotations

import heapq
from datetime import datetime
from typing import Protocol

from bot.clock import Clock


class SeenOnce(Protocol):
    """Remembers each key until its expiry, so a second use inside the window is refused.

    In this process for now; several processes serving one platform need a shared one.
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
