"""The PostgreSQL fixtures: one server for the whole run, a fresh database per test."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from tests.postgres_server import NoPostgres, PostgresServer, start
from tests.startup_env import unavailable


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real server for the run (skipped locally without PostgreSQL, failed in CI)."""
    try:
        server = start()
    except NoPostgres as exc:
        unavailable(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest_asyncio.fixture
async def postgres_url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """The address of an empty database of its own, dropped after the test."""
    import asyncpg

    name = f"t_{secrets.token_hex(6)}"
    await postgres_server.create_database(name)
    try:
        yield postgres_server.url(name)
    finally:
        admin = await asyncpg.connect(postgres_server.url())
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


TEMPLATE = "crossfade_template"


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    """A database migrated once per run: each test's database is a copy of it."""
    import asyncio

    import asyncpg

    from bot.storage.postgres import PostgresStore

    async def build() -> None:
        admin = await asyncpg.connect(postgres_server.url())
        try:
            await admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
        finally:
            await admin.close()
        store = await PostgresStore.open(postgres_server.url(TEMPLATE))
        await store.close()

    asyncio.run(build())
    return TEMPLATE


@pytest_asyncio.fixture
async def postgres_db(
    postgres_server: PostgresServer, postgres_template: str
) -> AsyncIterator[str]:
    """The address of a database of its own, already migrated (a copy of the template)."""
    import asyncpg

    name = f"t_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(postgres_server.url())
    try:
        # FILE_COPY: a copy of the folder, six times quicker than WAL_LOG for a small one.
        await admin.execute(
            f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}" STRATEGY FILE_COPY'
        )
    finally:
        await admin.close()
    try:
        yield postgres_server.url(name)
    finally:
        admin = await asyncpg.connect(postgres_server.url())
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
