"""The test PostgreSQL server itself: it runs unprivileged, takes a password, and isolates."""

from __future__ import annotations

import os

import asyncpg
import pytest

from tests.postgres_server import PostgresServer

pytestmark = pytest.mark.asyncio


async def test_a_database_of_its_own_per_test(postgres_url: str) -> None:
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute("CREATE TABLE t (x int)")
        await conn.execute("INSERT INTO t VALUES (1)")
        assert await conn.fetchval("SELECT count(*) FROM t") == 1
        assert await conn.fetchval("SELECT current_setting('server_version_num')::int") >= 15000
    finally:
        await conn.close()


async def test_the_server_is_not_run_by_root(postgres_server: PostgresServer) -> None:
    owner = (postgres_server.folder / "data").stat().st_uid
    assert owner != 0 or os.geteuid() != 0
    pid_line = (postgres_server.folder / "data" / "postmaster.pid").read_text().splitlines()[0]
    assert os.stat(f"/proc/{pid_line}").st_uid != 0


async def test_a_wrong_password_is_refused(postgres_server: PostgresServer) -> None:
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(postgres_server.url(password="not-it"))
