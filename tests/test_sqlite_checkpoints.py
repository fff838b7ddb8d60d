"""SQLite's WAL is checkpointed after writes on a connection of its own, never inside the
store's commits (where a command or the weekly decision would wait for it), and the log
never grows unchecked."""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.models import Actor
from bot.storage.sqlite import SqliteStore
from bot.storage.sqlite.checkpoints import COMMITS, ROWS

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def members_in_the_file(path: Path, copy: Path) -> int:
    """The members the database file itself holds, leaving out its WAL (a copy of it alone)."""
    shutil.copyfile(path, copy)
    with closing(sqlite3.connect(copy)) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM members").fetchone()[0])


@pytest.mark.asyncio
async def test_the_stores_commits_never_checkpoint(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "c.db")
    try:
        row = await (await store._conn.execute("PRAGMA wal_autocheckpoint")).fetchone()
        assert row is not None
        assert row[0] == 0
        assert store.checkpoints is not None
    finally:
        await store.close()


@pytest.mark.asyncio
async def test_every_write_is_checkpointed_in_the_background(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    store = await SqliteStore.open(path)
    try:
        assert store.checkpoints is not None
        # Many small commits, as commands make them: each lands in the file itself.
        for n in range(200):
            await store.ensure_member(Actor("test", "T1", f"U{n}", "x" * 2000), NOW)
        await store.checkpoints.settled()
        assert members_in_the_file(path, tmp_path / "copy.db") == 200
        await store.ensure_member(Actor("test", "T1", "U-last", "last"), NOW)
        await store.checkpoints.settled()
        assert members_in_the_file(path, tmp_path / "copy2.db") == 201
    finally:
        await store.close()


@pytest.mark.asyncio
async def test_a_commit_landing_while_the_store_closes_starts_no_checkpoint(
    tmp_path: Path,
) -> None:
    store = await SqliteStore.open(tmp_path / "c.db")
    checkpoints = store.checkpoints
    assert checkpoints is not None
    await store.close()
    # A transaction that committed during close() reports its write afterwards.
    checkpoints.wrote()
    await checkpoints.settled()  # nothing ran on the closed connection


@pytest.mark.asyncio
async def test_a_few_small_writes_wait_for_more_before_a_checkpoint(tmp_path: Path) -> None:
    # A checkpoint per small commit cost a command more than its own work: they gather.
    path = tmp_path / "c.db"
    store = await SqliteStore.open(path)
    try:
        assert store.checkpoints is not None
        for n in range(10):
            await store.ensure_member(Actor("test", "T1", f"U{n}", "x" * 2000), NOW)
        await store.checkpoints.idle()
        assert store.checkpoints.runs == 0
        assert members_in_the_file(path, tmp_path / "copy.db") == 0
        # Gathering more starts one by itself.
        for n in range(10, 10 + COMMITS):
            await store.ensure_member(Actor("test", "T1", f"U{n}", "x" * 2000), NOW)
        await store.checkpoints.idle()
        assert store.checkpoints.runs >= 1
        assert members_in_the_file(path, tmp_path / "copy2.db") >= COMMITS
    finally:
        await store.close()


@pytest.mark.asyncio
async def test_a_big_write_is_checkpointed_without_waiting_for_more(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    store = await SqliteStore.open(path)
    try:
        assert store.checkpoints is not None
        community, _ = await store.ensure_member(Actor("test", "T1", "U0", "first"), NOW)
        async with store._tx() as db:
            await db.executemany(
                "INSERT INTO members (community_id, ext_id, display_name, created_at)"
                " VALUES (?, ?, ?, ?)",
                [(community.id, f"B{n}", f"b{n}", NOW.isoformat()) for n in range(ROWS)],
            )
        await store.checkpoints.idle()
        assert members_in_the_file(path, tmp_path / "copy.db") == ROWS + 1
    finally:
        await store.close()


@pytest.mark.asyncio
async def test_the_log_stays_bounded_when_writes_never_pause(tmp_path: Path) -> None:
    # Writes back to back, each landing while the last checkpoint still runs, never leave
    # the log still: past the limit a write waits for it to catch up, and starts it afresh.
    path = tmp_path / "c.db"
    wal = Path(f"{path}-wal")
    limit = 128 * 1024
    store = await SqliteStore.open(path, wal_limit=limit)
    try:
        assert store.checkpoints is not None
        sizes = []
        for n in range(400):
            await store.ensure_member(Actor("test", "T1", f"U{n}", "x" * 2000), NOW)
            await store.get_setting("anything")
            sizes.append(os.stat(wal).st_size)
        # What 400 such writes put in the log (about 5 MB) never gathers: at most one
        # write's pages past the limit.
        assert max(sizes) <= limit + 64 * 1024, max(sizes)
        await store.checkpoints.settled()
        assert members_in_the_file(path, tmp_path / "copy.db") == 400
    finally:
        await store.close()
