"""Installed Slack workspaces: each one's bot token from the installation store, briefly cached.

A distributed app has one bot token per workspace. Every workspace's web client shares one
aiohttp session (one connection pool, so a post doesn't cost a TLS handshake), and the
outbox's Slack transport is one SlackTransport per workspace, picked by the row's community.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import aiohttp
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.people import People
from adapters.slack.transport import SlackTransport
from bot.delivery import DeliveryError, Receipt, Target
from bot.messages import Message
from bot.transport import SentWindow

log = logging.getLogger(__name__)
_T = TypeVar("_T")

# A token read from the database is reused this long (decrypted once), then read again, so a
# reinstall or an uninstall recorded by another process is seen within a minute.
CACHE_SECONDS = 60.0
# "Not installed" is remembered only briefly: an install finished by another process shows soon.
MISSING_SECONDS = 5.0


@dataclass(frozen=True)
class Installed:
    """One workspace's installation of the app, as requests and sends need it."""

    team_id: str
    team_name: str
    bot_token: str
    bot_id: str
    bot_user_id: str
    scopes: tuple[str, ...]
    enterprise_id: str | None = None


class Workspaces:
    """Looks installations up (cached), and hands out each workspace's client and People."""

    def __init__(
        self,
        store: AsyncInstallationStore,
        template: AsyncWebClient,
        *,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        # Base URL, timeout and retry handlers every workspace's client copies.
        self.template = template
        self.ttl = ttl
        self._clock = clock
        self._found: dict[str, tuple[float, Installed | None]] = {}
        self._reading: dict[str, asyncio.Lock] = {}
        self._clients: dict[str, AsyncWebClient] = {}
        self._people: dict[str, tuple[str, People]] = {}
        # One session for all (set by the adapter at start; None: one per call, as slack_sdk).
        self.session: aiohttp.ClientSession | None = None

    def adopt(self, session: aiohttp.ClientSession) -> None:
        """Use ``session`` for every workspace's client (the adapter's, closed by it)."""
        self.session = session
        self.template.session = session
        for client in self._clients.values():
            client.session = session

    async def find(self, team_id: str, enterprise_id: str | None = None) -> Installed | None:
        """The workspace's installation, or None if the app isn't installed there."""
        # One read at a time per workspace: a fan-out's concurrent sends share it.
        async with self._reading.setdefault(team_id, asyncio.Lock()):
            now = self._clock()
            cached = self._found.get(team_id)
            if cached is not None:
                fetched_at, found = cached
                if now - fetched_at < (self.ttl if found is not None else MISSING_SECONDS):
                    return found
            found = await self._read(team_id, enterprise_id)
            self._found[team_id] = (self._clock(), found)
            return found

    def forget(self, team_id: str) -> None:
        """Read the workspace again next time (it was just installed here)."""
        self._found.pop(team_id, None)

    async def _read(self, team_id: str, enterprise_id: str | None) -> Installed | None:
        bot = await self.store.async_find_bot(enterprise_id=enterprise_id, team_id=team_id)
        if bot is None or not bot.bot_token:
            return None
        installation = await self.store.async_find_installation(
            enterprise_id=enterprise_id, team_id=team_id
        )
        scopes = bot.bot_scopes
        return Installed(
            team_id=team_id,
            team_name=(installation.team_name or "") if installation is not None else "",
            bot_token=bot.bot_token,
            bot_id=bot.bot_id or "",
            bot_user_id=bot.bot_user_id or "",
            scopes=tuple(scopes.split(",") if isinstance(scopes, str) else scopes or ()),
            enterprise_id=enterprise_id,
        )

    def client(self, installed: Installed) -> AsyncWebClient:
        """The workspace's web client, with its bot token, on the shared session."""
        client = self._clients.get(installed.bot_token)
        if client is None:
            template = self.template
            client = AsyncWebClient(
                token=installed.bot_token,
                base_url=template.base_url,
                timeout=template.timeout,
                session=self.session,
                team_id=installed.team_id,
                retry_handlers=list(template.retry_handlers),
            )
            self._clients[installed.bot_token] = client
        return client

    def people(self, installed: Installed) -> People:
        """The workspace's People (its own profile cache, admin flags as that workspace says)."""
        kept = self._people.get(installed.team_id)
        if kept is not None and kept[0] == installed.bot_token:
            return kept[1]
        people = People(self.client(installed))
        people.team_name = installed.team_name
        self._people[installed.team_id] = (installed.bot_token, people)
        return people


class WorkspaceTransports:
    """The outbox's Slack transport for a distributed app: each row goes with its workspace's
    token. A workspace without an installation holds its rows for an admin (not retried hot,
    not lost)."""

    platform = "slack"
    max_per_second = SlackTransport.max_per_second
    lookups_per_minute = SlackTransport.lookups_per_minute  # per workspace (bot/lookups.py)
    events = None

    def __init__(self, workspaces: Workspaces, *, max_per_second: float | None = None) -> None:
        self.workspaces = workspaces
        if max_per_second is not None:
            self.max_per_second = max_per_second
        # Where an admin installs the app again (set once the web app is known).
        self.install_url = "/slack/install"
        self._transports: dict[str, SlackTransport] = {}

    async def transport_for(self, community_id: str) -> SlackTransport:
        """The workspace's transport (its channel pacing kept across sends)."""
        installed = await self.workspaces.find(community_id)
        if installed is None:
            raise DeliveryError(
                f"the app isn't installed in Slack workspace {community_id}: an admin there "
                f"installs it at {self.install_url}",
                needs_admin=True,
            )
        transport = self._transports.get(community_id)
        if transport is None or transport.client.token != installed.bot_token:
            client = self.workspaces.client(installed)
            transport = SlackTransport(client, max_per_second=self.max_per_second)
            self._transports[community_id] = transport
        return transport

    async def _with_token(
        self, community_id: str, act: Callable[[SlackTransport], Awaitable[_T]]
    ) -> _T:
        """``act`` with the workspace's transport; once more if Slack refused a stale token."""
        transport = await self.transport_for(community_id)
        try:
            return await act(transport)
        except DeliveryError as exc:
            # Refused, so nothing was posted: if another process reinstalled the app meanwhile,
            # this cache still held the revoked token; the stored one is tried once.
            if not exc.needs_admin or not await self._token_changed(community_id, transport):
                raise
        return await act(await self.transport_for(community_id))

    async def _token_changed(self, community_id: str, used: SlackTransport) -> bool:
        self.workspaces.forget(community_id)
        installed = await self.workspaces.find(community_id)
        return installed is not None and installed.bot_token != used.client.token

    async def send(self, target: Target, message: Message, *, key: str) -> Receipt:
        """Post with the target workspace's token."""
        return await self._with_token(
            target.community_id, lambda t: t.send(target, message, key=key)
        )

    async def edit(self, target: Target, receipt: Receipt, message: Message) -> None:
        """Edit with the target workspace's token."""
        await self._with_token(target.community_id, lambda t: t.edit(target, receipt, message))

    async def find_sent(
        self, target: Target, key: str, window: SentWindow | None = None
    ) -> Receipt | None:
        """Look for an earlier post in the target workspace."""
        return await self._with_token(
            target.community_id, lambda t: t.find_sent(target, key, window)
        )
