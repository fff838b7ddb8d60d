"""Workspaces' installations of the app, kept encrypted; and OAuth flows' one-time states."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot import communities
from bot.clock import Clock
from bot.config import Settings
from bot.errors import StartupError
from bot.models import Community
from bot.secrets_at_rest import SECRET_KEY, TokenCipher, WrongSecretKey

STATE_TTL = timedelta(minutes=10)  # an install flow left longer than this starts again


class InstallationRows(Protocol):
    """The storage methods installations need (bot/storage/sql/installations.py)."""

    async def put_installation_row(
        self, where: tuple[str, str, str], kind: str, user_id: str, secret: str, now: datetime
    ) -> None:
        """Keep a record."""

    async def installation_row(
        self, where: tuple[str, str, str], kind: str, user_id: str
    ) -> str | None:
        """A stored record."""

    async def delete_installation_rows(
        self, where: tuple[str, str, str], kind: str, user_id: str | None
    ) -> None:
        """Delete records."""

    async def installation_secrets(self) -> list[str]:
        """Every stored record."""

    async def rotate_installation_rows(self, rotate: Callable[[str], str]) -> int:
        """Rewrite every stored record."""

    async def put_oauth_state(self, state: str, expires_at: datetime) -> None:
        """Remember a state."""

    async def take_oauth_state(self, state: str, now: datetime) -> bool:
        """Take a state once."""

    async def resume_community(
        self, platform: str, ext_id: str, stale_before: datetime
    ) -> tuple[Community, int] | None:
        """Resume a paused community (bot/communities.py)."""

    async def pause_community(
        self, platform: str, ext_id: str, reason: str, now: datetime
    ) -> Community | None:
        """Pause a community (bot/communities.py)."""


@dataclass(frozen=True)
class Workspace:
    """Where an app is installed: the platform, the organisation (or ""), the workspace."""

    platform: str
    enterprise_id: str
    team_id: str

    @property
    def key(self) -> tuple[str, str, str]:
        """The row key."""
        return (self.platform, self.enterprise_id, self.team_id)


class Installations:
    """Records of installations, encrypted before they reach the database."""

    def __init__(self, store: InstallationRows, cipher: TokenCipher, clock: Clock) -> None:
        self.store = store
        self.cipher = cipher
        self.clock = clock

    async def save(self, where: Workspace, kind: str, user_id: str, record: str) -> None:
        """Keep a record (JSON holding tokens), encrypted with the newest key."""
        await self.store.put_installation_row(
            where.key, kind, user_id, self.cipher.encrypt(record), self.clock.now()
        )

    async def find(self, where: Workspace, kind: str, user_id: str = "") -> str | None:
        """A record back in clear, or None."""
        stored = await self.store.installation_row(where.key, kind, user_id)
        return None if stored is None else self.cipher.decrypt(stored)

    async def delete(self, where: Workspace, kind: str, user_id: str | None = None) -> None:
        """Delete a kind's records (one user's, or all with None)."""
        await self.store.delete_installation_rows(where.key, kind, user_id)

    async def installed(self, where: Workspace) -> None:
        """The app was installed there (again): its community, if paused, is resumed."""
        if where.team_id:
            await communities.resume(self.store, self.clock, where.platform, where.team_id)

    async def issue_state(self) -> str:
        """A new OAuth state, good once for STATE_TTL."""
        state = secrets.token_urlsafe(24)
        await self.store.put_oauth_state(state, self.clock.now() + STATE_TTL)
        return state

    async def consume_state(self, state: str) -> bool:
        """True once for a live state issued here; False for a reused, expired or forged one."""
        return await self.store.take_oauth_state(state, self.clock.now())


def cipher_for(settings: Settings) -> TokenCipher:
    """The cipher for tokens at rest; refuses to start without CROSSFADE_SECRET_KEY."""
    if not settings.secret_keys:
        raise StartupError(
            f"Set {SECRET_KEY} before installing the app in workspaces: their tokens are kept "
            "in the database encrypted with it."
        )
    return TokenCipher(settings.secret_keys)


async def check_stored(store: InstallationRows, cipher: TokenCipher) -> None:
    """Stop start-up, touching nothing, if the key can't open a stored installation."""
    for stored in await store.installation_secrets():
        try:
            cipher.decrypt(stored)
        except WrongSecretKey as exc:
            raise StartupError(str(exc)) from None


async def rotate_secret_key(store: InstallationRows, settings: Settings) -> int:
    """Re-encrypt every stored installation with the newest key: how many records.

    Afterwards no record needs an older key, so CROSSFADE_SECRET_KEY can drop it.
    """
    if not settings.secret_keys:
        raise StartupError(
            f"Set {SECRET_KEY} to the new key, then the old ones after it (comma-separated), "
            "to re-encrypt the stored tokens with the new key."
        )
    cipher = TokenCipher(settings.secret_keys)
    await check_stored(store, cipher)  # a key that opens nothing changes nothing
    return await store.rotate_installation_rows(cipher.rotate)


async def check_at_start(store: InstallationRows, settings: Settings) -> None:
    """Refuse to start if stored installations can't be read with the configured keys."""
    stored = await store.installation_secrets()
    if not stored:
        return
    if not settings.secret_keys:
        raise StartupError(
            f"The database holds workspaces' encrypted tokens: set {SECRET_KEY} to the key "
            "they were stored with."
        )
    await check_stored(store, TokenCipher(settings.secret_keys))
