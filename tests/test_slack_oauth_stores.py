"""bolt's installation and state stores keep workspaces' installs in Crossfade's database.

Two stores opened on one database stand for two processes: an install begun on one finishes on
the other. Tokens are stored encrypted; a wrong key stops start-up and changes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store.models.installation import Installation

from adapters.slack.oauth_stores import CrossfadeInstallationStore, CrossfadeStateStore
from bot.clock import FakeClock
from bot.config import Settings, load_settings
from bot.errors import StartupError
from bot.installations import STATE_TTL, Installations, check_stored, cipher_for
from bot.secrets_at_rest import TokenCipher
from bot.storage.opening import open_store as open_configured
from tests.conftest import START
from tests.stores import AnyStore, Database, open_store, query

pytestmark = pytest.mark.asyncio

KEY = Fernet.generate_key().decode()
TOKEN_A = "xoxb-1001-aaaa-first-workspace"
TOKEN_B = "xoxb-2002-bbbb-second-workspace"


def install(team: str, token: str, user: str = "U1") -> Installation:
    return Installation(
        app_id="A1",
        team_id=team,
        team_name=f"Team {team}",
        user_id=user,
        bot_token=token,
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes="commands,chat:write",
    )


@pytest_asyncio.fixture
async def two(database: Database) -> AsyncIterator[tuple[AnyStore, AnyStore]]:
    first, second = await open_store(database), await open_store(database)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


def installations(store: AnyStore, clock: FakeClock, key: str = KEY) -> Installations:
    return Installations(store, TokenCipher([key]), clock)


async def test_each_workspace_s_install_is_found_from_another_process(
    two: tuple[AnyStore, AnyStore], database: Database
) -> None:
    clock = FakeClock(START)
    here = CrossfadeInstallationStore(installations(two[0], clock))
    there = CrossfadeInstallationStore(installations(two[1], clock))
    await here.async_save(install("T1", TOKEN_A))
    await here.async_save(install("T2", TOKEN_B, user="U2"))
    bot = await there.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None
    assert bot.bot_token == TOKEN_A
    latest = await there.async_find_installation(enterprise_id=None, team_id="T2")
    assert latest is not None
    assert (latest.bot_token, latest.user_id, latest.team_name) == (TOKEN_B, "U2", "Team T2")
    mine = await there.async_find_installation(enterprise_id=None, team_id="T2", user_id="U2")
    assert mine is not None
    assert mine.bot_token == TOKEN_B
    assert await there.async_find_bot(enterprise_id=None, team_id="T3") is None
    stored = " ".join(str(row) for row in await query(database, "SELECT * FROM installations"))
    assert TOKEN_A not in stored
    assert TOKEN_B not in stored


async def test_a_reinstall_replaces_the_token_and_delete_forgets_it(
    two: tuple[AnyStore, AnyStore],
) -> None:
    clock = FakeClock(START)
    store = CrossfadeInstallationStore(installations(two[0], clock))
    await store.async_save(install("T1", TOKEN_A))
    await store.async_save(install("T1", "xoxb-1001-new"))
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None
    assert bot.bot_token == "xoxb-1001-new"
    await store.async_delete_all(enterprise_id=None, team_id="T1")
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert await store.async_find_installation(enterprise_id=None, team_id="T1") is None


async def test_a_state_issued_on_one_process_is_taken_once_on_another(
    two: tuple[AnyStore, AnyStore],
) -> None:
    clock = FakeClock(START)
    here = CrossfadeStateStore(installations(two[0], clock))
    there = CrossfadeStateStore(installations(two[1], clock))
    state = await here.async_issue()
    assert await there.async_consume(state)
    assert not await there.async_consume(state)  # replayed
    assert not await here.async_consume(state)
    assert not await there.async_consume("forged-state")


async def test_an_expired_state_is_refused(two: tuple[AnyStore, AnyStore]) -> None:
    clock = FakeClock(START)
    states = CrossfadeStateStore(installations(two[0], clock))
    state = await states.async_issue()
    clock.set(START + STATE_TTL + timedelta(seconds=1))
    assert not await states.async_consume(state)


async def test_a_wrong_key_stops_start_up_and_keeps_every_token(
    two: tuple[AnyStore, AnyStore], database: Database
) -> None:
    clock = FakeClock(START)
    await CrossfadeInstallationStore(installations(two[0], clock)).async_save(
        install("T1", TOKEN_A)
    )
    before = await query(database, "SELECT * FROM installations ORDER BY kind, user_id")
    wrong = TokenCipher([Fernet.generate_key().decode()])
    with pytest.raises(StartupError) as caught:
        await check_stored(two[1], wrong)
    assert str(caught.value).startswith("CROSSFADE_SECRET_KEY can't decrypt")
    assert "\n" not in str(caught.value)
    assert await query(database, "SELECT * FROM installations ORDER BY kind, user_id") == before
    await check_stored(two[1], TokenCipher([Fernet.generate_key().decode(), KEY]))


async def test_tokens_are_not_stored_without_a_key() -> None:
    with pytest.raises(StartupError) as caught:
        cipher_for(load_settings({}))
    assert "Set CROSSFADE_SECRET_KEY" in str(caught.value)
    assert (
        cipher_for(load_settings({"CROSSFADE_SECRET_KEY": KEY})).decrypt(
            TokenCipher([KEY]).encrypt(TOKEN_A)
        )
        == TOKEN_A
    )


def settings_on(database: Database, key: str | None) -> Settings:
    env = {"CROSSFADE_SECRET_KEY": key} if key else {}
    if isinstance(database, str):
        env["CROSSFADE_DATABASE_URL"] = database
    else:
        env["CROSSFADE_DB"] = str(database)
    return load_settings(env)


async def test_opening_the_database_with_a_wrong_or_missing_key_stops_start_up(
    database: Database,
) -> None:
    store = await open_store(database)
    try:
        await CrossfadeInstallationStore(installations(store, FakeClock(START))).async_save(
            install("T1", TOKEN_A)
        )
    finally:
        await store.close()
    before = await query(database, "SELECT * FROM installations ORDER BY kind, user_id")
    wrong = Fernet.generate_key().decode()
    with pytest.raises(StartupError, match=r"^CROSSFADE_SECRET_KEY can't decrypt"):
        await open_configured(settings_on(database, wrong))
    with pytest.raises(StartupError, match="set CROSSFADE_SECRET_KEY to the key"):
        await open_configured(settings_on(database, None))
    assert await query(database, "SELECT * FROM installations ORDER BY kind, user_id") == before
    reopened = await open_configured(settings_on(database, f"{wrong},{KEY}"))
    await reopened.close()
