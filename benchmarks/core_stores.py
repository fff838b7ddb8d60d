"""The stores the core benchmark runs on: each seeded once, each run on a fresh copy.

SQLite: a file, copied. PostgreSQL: the server at CROSSFADE_DATABASE_URL if it is set (the
benchmark makes databases of its own there and drops them, so the user needs CREATEDB), else
a throwaway server started the way the tests start theirs (tests/postgres_server.py); the
seeded database is copied for each run with CREATE DATABASE … TEMPLATE.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import asyncpg

from benchmarks.core_seed import NOW, seed_postgres, seed_sqlite
from bot.models import Actor
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore
from tests import postgres_server

Store = SqliteStore | PostgresStore
ADMIN = Actor("bench", "C1", "U00000", "admin")


class Bench(Protocol):
    """A store to benchmark: seeded once, then fresh copies of it."""

    description: str

    async def seed(self, members: int) -> int:
        """Migrate, add the admin, write the data set; returns the check-in rows."""
        ...

    def fresh(self) -> AbstractAsyncContextManager[Store]:
        """A store on a new copy of the seeded data."""
        ...

    async def close(self) -> None:
        """Drop what the benchmark made."""
        ...


class SqliteBench:
    """The SQLite store: seeded once straight into a file, each run on a fresh copy of it."""

    description = "SQLite (a file on local disk, WAL)"

    def __init__(self, folder: Path) -> None:
        self.seeded = folder / "seeded.db"
        self.run_file = folder / "run.db"

    async def seed(self, members: int) -> int:
        """Migrate, add the admin, write the data set; returns the check-in rows."""
        store = await SqliteStore.open(self.seeded)
        await store.ensure_member(ADMIN, NOW)
        await store.close()
        seed_sqlite(self.seeded, members)
        with sqlite3.connect(self.seeded) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM checkin_weeks").fetchone()[0])

    def _copy(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.run_file}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.seeded, self.run_file)

    @asynccontextmanager
    async def fresh(self) -> AsyncIterator[Store]:
        """A store on a new copy of the seeded file."""
        self._copy()
        store = await SqliteStore.open(self.run_file)
        try:
            yield store
        finally:
            await store.close()

    async def close(self) -> None:
        """Nothing to drop: the folder goes with the run."""


def _on(url: str, database: str) -> str:
    """The same server and user, another database."""
    return urlsplit(url)._replace(path=f"/{database}").geturl()


class PostgresBench:
    """PostgreSQL: seeded once with COPY, each run on a copy (CREATE DATABASE … TEMPLATE)."""

    def __init__(self, folder: Path) -> None:
        self._given = os.environ.get("CROSSFADE_DATABASE_URL")
        self._server: postgres_server.PostgresServer | None = None
        tag = secrets.token_hex(4)
        self._seeded = f"crossfade_bench_{tag}_seed"
        self._run = f"crossfade_bench_{tag}_run"
        self._url = ""
        self.description = ""

    async def seed(self, members: int) -> int:
        """Migrate, add the admin, write the data set; returns the check-in rows."""
        if self._given:
            self._url = self._given
            self.description = "PostgreSQL at CROSSFADE_DATABASE_URL"
        else:
            self._server = postgres_server.start()
            self._url = self._server.url()
            self.description = (
                "PostgreSQL 15, a throwaway local server (tests/postgres_server.py: "
                "fsync and synchronous_commit off)"
            )
        await self._admin(f'CREATE DATABASE "{self._seeded}"')
        store = await PostgresStore.open(_on(self._url, self._seeded))
        await store.ensure_member(ADMIN, NOW)
        await store.close()
        conn = await asyncpg.connect(_on(self._url, self._seeded))
        try:
            await seed_postgres(conn, members)
            return int(await conn.fetchval("SELECT COUNT(*) FROM checkin_weeks"))
        finally:
            await conn.close()

    async def _admin(self, *statements: str) -> None:
        conn = await asyncpg.connect(self._url)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    @asynccontextmanager
    async def fresh(self) -> AsyncIterator[Store]:
        """A store on a new copy of the seeded database."""
        await self._admin(
            f'DROP DATABASE IF EXISTS "{self._run}"',
            f'CREATE DATABASE "{self._run}" TEMPLATE "{self._seeded}" STRATEGY FILE_COPY',
        )
        store = await PostgresStore.open(_on(self._url, self._run))
        try:
            yield store
        finally:
            await store.close()

    async def close(self) -> None:
        """Drop the benchmark's databases, and stop the throwaway server if one was started."""
        try:
            if self._url:
                await self._admin(
                    f'DROP DATABASE IF EXISTS "{self._run}"',
                    f'DROP DATABASE IF EXISTS "{self._seeded}"',
                )
        finally:
            if self._server is not None:
                self._server.stop()


# --store: how each store is seeded and opened fresh for a run (its folder to work in).
STORES: dict[str, Callable[[Path], Bench]] = {"sqlite": SqliteBench, "postgres": PostgresBench}
