"""Keeping the Discord gateway connected, and saying so when it isn't.

discord.py's ``Client.connect`` reconnects by itself after network errors, but its loop ends on
anything else, such as an unexpected payload (a KeyError inside a parser); the task then dies
unheard while the bot looks alive. Here that is logged as an error and the connection opened
again with backoff. Every up and down is reported to the status record the health check reads.
"""

from __future__ import annotations

import asyncio
import logging

import discord

from bot.errors import StartupError
from bot.status import Backoff, Link

log = logging.getLogger(__name__)

LABEL = "Discord"
STOP_SECONDS = 10.0


class Gateway:
    """The client's gateway connection: opened once, reopened whenever discord.py's loop ends."""

    def __init__(
        self,
        client: discord.Client,
        token: str,
        *,
        link: Link,
        backoff: Backoff,
        ready_timeout: float,
    ) -> None:
        self.client = client
        self.link = link
        self.backoff = backoff
        self.ready_timeout = ready_timeout
        self._token = token
        self._closing = False
        self._connection: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Log in and connect; returns once ready, raises StartupError if it can't."""
        try:
            await self.client.login(self._token)
        except discord.LoginFailure:
            await self.client.close()
            raise StartupError(
                "Discord rejected DISCORD_TOKEN: copy the bot token again from the Developer "
                "Portal (Bot page, Reset Token)."
            ) from None
        ready = asyncio.ensure_future(self.client.wait_until_ready())
        self._connection = asyncio.create_task(self.client.connect())
        done, _ = await asyncio.wait(
            {ready, self._connection},
            timeout=self.ready_timeout,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if ready not in done:
            ready.cancel()
            problem = self._connection.exception() if self._connection in done else None
            await self.close()
            raise StartupError(f"Could not connect to Discord's gateway: {problem or 'timed out'}")
        self.connected()
        self._keeper = asyncio.create_task(self._keep_connected())

    async def close(self) -> None:
        """Disconnect for good."""
        self._closing = True
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)
            self._keeper = None
        await self.client.close()
        if self._connection is not None:
            try:
                await asyncio.wait_for(self._connection, timeout=STOP_SECONDS)
            except Exception:
                log.debug("gateway task ended with an error while stopping", exc_info=True)
            self._connection = None

    async def given_up(self) -> None:
        """Wait until the connection is no longer kept: closed, or closed by Discord for good."""
        if self._keeper is not None:
            await asyncio.shield(self._keeper)

    def connected(self) -> None:
        """READY or RESUMED: the bot is online."""
        if not self.link.connected:
            log.info("Discord: connected")
        self.link.up()
        self.backoff.reset()

    def disconnected(self) -> None:
        """The websocket closed; discord.py is reconnecting by itself."""
        self.link.down("the gateway connection closed")

    async def _keep_connected(self) -> None:
        while True:
            connection = self._connection
            assert connection is not None
            await asyncio.wait({connection})
            if self._closing:
                return
            reason = _why_it_ended(connection)
            self.link.down(reason)
            if self.client.is_closed():
                # discord.py closes the client on the close codes Discord says never to retry
                # (a rejected token, intents, sharding): only a fix and a restart help.
                log.error(
                    "Discord: the gateway closed the connection for good (%s); fix the bot's "
                    "token or settings in the Developer Portal, then restart Crossfade",
                    reason,
                )
                return
            delay = self.backoff.next_delay()
            log.error(
                "Discord: the gateway connection stopped (%s); reconnecting in %.0f s",
                reason,
                delay,
            )
            await self.backoff.sleep(delay)
            self._connection = asyncio.create_task(self._reconnect())

    async def _reconnect(self) -> None:
        """A fresh connection, the dead one closed first (discord.py's loop has ended)."""
        ws = self.client.ws
        if ws is not None:
            # Its heartbeat thread would otherwise keep the dead session looking alive.
            await ws.close(code=4000)
        if not self._closing:
            await self.client.connect()


def _why_it_ended(connection: asyncio.Task[None]) -> str:
    if connection.cancelled():
        return "cancelled"
    problem = connection.exception()
    if problem is None:
        return "discord.py's connection loop returned"
    log.debug("the gateway connection's error", exc_info=problem)
    return f"{type(problem).__name__}: {problem}"
