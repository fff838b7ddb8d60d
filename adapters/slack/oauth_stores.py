"""bolt's installation and OAuth state stores over Crossfade's database (bot/installations.py)."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.installations import Installations, Workspace

PLATFORM = "slack"
BOT = "bot"
INSTALLER = "installer"
_log = logging.getLogger(__name__)


def _where(enterprise_id: str | None, team_id: str | None, whole_org: bool | None) -> Workspace:
    # An organisation-wide install has no team: bolt looks it up by the organisation alone.
    return Workspace(PLATFORM, enterprise_id or "", "" if whole_org else (team_id or ""))


class CrossfadeInstallationStore(AsyncInstallationStore):
    """Each workspace's bot and installer records, encrypted, in the shared database."""

    def __init__(self, installations: Installations) -> None:
        self.installations = installations

    @property
    def logger(self) -> logging.Logger:
        """bolt's logger for this store."""
        return _log

    async def async_save(self, installation: Installation) -> None:
        """Keep an installation (latest and per installer) and its bot; resume its community."""
        where = _where(
            installation.enterprise_id, installation.team_id, installation.is_enterprise_install
        )
        record = json.dumps(installation.__dict__)
        await self.installations.save(where, INSTALLER, "", record)
        await self.installations.save(where, INSTALLER, installation.user_id, record)
        await self.async_save_bot(installation.to_bot())
        # Installed again after an uninstall: sending to the workspace resumes.
        await self.installations.installed(where)

    async def async_save_bot(self, bot: Bot) -> None:
        """Keep a workspace's bot (its token), when it has one."""
        if bot.bot_token is None:
            return
        where = _where(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        await self.installations.save(where, BOT, "", json.dumps(bot.__dict__))

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The workspace's bot, or None if the app isn't installed there."""
        where = _where(enterprise_id, team_id, is_enterprise_install)
        record = await self.installations.find(where, BOT)
        return None if record is None else Bot(**_fields(record))

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """That user's installation, or the workspace's latest without a user."""
        where = _where(enterprise_id, team_id, is_enterprise_install)
        record = await self.installations.find(where, INSTALLER, user_id or "")
        return None if record is None else Installation(**_fields(record))

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget the workspace's bot."""
        await self.installations.delete(_where(enterprise_id, team_id, False), BOT)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Forget one user's installation, or every one in the workspace."""
        await self.installations.delete(_where(enterprise_id, team_id, False), INSTALLER, user_id)


def _fields(record: str) -> dict[str, Any]:
    data = json.loads(record)
    return dict(data) if isinstance(data, dict) else {}


class CrossfadeStateStore(AsyncOAuthStateStore):
    """OAuth states in the shared database, so any process can finish an install."""

    def __init__(self, installations: Installations) -> None:
        self.installations = installations

    @property
    def logger(self) -> logging.Logger:
        """bolt's logger for this store."""
        return _log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A new state for an install flow."""
        return await self.installations.issue_state()

    async def async_consume(self, state: str) -> bool:
        """True once for a state we issued that hasn't expired."""
        return await self.installations.consume_state(state)
