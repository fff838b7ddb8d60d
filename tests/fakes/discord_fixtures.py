"""Pytest fixture and helpers wiring the real discord.py client to :class:`DiscordFake`.

Import explicitly in a test module::

    from tests.fakes.discord_fixtures import discord_fake, running_client  # noqa: F401
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import AsyncIterator, Iterator

import pytest_asyncio
import yarl

from tests.fakes.discord_fake import DiscordFake, FakeChannel, FakeGuild, FakeUser

with warnings.catch_warnings():
    # discord.py 2.7.1 imports the stdlib audioop (voice), deprecated since 3.11; the project runs
    # pytest with filterwarnings=error, which would turn that import into a collection error.
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord
    import discord.gateway
    import discord.http

# Snowflakes used by the default fake (all valid, time-ordered ids).
FAKE_TOKEN = "ZmFrZS10b2tlbg.crossfade.fake-bot-token"
FAKE_APPLICATION_ID = 1100000000000000001  # also the bot user's id, as for modern Discord apps
FAKE_GUILD_ID = 1100000000000000100
FAKE_CHANNEL_ID = 1100000000000000201  # #general
FAKE_OTHER_CHANNEL_ID = 1100000000000000202  # #gig-leads
FAKE_USER_ID = 1100000000000000301  # a member with open DMs
FAKE_DM_CLOSED_USER_ID = 1100000000000000302  # a member who does not accept DMs
FAKE_HEARTBEAT_MS = 250  # short, so heartbeats and ACKs happen within a test


def make_discord_fake() -> DiscordFake:
    """Return an unstarted fake with one guild, two text channels and two members."""
    guild = FakeGuild(
        id=FAKE_GUILD_ID,
        name="Crossfade Test Guild",
        channels=(
            FakeChannel(FAKE_CHANNEL_ID, "general", position=0),
            FakeChannel(FAKE_OTHER_CHANNEL_ID, "gig-leads", position=1),
        ),
        members=(
            FakeUser(FAKE_USER_ID, "ada", global_name="Ada"),
            FakeUser(FAKE_DM_CLOSED_USER_ID, "grace", global_name="Grace"),
        ),
        owner_id=FAKE_USER_ID,
    )
    return DiscordFake(
        token=FAKE_TOKEN,
        application_id=FAKE_APPLICATION_ID,
        guilds=[guild],
        dm_closed_user_ids=[FAKE_DM_CLOSED_USER_ID],
        heartbeat_interval_ms=FAKE_HEARTBEAT_MS,
    )


@contextlib.contextmanager
def patch_discord_py(fake: DiscordFake) -> Iterator[None]:
    """Point discord.py's REST base and default gateway at the fake; restore on exit."""
    # Route computes its URL from the class attribute BASE at construction time, so every
    # request made inside the block (REST and interaction webhooks) goes to the fake.
    old_base = discord.http.Route.BASE
    # A plain discord.Client never calls GET /gateway/bot: it connects straight to
    # DiscordWebSocket.DEFAULT_GATEWAY (AutoShardedClient does ask /gateway/bot).
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@pytest_asyncio.fixture
async def discord_fake() -> AsyncIterator[DiscordFake]:
    """Yield a started :func:`make_discord_fake` with discord.py patched to use it."""
    fake = make_discord_fake()
    await fake.start()
    try:
        with patch_discord_py(fake):
            yield fake
    finally:
        await fake.stop()


@contextlib.asynccontextmanager
async def running_client(
    client: discord.Client, token: str = FAKE_TOKEN, ready_timeout: float = 5.0
) -> AsyncIterator[discord.Client]:
    """Run ``client.start(token)`` in a task until on_ready; close it cleanly on exit.

    Build the client with a small ``guild_ready_timeout`` (e.g. 0.05): discord.py waits that
    long (default 2 s) after the last GUILD_CREATE before it dispatches on_ready.
    """
    async with client:  # sets up the client's loop; closes HTTP session and websocket on exit
        ready = asyncio.ensure_future(client.wait_for("ready"))
        runner = asyncio.create_task(client.start(token))
        done, _ = await asyncio.wait(
            {ready, runner}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        try:
            if runner in done:
                runner.result()  # login/connect failed: raise its error
                raise AssertionError("client stopped before on_ready")
            if ready not in done:
                raise AssertionError(f"client not ready after {ready_timeout}s")
            yield client
        finally:
            ready.cancel()
            await client.close()
            if not runner.done():
                await asyncio.wait_for(runner, timeout=5.0)
