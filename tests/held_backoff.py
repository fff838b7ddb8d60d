"""A reconnection backoff whose waits the test controls: no test sleeps through a backoff."""

from __future__ import annotations

import asyncio

from bot.status import Backoff


class HeldBackoff(Backoff):
    """Records each delay asked for; every wait returns only once the test calls ``release``."""

    def __init__(self) -> None:
        super().__init__(sleep=self._held)
        self.delays: list[float] = []
        self._released = asyncio.Event()
        self._changed = asyncio.Condition()

    async def _held(self, delay: float) -> None:
        async with self._changed:
            self.delays.append(delay)
            self._changed.notify_all()
        await self._released.wait()

    async def asked(self, count: int = 1, timeout: float = 5.0) -> list[float]:  # noqa: ASYNC109
        """Wait until ``count`` waits were asked for; the delays so far."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.delays) >= count)
        return list(self.delays)

    def release(self) -> None:
        """Let every wait, now and later, return at once."""
        self._released.set()
