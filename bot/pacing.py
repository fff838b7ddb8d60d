"""Pacing the outbox's sends within a platform's rate limit."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class Pacer:
    """A token bucket so a burst of sends stays within the platform's rate."""

    def __init__(self, rate: float, sleep: Callable[[float], Awaitable[None]]) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self._sleep = sleep
        self._loop_time = asyncio.get_running_loop().time
        self._last = self._loop_time()
        self._lock = asyncio.Lock()

    async def take(self) -> None:
        """Wait for a token (at once when the rate is unlimited)."""
        if self.rate == float("inf"):
            return
        async with self._lock:
            while True:
                now = self._loop_time()
                self.tokens = min(self.capacity, self.tokens + (now - self._last) * self.rate)
                self._last = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await self._sleep((1 - self.tokens) / self.rate)
