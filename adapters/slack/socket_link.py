"""Keeping Slack's Socket Mode connected: reconnected with backoff, reported to a Link.

slack_sdk's own reconnection retries at a fixed interval and says nothing above INFO, so it
is switched off; Slack's planned refreshes (its ``disconnect`` message) are still followed at
once by slack_sdk. A lost connection is logged as an error, retried with backoff, and
reported to the status record the health check reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import WSMessage
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.status import Backoff, Link

log = logging.getLogger(__name__)

LABEL = "Slack"
# How often the connection is checked when nothing happens (a close wakes it at once), and
# how long one reconnection attempt may take before it is given up and retried later.
CHECK_SECONDS = 10.0
ATTEMPT_SECONDS = 60.0


class SocketLink:
    """One Socket Mode connection for the bolt app, kept up until closed."""

    def __init__(
        self,
        app: AsyncApp,
        app_token: str,
        web_client: AsyncWebClient,
        *,
        link: Link,
        backoff: Backoff,
        check_seconds: float = CHECK_SECONDS,
        attempt_seconds: float = ATTEMPT_SECONDS,
    ) -> None:
        self.link = link
        self.backoff = backoff
        self.check_seconds = check_seconds
        self.attempt_seconds = attempt_seconds
        self.handler = AsyncSocketModeHandler(app, app_token=app_token, web_client=web_client)
        client = self.handler.client
        client.default_auto_reconnect_enabled = False
        client.auto_reconnect_enabled = False
        client.on_close_listeners.append(self._on_close)
        self._wake = asyncio.Event()
        self._keeper: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Connect (returns once connected), then keep the connection up."""
        # bolt leaves connect_async unannotated.
        await self.handler.connect_async()  # type: ignore[no-untyped-call]
        self.link.up()
        self._keeper = asyncio.create_task(self._keep_connected())

    async def close(self) -> None:
        """Disconnect for good."""
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)
            self._keeper = None
        # bolt leaves close_async unannotated.
        await self.handler.close_async()  # type: ignore[no-untyped-call]

    async def _on_close(self, message: WSMessage) -> None:
        self._wake.set()

    async def _keep_connected(self) -> None:
        client = self.handler.client
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.check_seconds)
            self._wake.clear()
            if await client.is_connected():
                self._connected()
                continue
            if self.link.connected:
                self.link.down("the Socket Mode connection closed")
                log.error("Slack: the Socket Mode connection was lost; reconnecting")
            delay = self.backoff.next_delay()
            await self.backoff.sleep(delay)
            try:
                await asyncio.wait_for(client.connect_to_new_endpoint(), self.attempt_seconds)
            except Exception as exc:
                # slack_sdk's messages run over several lines; the first one says it.
                said = (str(exc).splitlines() or [""])[0]
                log.warning(
                    "Slack: reconnecting Socket Mode failed (%s: %s); trying again with backoff",
                    type(exc).__name__,
                    said,
                )
            self._wake.set()  # look again at once: connected now, or the next attempt

    def _connected(self) -> None:
        if not self.link.connected:
            log.info("Slack: Socket Mode connected again")
        self.link.up()
        self.backoff.reset()
