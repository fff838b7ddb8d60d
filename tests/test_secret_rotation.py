"""`crossfade rotate-secret-key`: every stored installation re-encrypted with the newest key,
so the older one can be dropped from CROSSFADE_SECRET_KEY (bot/installations.py)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from bot.clock import FakeClock
from bot.config import load_settings
from bot.errors import StartupError
from bot.installations import Installations, Workspace, check_stored, rotate_secret_key
from bot.secrets_at_rest import TokenCipher, WrongSecretKey
from tests.conftest import START
from tests.stores import Database, open_store, snapshot

pytestmark = pytest.mark.asyncio

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()
WORKSPACES = [Workspace("slack", "", team) for team in ("T1", "T2")]


async def test_every_record_moves_to_the_newest_key(database: Database) -> None:
    store = await open_store(database)
    try:
        clock = FakeClock(START)
        old = Installations(store, TokenCipher([OLD]), clock)
        for where in WORKSPACES:
            await old.save(where, "bot", "", f'{{"bot_token": "xoxb-{where.team_id}"}}')
            await old.save(where, "installer", "U1", f'{{"user": "{where.team_id}"}}')
        settings = load_settings({"CROSSFADE_SECRET_KEY": f"{NEW},{OLD}"})
        assert await rotate_secret_key(store, settings) == 4
        # The new key alone opens everything now; the old one alone opens nothing.
        new_only = TokenCipher([NEW])
        await check_stored(store, new_only)
        for stored in await store.installation_secrets():
            with pytest.raises(WrongSecretKey):
                TokenCipher([OLD]).decrypt(stored)
        again = Installations(store, new_only, clock)
        assert await again.find(WORKSPACES[1], "bot") == '{"bot_token": "xoxb-T2"}'
        assert await again.find(WORKSPACES[0], "installer", "U1") == '{"user": "T1"}'
    finally:
        await store.close()


async def test_a_key_that_opens_nothing_changes_nothing(database: Database) -> None:
    store = await open_store(database)
    try:
        await Installations(store, TokenCipher([OLD]), FakeClock(START)).save(
            WORKSPACES[0], "bot", "", '{"bot_token": "xoxb-1"}'
        )
        before = await snapshot(database)
        with pytest.raises(StartupError) as refused:
            await rotate_secret_key(store, load_settings({"CROSSFADE_SECRET_KEY": NEW}))
        assert "can't decrypt the tokens stored" in str(refused.value)
        with pytest.raises(StartupError) as unset:
            await rotate_secret_key(store, load_settings({}))
        assert "to the new key, then the old ones after it" in str(unset.value)
        assert await snapshot(database) == before
    finally:
        await store.close()
