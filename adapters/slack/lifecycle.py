"""Slack's lifecycle events: the app uninstalled from a workspace (``app_uninstalled``) or
its bot token revoked (``tokens_revoked``) pauses that workspace's community
(bot/communities.py) and deletes the tokens that no longer work.

The pause and the deletion happen before Slack gets its 200 (in the listener's middleware),
so a database that fails meanwhile answers 500 and Slack delivers the event again, rather
than an uninstall being acknowledged and lost. The tokens are deleted by bolt's own
token-revocation listeners (``AsyncTokenRevocationListeners``), over whichever installation
store serves the app; with a single SLACK_BOT_TOKEN there is none, and nothing to delete.
Reinstalling resumes the community (``CrossfadeInstallationStore.async_save``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore

from adapters.slack.oauth_stores import PLATFORM
from bot import communities
from bot.app import Crossfade

log = logging.getLogger(__name__)


class Lifecycle:
    """Pauses a workspace's community when Slack says the app can no longer reach it."""

    def __init__(
        self, app: AsyncApp, core: Crossfade, store: AsyncInstallationStore | None = None
    ) -> None:
        self.app = app
        self.core = core
        self._store = store

    def _revocations(self) -> AsyncTokenRevocationListeners | None:
        # Read when the event comes: the app's store is whatever it was built with.
        store = self._store or self.app.installation_store
        return None if store is None else AsyncTokenRevocationListeners(store)

    async def uninstalled(
        self, context: AsyncBoltContext, next_: Callable[[], Awaitable[None]]
    ) -> None:
        """app_uninstalled: pause the community, then forget every token of the workspace."""
        await self._pause(context, communities.UNINSTALLED)
        revocations = self._revocations()
        if revocations is not None:
            await revocations.handle_app_uninstalled_events(context)
        await next_()

    async def revoked(
        self,
        context: AsyncBoltContext,
        event: dict[str, Any],
        next_: Callable[[], Awaitable[None]],
    ) -> None:
        """tokens_revoked: with the bot's token among them, pause; forget the revoked ones."""
        if (event.get("tokens") or {}).get("bot"):
            await self._pause(context, communities.TOKENS_REVOKED)
        revocations = self._revocations()
        if revocations is not None:
            await revocations.handle_tokens_revoked_events(event, context)
        await next_()

    async def _pause(self, context: AsyncBoltContext, reason: str) -> None:
        team = context.team_id or ""
        paused = await communities.pause(self.core.store, self.core.clock, PLATFORM, team, reason)
        if paused is None:
            log.info("Slack workspace %s (%s) had no community to pause", team, reason)

    async def handled(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        """The listener after the middleware's work: one line for the log."""
        log.info("Slack %s handled for workspace %s", event.get("type"), context.team_id)


def register(
    app: AsyncApp, core: Crossfade, store: AsyncInstallationStore | None = None
) -> Lifecycle:
    """Listen for the workspace's uninstall and token revocations on ``app``."""
    lifecycle = Lifecycle(app, core, store)
    app.event("app_uninstalled", middleware=[lifecycle.uninstalled])(lifecycle.handled)
    app.event("tokens_revoked", middleware=[lifecycle.revoked])(lifecycle.handled)
    return lifecycle
