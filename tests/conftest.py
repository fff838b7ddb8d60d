"""Shared fixtures: the core harness on each store (SQLite, PostgreSQL), and the platform fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio

from bot.clock import FakeClock
from tests.fakes.discord_fixtures import discord_fake  # noqa: F401
from tests.fakes.slack_fixtures import slack_fake  # noqa: F401
from tests.harness import Harness
from tests.postgres_fixtures import (  # noqa: F401
    postgres_db,
    postgres_server,
    postgres_template,
    postgres_url,
)
from tests.stores import (
    Database,
    store_kind,  # noqa: F401
)
from tests.stores import database as database

# A Monday, 08:00 UTC.
START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest_asyncio.fixture
async def harness(database: Database) -> AsyncIterator[Harness]:
    """The core on a fresh database (SQLite and PostgreSQL) at Monday 30 Nov 2026, 08:00 UTC."""
    h = await Harness.open(database, FakeClock(START))
    try:
        yield h
    finally:
        await h.close()


@pytest.fixture(autouse=True)
def _web_app_on_any_free_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each `crossfade run` a test starts serves its web app on a free port of its own."""
    monkeypatch.setenv("CROSSFADE_HTTP_PORT", "0")
    monkeypatch.delenv("SLACK_PORT", raising=False)
