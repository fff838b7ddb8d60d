"""Both stores for the tests: a ``database`` is an SQLite file or a PostgreSQL address.

``store_kind`` (ids ``sqlite`` / ``postgres``) parametrizes every test that takes the
``database`` fixture (or the harness): the same test runs on a fresh SQLite file and on a
fresh migrated PostgreSQL database of its own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.storage.postgres import PostgresStore
from bot.storage.postgres.driver import translate
from bot.storage.sqlite import SqliteStore

AnyStore = SqliteStore | PostgresStore
# What a test opens a store on: an SQLite file, or a postgresql:// address.
Database = Path | str
KINDS = ("sqlite", "postgres")


async def open_store(database: Database) -> AnyStore:
    """The store for a database: PostgreSQL for an address, SQLite for a file."""
    if isinstance(database, str):
        return await PostgresStore.open(database)
    return await SqliteStore.open(database)


def is_postgres(database: Database) -> bool:
    """Whether the test runs on PostgreSQL."""
    return isinstance(database, str)


@pytest.fixture(params=KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    """Which store the test runs on."""
    return str(request.param)


@pytest.fixture
def database(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Database:
    """A fresh database of the test's store kind."""
    if store_kind == "postgres":
        return str(request.getfixturevalue("postgres_db"))
    return tmp_path / "crossfade.db"


async def query(
    database: Database, sql: str, params: Sequence[object] = ()
) -> list[tuple[Any, ...]]:
    """Rows straight from the database (``?`` placeholders on both), as plain tuples."""
    (rows,) = await queries(database, [(sql, params)])
    return rows


async def queries(
    database: Database, statements: Sequence[tuple[str, Sequence[object]]]
) -> list[list[tuple[Any, ...]]]:
    """Each statement's rows, read on one connection (a connection per table made a
    snapshot on PostgreSQL take a second)."""
    if isinstance(database, str):
        conn = await asyncpg.connect(database)
        try:
            return [
                [tuple(r) for r in await conn.fetch(translate(sql), *params)]
                for sql, params in statements
            ]
        finally:
            await conn.close()
    with closing(sqlite3.connect(database)) as db:
        return [
            [tuple(r) for r in db.execute(sql, params).fetchall()] for sql, params in statements
        ]


async def write(database: Database, sql: str, params: Sequence[object] = ()) -> None:
    """Change rows straight in the database, committed (as another program would)."""
    if isinstance(database, str):
        conn = await asyncpg.connect(database)
        try:
            await conn.execute(translate(sql), *params)
        finally:
            await conn.close()
        return
    with closing(sqlite3.connect(database)) as db, db:
        db.execute(sql, params)


async def tables(database: Database) -> list[str]:
    """The names of the database's tables (not PostgreSQL's schema_version)."""
    if isinstance(database, str):
        found = await query(
            database,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            " AND table_name != 'schema_version' ORDER BY table_name",
        )
    else:
        found = await query(
            database, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        )
    return [str(r[0]) for r in found]


async def snapshot(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to prove nothing changed."""
    names = await tables(database)
    found = await queries(database, [(f"SELECT * FROM {t}", ()) for t in names])
    return {t: sorted(rows, key=repr) for t, rows in zip(names, found, strict=True)}
