"""Pausing or resuming while the same member's profile changes: neither write undoes the other."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from bot.clock import FakeClock
from bot.models import Actor, Community, Member
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore
from tests.conftest import START
from tests.harness import Harness, reply_text
from tests.stores import Database, is_postgres


class SlowRead:
    """A real store that runs another request's step once, right after a member is read."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.step: Callable[[], Awaitable[Any]] | None = None

    async def ensure_member(self, actor: Actor, now: Any) -> tuple[Community, Member]:
        found = await super().ensure_member(actor, now)
        step, self.step = self.step, None
        if step is not None:
            await step()
        return found


class SlowReadStore(SlowRead, SqliteStore):
    """On SQLite."""


class PgSlowReadStore(SlowRead, PostgresStore):
    """On PostgreSQL."""


@pytest_asyncio.fixture
async def race(database: Database) -> AsyncIterator[tuple[Harness, SlowRead]]:
    kind = PgSlowReadStore if is_postgres(database) else SlowReadStore
    store = await kind.open(database)
    h = Harness(store, FakeClock(START), database=database)
    try:
        yield h, store
    finally:
        await h.close()


@pytest.mark.asyncio
async def test_pausing_keeps_a_time_zone_saved_meanwhile(
    race: tuple[Harness, SlowRead],
) -> None:
    h, store = race
    await h.run("ana", "/profile timezone:Europe/London")

    async def zone_change() -> None:
        store.step = None
        await h.core.run_line(h.actor("ana"), "/profile timezone:Asia/Kolkata")

    store.step = zone_change
    assert "paused" in reply_text(await h.run("ana", "/checkin pause")).lower()
    member = (await store.ensure_member(h.actor("ana"), h.clock.now()))[1]
    assert (member.timezone, member.paused) == ("Asia/Kolkata", True)


@pytest.mark.asyncio
async def test_resuming_keeps_skills_saved_meanwhile(
    race: tuple[Harness, SlowRead],
) -> None:
    h, store = race
    await h.run("ana", "/checkin pause")

    async def skills_change() -> None:
        store.step = None
        await h.core.run_line(h.actor("ana"), '/profile skills:"spatial mixing"')

    store.step = skills_change
    assert "resumed" in reply_text(await h.run("ana", "/checkin resume")).lower()
    member = (await store.ensure_member(h.actor("ana"), h.clock.now()))[1]
    assert (member.skills, member.paused) == (("spatial mixing",), False)
