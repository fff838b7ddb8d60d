"""Pacing the outbox's sends within a platform's rate limit.

One process alone (SQLite) paces in memory (``Pacer``); processes sharing a database pace
together (``SharedPacer``): each send reserves a slot in the database, so the bot as a whole
stays within the platform's rate however many processes send. Lookups a platform limits
per community take turns from the same table instead of waiting (``Store.take_turn``,
bot/lookups.py): a lookup whose turn hasn't come is rescheduled, not slept on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

Sleep = Callable[[float], Awaitable[None]]


class Pacing(Protocol):
    """Waits before each send so the sends keep to a rate."""

    async def take(self) -> None:
        """Wait until the next send may go."""
        ...


class Pacer:
    """A token bucket so a burst of sends stays within the platform's rate.

    It holds ``max(1, rate)`` tokens, or one when ``steady`` (sends one at a time, no burst).
    """

    def __init__(self, rate: float, sleep: Sleep, *, steady: bool = False) -> None:
        self.rate = rate
        self.capacity = 1.0 if steady else max(1.0, rate)
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


class SlotReserver(Protocol):
    """Where shared pacing keeps each bucket's next send slot (the database)."""

    async def reserve_send_slot(
        self, bucket: str, interval: float, burst: float
    ) -> tuple[float, float]:
        """Reserve the bucket's next slot: (the slot, seconds to wait for it)."""
        ...


class SharedPacer:
    """The same rate and burst as ``Pacer``, kept in the database for every process.

    A "theoretical arrival time" per bucket (GCRA): each send moves it one interval on and
    waits until it is within the burst of now, on the database server's clock.
    """

    def __init__(
        self,
        reserver: SlotReserver,
        bucket: str,
        rate: float,
        sleep: Sleep,
        *,
        steady: bool = False,
    ) -> None:
        self.rate = rate
        self.bucket = bucket
        self.steady = steady
        self._reserver = reserver
        self._sleep = sleep

    async def take(self) -> None:
        """Reserve a slot and wait for it (at once when the rate is unlimited)."""
        if self.rate == float("inf"):
            return
        interval = 1 / self.rate
        # As Pacer's bucket: up to max(1, rate) sends may go at once after a quiet spell
        # (one when steady).
        burst = 0.0 if self.steady else (max(1.0, self.rate) - 1) * interval
        _, wait = await self._reserver.reserve_send_slot(self.bucket, interval, burst)
        if wait > 0:
            await self._sleep(wait)
