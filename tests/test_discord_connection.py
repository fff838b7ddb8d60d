"""The Discord gateway: a connection whose task died is logged, reopened with backoff, reported."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.health import status_problems
from bot.status import Status
from bot.storage.sqlite import SqliteStore
from tests.discord_stack import START, DiscordStack
from tests.fakes.discord_fake import DiscordFake
from tests.held_backoff import HeldBackoff


@asynccontextmanager
async def watched_stack(
    fake: DiscordFake, path: Path
) -> AsyncIterator[tuple[DiscordStack, Status, HeldBackoff]]:
    """A started stack reporting into a status record, its reconnection waits held."""
    clock = FakeClock(START)
    store = await SqliteStore.open(path)
    stack = DiscordStack(fake, store, clock)
    status = Status(clock)
    backoff = HeldBackoff()
    stack.adapter.report_to(status)
    stack.adapter.gateway.backoff = backoff
    try:
        await stack.adapter.start()
        yield stack, status, backoff
    finally:
        await stack.adapter.stop()
        await store.close()


async def answers_a_command(stack: DiscordStack) -> bool:
    """The bot is online: a slash command gets its answer."""
    reply = await stack.command("sprint status")
    return "no active sprint" in str(reply.json)


async def reconnected(stack: DiscordStack, backoff: HeldBackoff) -> None:
    """Let the held reconnection go on, and wait until Discord says READY again."""
    ready = asyncio.ensure_future(stack.adapter.client.wait_for("ready", timeout=5))
    backoff.release()
    await ready


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.asyncio
async def test_an_unexpected_payload_that_kills_the_gateway_task_is_survived(
    discord_fake: DiscordFake, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with watched_stack(discord_fake, tmp_path / "db.sqlite") as (stack, status, backoff):
        clock = status.clock
        assert isinstance(clock, FakeClock)
        assert [s.connected for s in status.snapshot().links] == [True]
        assert await answers_a_command(stack)

        # A READY without its session_id: discord.py's parser raises and its loop ends.
        await discord_fake.dispatch("READY", {"v": 10})
        assert await backoff.asked() == [1.0]
        assert errors(caplog) == [
            "Discord: the gateway connection stopped (KeyError: 'session_id'); reconnecting in 1 s"
        ]
        (link,) = status.snapshot().links
        assert (link.connected, link.since) == (False, START)

        # Down a few minutes is tolerated; past five the health check names it.
        clock.advance(timedelta(minutes=4))
        assert status_problems(status.snapshot(), clock.now()) == []
        clock.advance(timedelta(minutes=3))
        assert status_problems(status.snapshot(), clock.now()) == [
            "Discord disconnected since 08:00 UTC (7 min)"
        ]

        # The first new connection gets the same payload: the next wait is longer.
        discord_fake.broken_readies = 1
        await reconnected(stack, backoff)
        assert backoff.delays == [1.0, 2.0]
        assert len(errors(caplog)) == 2
        assert await answers_a_command(stack)  # online again, on a fresh session
        assert len(discord_fake.sessions) == 3
        # The dead ones were closed, heartbeat and all.
        assert [s.closed for s in discord_fake.sessions] == [True, True, False]
        assert status_problems(status.snapshot(), clock.now()) == []

        # Connected again: the next outage starts from the first delay.
        await discord_fake.dispatch("READY", {"v": 10})
        await reconnected(stack, backoff)
        assert backoff.delays == [1.0, 2.0, 1.0]
        assert await answers_a_command(stack)


@pytest.mark.asyncio
async def test_a_dropped_connection_is_reported_while_discord_py_reconnects(
    discord_fake: DiscordFake, tmp_path: Path
) -> None:
    async with watched_stack(discord_fake, tmp_path / "db.sqlite") as (stack, status, backoff):
        clock = status.clock
        assert isinstance(clock, FakeClock)
        # A close discord.py handles itself: it resumes at once.
        resumed = asyncio.ensure_future(stack.adapter.client.wait_for("resumed", timeout=5))
        await discord_fake.disconnect_gateway(4000)
        await resumed
        assert await answers_a_command(stack)
        assert [s.connected for s in status.snapshot().links] == [True]

        # Dropped while the gateway refuses new connections: discord.py keeps retrying.
        discord_fake.refuse_gateway = True
        disconnected = asyncio.ensure_future(stack.adapter.client.wait_for("disconnect", timeout=5))
        await discord_fake.disconnect_gateway(4000)
        await disconnected
        clock.advance(timedelta(minutes=6))
        assert status_problems(status.snapshot(), clock.now()) == [
            "Discord disconnected since 08:00 UTC (6 min)"
        ]
        assert backoff.delays == []  # discord.py's own loop is alive: nothing to restart


@pytest.mark.asyncio
async def test_a_close_discord_says_never_to_retry_is_reported_not_retried(
    discord_fake: DiscordFake, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with watched_stack(discord_fake, tmp_path / "db.sqlite") as (stack, status, backoff):
        clock = status.clock
        assert isinstance(clock, FakeClock)
        closed = asyncio.ensure_future(stack.adapter.client.wait_for("disconnect", timeout=5))
        await discord_fake.disconnect_gateway(4004)  # authentication failed
        await closed
        await asyncio.wait_for(stack.adapter.gateway.given_up(), 5)
        assert backoff.delays == []
        (error,) = errors(caplog)
        assert "closed the connection for good" in error
        assert "4004" in error
        clock.advance(timedelta(minutes=6))
        assert status_problems(status.snapshot(), clock.now()) == [
            "Discord disconnected since 08:00 UTC (6 min)"
        ]
