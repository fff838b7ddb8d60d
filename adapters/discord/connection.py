"""Keeping the Discord gateway connected, and saying so when it isn't.

discord.py's ``Client.connect`` reconnects by itself after network errors, but its loop ends on
anything else, such as an unexpected payload (a KeyError inside a parser); the task then dies
unheard while the bot looks alive. Here that is logged as an error and the connection opened
again with backoff. Every up and down is reported to the status record the health check reads.

Sharded (an ``AutoShardedClient`` holding some of DISCORD_SHARD_COUNT's shards), each shard is
its own link ("Discord shard 2"), reported from discord.py's per-shard events. Its one
connection task runs every shard of this process; when a shard's loop ends on an unexpected
error, discord.py closes the whole client, so the client is reopened (login, connect) with the
same backoff.
"""

from __future__ import annotations

import asyncio
import logging

import discord

from bot.errors import StartupError
from bot.status import Backoff, Link, Status

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
        status: Status,
        backoff: Backoff,
        ready_timeout: float,
    ) -> None:
        self.client = client
        self.links: dict[int | None, Link] = {}
        self.report_to(status)
        self.backoff = backoff
        self.ready_timeout = ready_timeout
        self._token = token
        self._closing = False
        self._connection: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None

    @property
    def shard_ids(self) -> list[int] | None:
        """The shards this process connects, None for one unsharded connection."""
        client = self.client
        if not isinstance(client, discord.AutoShardedClient):
            return None
        return list(client.shard_ids or range(client.shard_count or 1))

    def report_to(self, status: Status) -> None:
        """One link in ``status`` per shard ("Discord shard 2"), or "Discord" unsharded."""
        shards = self.shard_ids
        if shards is None:
            self.links = {None: status.link(LABEL)}
        else:
            self.links = {shard: status.link(f"{LABEL} shard {shard}") for shard in shards}

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

    def connected(self, shard: int | None = None) -> None:
        """READY or RESUMED (of ``shard``; None: every link): the bot is online."""
        for link in self._links(shard):
            if not link.connected:
                log.info("%s: connected", link.state.label)
            link.up()
        self.backoff.reset()

    def disconnected(self, shard: int | None = None) -> None:
        """The websocket (of ``shard``) closed; discord.py is reconnecting by itself."""
        for link in self._links(shard):
            link.down("the gateway connection closed")

    def _links(self, shard: int | None) -> list[Link]:
        if shard is None:
            return list(self.links.values())
        found = self.links.get(shard)
        return [found] if found is not None else []

    async def _keep_connected(self) -> None:
        while True:
            connection = self._connection
            assert connection is not None
            await asyncio.wait({connection})
            if self._closing:
                return
            reason = _why_it_ended(connection)
            for link in self.links.values():
                link.down(reason)
            if self._for_good(connection):
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

    def _for_good(self, connection: asyncio.Task[None]) -> bool:
        if not self.client.is_closed():
            return False
        if self.shard_ids is None:
            return True
        # AutoShardedClient also closes itself when a shard's loop ends on an unexpected error;
        # only a close Discord sent (a ConnectionClosed) or none at all is for good.
        problem = None if connection.cancelled() else connection.exception()
        return problem is None or isinstance(
            problem, discord.ConnectionClosed | discord.PrivilegedIntentsRequired
        )

    async def _reconnect(self) -> None:
        """A fresh connection, the dead one closed first (discord.py's loop has ended)."""
        if self.shard_ids is not None:
            await self._reopen()
            return
        ws = self.client.ws
        if ws is not None:
            # Its heartbeat thread would otherwise keep the dead session looking alive.
            await ws.close(code=4000)
        if not self._closing:
            await self.client.connect()

    async def _reopen(self) -> None:
        """The sharded client closed itself: clear it, log in again, connect every shard."""
        client = self.client
        if self._closing:
            return
        await client.http.close()  # a session left open by a failed earlier attempt
        client.clear()
        # discord.py reopens a client only through these: close left a stop item in the old
        # event queue (a new queue and ready event), and closed the connector with the session.
        await client._async_setup_hook()
        client.http.connector = discord.utils.MISSING
        await client.login(self._token)
        await client.connect()


def _why_it_ended(connection: asyncio.Task[None]) -> str:
    if connection.cancelled():
        return "cancelled"
    problem = connection.exception()
    if problem is None:
        return "discord.py's connection loop returned"
    log.debug("the gateway connection's error", exc_info=problem)
    return f"{type(problem).__name__}: {problem}"
