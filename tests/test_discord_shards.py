"""Discord sharding: two processes (two adapters here) split the gateway, shard 0 syncs.

Each adapter holds one of two shards, against one loopback fake that routes guild events to
the shard ``(guild_id >> 22) % 2`` as Discord does. A shard whose connection drops or whose
loop dies is reported by name and connected again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import discord
import pytest
import pytest_asyncio

from adapters.discord.adapter import DiscordAdapter
from bot.app import Crossfade
from bot.clock import FakeClock
from bot.config import load_settings
from bot.health import status_problems
from bot.status import Status
from bot.storage.sqlite import SqliteStore
from tests.discord_stack import START, DiscordStack
from tests.fakes.discord_fake import (
    ROUTE_GLOBAL_COMMANDS_GET,
    ROUTE_GLOBAL_COMMANDS_PUT,
    DiscordFake,
    FakeChannel,
    FakeGuild,
    FakeUser,
)
from tests.fakes.discord_fixtures import (
    FAKE_APPLICATION_ID,
    FAKE_GUILD_ID,
    FAKE_HEARTBEAT_MS,
    FAKE_TOKEN,
    FAKE_USER_ID,
    make_discord_fake,
    patch_discord_py,
)
from tests.held_backoff import HeldBackoff

# With two shards, (guild_id >> 22) % 2 puts the default test guild on shard 1, this on 0.
SHARD1_GUILD = FAKE_GUILD_ID
SHARD0_GUILD = 1100000000004194404
SHARD0_CHANNEL = 1100000000004194501
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[DiscordFake]:
    """The default fake with a second guild, one on each of two shards."""
    base = make_discord_fake()
    other = FakeGuild(
        id=SHARD0_GUILD,
        name="Shard Zero Guild",
        channels=(FakeChannel(SHARD0_CHANNEL, "general", position=0),),
        members=(FakeUser(FAKE_USER_ID, "ada", global_name="Ada"),),
        owner_id=FAKE_USER_ID,
    )
    discord_fake = DiscordFake(
        token=FAKE_TOKEN,
        application_id=FAKE_APPLICATION_ID,
        guilds=[*base.guilds.values(), other],
        heartbeat_interval_ms=FAKE_HEARTBEAT_MS,
    )
    await discord_fake.start()
    try:
        with patch_discord_py(discord_fake):
            yield discord_fake
    finally:
        await discord_fake.stop()


@dataclass
class Process:
    """One `crossfade run`'s Discord side: its stack, status record and held backoff."""

    stack: DiscordStack
    status: Status
    backoff: HeldBackoff


@asynccontextmanager
async def shard_process(
    fake: DiscordFake, path: Path, clock: FakeClock, shard: int
) -> AsyncIterator[Process]:
    """A started adapter holding shard ``shard`` of 2, commands global (a hosted bot)."""
    store = await SqliteStore.open(path)
    stack = DiscordStack(fake, store, clock, guild_id=None, shard_count=2, shard_ids=[shard])
    status = Status(clock)
    backoff = HeldBackoff()
    stack.adapter.report_to(status)
    stack.adapter.gateway.backoff = backoff
    try:
        await stack.adapter.start()
        yield Process(stack, status, backoff)
    finally:
        await stack.adapter.stop()
        await store.close()


async def answer(process: Process, guild_id: int) -> str:
    """A slash command typed in ``guild_id``, and the text of its answer."""
    channel = SHARD0_CHANNEL if guild_id == SHARD0_GUILD else None
    reply = await process.stack.command("sprint status", guild_id=guild_id, channel_id=channel)
    return str(reply.json)


def sync_requests(fake: DiscordFake) -> int:
    return len(fake.find(ROUTE_GLOBAL_COMMANDS_GET) + fake.find(ROUTE_GLOBAL_COMMANDS_PUT))


def sent_to(fake: DiscordFake, event: str) -> dict[int, list[int]]:
    """Session number → the guild ids of the ``event`` frames sent on it."""
    found: dict[int, list[int]] = {}
    for frame in fake.gateway_find(event, "send"):
        guild = frame.d.get("guild_id") or frame.d.get("id")
        found.setdefault(frame.connection, []).append(int(guild))
    return found


@pytest.mark.asyncio
async def test_each_shard_identifies_gets_its_guilds_and_only_shard_0_syncs(
    fake: DiscordFake, tmp_path: Path
) -> None:
    clock = FakeClock(START)
    async with AsyncExitStack() as exits:
        one = await exits.enter_async_context(shard_process(fake, tmp_path / "one.db", clock, 1))
        assert sync_requests(fake) == 0  # shard 1's process leaves the commands alone
        zero = await exits.enter_async_context(shard_process(fake, tmp_path / "zero.db", clock, 0))
        assert sync_requests(fake) > 0
        assert {c["name"] for c in fake.commands[None]} >= {"sprint"}

        identified = [frame.d["shard"] for frame in fake.gateway_find(2, "recv")]
        assert identified == [[1, 2], [0, 2]]
        first, second = fake.sessions
        assert sent_to(fake, "GUILD_CREATE") == {
            first.number: [SHARD1_GUILD],
            second.number: [SHARD0_GUILD],
        }
        assert [g.id for g in one.stack.adapter.client.guilds] == [SHARD1_GUILD]
        assert [g.id for g in zero.stack.adapter.client.guilds] == [SHARD0_GUILD]
        assert [s for s, _ in one.stack.adapter.client.latencies] == [1]

        # Shard 1's process never synced, yet answers the commands of its guild.
        assert "no active sprint" in await answer(one, SHARD1_GUILD)
        assert "no active sprint" in await answer(zero, SHARD0_GUILD)
        assert sent_to(fake, "INTERACTION_CREATE") == {
            first.number: [SHARD1_GUILD],
            second.number: [SHARD0_GUILD],
        }
        # Outside any guild (a DM), Discord sends to shard 0 only.
        typing = {"channel_id": "1", "user_id": str(FAKE_USER_ID), "timestamp": 0}
        await fake.dispatch("TYPING_START", typing)
        assert [f.connection for f in fake.gateway_find("TYPING_START", "send")] == [second.number]
        assert [link.label for link in one.status.snapshot().links] == ["Discord shard 1"]
        assert all(link.connected for link in zero.status.snapshot().links)


@pytest.mark.asyncio
async def test_a_shard_whose_loop_dies_is_reported_and_reopened_with_backoff(
    fake: DiscordFake, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(START)
    async with AsyncExitStack() as exits:
        zero = await exits.enter_async_context(shard_process(fake, tmp_path / "zero.db", clock, 0))
        one = await exits.enter_async_context(shard_process(fake, tmp_path / "one.db", clock, 1))
        # A READY without its session_id on shard 1 only: discord.py's parser raises, and
        # AutoShardedClient closes the whole client.
        await fake.dispatch("READY", {"v": 10}, shard=1)
        assert await one.backoff.asked() == [1.0]
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert errors == [
            "Discord: the gateway connection stopped (KeyError: 'session_id'); reconnecting in 1 s"
        ]
        clock.advance(timedelta(minutes=7))
        assert status_problems(one.status.snapshot(), clock.now()) == [
            "Discord shard 1 disconnected since 08:00 UTC (7 min)"
        ]
        assert status_problems(zero.status.snapshot(), clock.now()) == []
        assert zero.backoff.delays == []

        client = one.stack.adapter.client
        ready = asyncio.ensure_future(client.wait_for("shard_ready", timeout=5))
        one.backoff.release()
        assert await ready == 1
        assert "no active sprint" in await answer(one, SHARD1_GUILD)
        assert status_problems(one.status.snapshot(), clock.now()) == []
        assert [s.shard for s in fake.sessions if not s.closed] == [(0, 2), (1, 2)]


@pytest.mark.asyncio
async def test_a_dropped_shard_is_reported_while_discord_py_reconnects_it(
    fake: DiscordFake, tmp_path: Path
) -> None:
    clock = FakeClock(START)
    async with AsyncExitStack() as exits:
        zero = await exits.enter_async_context(shard_process(fake, tmp_path / "zero.db", clock, 0))
        one = await exits.enter_async_context(shard_process(fake, tmp_path / "one.db", clock, 1))
        client = one.stack.adapter.client
        # A close discord.py handles itself: shard 1 resumes at once.
        resumed = asyncio.ensure_future(client.wait_for("shard_resumed", timeout=5))
        await fake.disconnect_gateway(4000, shard=1)
        assert await resumed == 1
        assert "no active sprint" in await answer(one, SHARD1_GUILD)

        # Dropped while the gateway refuses new connections: reported by its shard.
        fake.refuse_gateway = True
        dropped = asyncio.ensure_future(client.wait_for("shard_disconnect", timeout=5))
        await fake.disconnect_gateway(4000, shard=1)
        assert await dropped == 1
        await fake.wait_for_refusals()  # its first try to connect again failed
        clock.advance(timedelta(minutes=6))
        assert status_problems(one.status.snapshot(), clock.now()) == [
            "Discord shard 1 disconnected since 08:00 UTC (6 min)"
        ]
        assert status_problems(zero.status.snapshot(), clock.now()) == []

        # The gateway is back: discord.py's own retry connects shard 1 again.
        back = asyncio.ensure_future(client.wait_for("shard_ready", timeout=15))
        fake.refuse_gateway = False
        assert await back == 1  # a new session: the resume failed, discord.py identifies
        assert status_problems(one.status.snapshot(), clock.now()) == []
        assert one.backoff.delays == []  # discord.py's loop never ended: nothing to reopen
        assert "no active sprint" in await answer(one, SHARD1_GUILD)


@pytest.mark.asyncio
async def test_the_settings_choose_one_connection_or_the_sharded_client(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "c.db")
    clock = FakeClock(START)
    core = Crossfade(store, clock)
    try:
        plain = DiscordAdapter.from_settings(load_settings({"DISCORD_TOKEN": TOKEN}), core)
        assert not isinstance(plain.client, discord.AutoShardedClient)
        assert plain.syncs_commands
        status = Status(clock)
        plain.report_to(status)
        assert [link.label for link in status.snapshot().links] == ["Discord"]

        env = {"DISCORD_TOKEN": TOKEN, "DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "1-2"}
        sharded = DiscordAdapter.from_settings(load_settings(env), core)
        client = sharded.client
        assert isinstance(client, discord.AutoShardedClient)
        assert (client.shard_count, client.shard_ids) == (4, [1, 2])
        assert not sharded.syncs_commands
        status = Status(clock)
        sharded.report_to(status)
        labels = [link.label for link in status.snapshot().links]
        assert labels == ["Discord shard 1", "Discord shard 2"]
        every = DiscordAdapter.from_settings(
            load_settings({"DISCORD_TOKEN": TOKEN, "DISCORD_SHARD_COUNT": "2"}), core
        )
        assert every.syncs_commands  # all the shards, 0 among them, in this one process
    finally:
        await store.close()
