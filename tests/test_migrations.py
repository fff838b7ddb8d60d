"""Schema migrations upgrade an existing file in place and keep its data."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.storage.sqlite import SqliteStore, migrations
from tests.harness import Harness


def test_migrations_are_numbered_in_order() -> None:
    versions = [v for v, _ in migrations()]
    assert versions == list(range(1, len(versions) + 1))


@pytest.mark.asyncio
async def test_a_version_one_database_is_upgraded_with_its_data(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    first_sql = migrations()[0][1]
    conn = sqlite3.connect(db)
    conn.executescript(first_sql + "\nPRAGMA user_version = 1;")
    conn.execute(
        "INSERT INTO communities (platform, ext_id, name, created_at)"
        " VALUES ('test', 'T1', 'Old community', '2025-01-01T00:00:00+00:00')"
    )
    conn.execute(
        "INSERT INTO members (community_id, ext_id, display_name, timezone, created_at)"
        " VALUES (1, 'ana', 'Ana', 'Europe/London', '2025-01-01T00:00:00+00:00')"
    )
    conn.commit()
    conn.close()

    store = await SqliteStore.open(db)
    try:
        member = await store.find_member(1, "ana")
        assert member is not None
        assert member.timezone == "Europe/London"
        assert member.dm_channel is None
    finally:
        await store.close()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations()[-1][0]
    conn.close()


@pytest.mark.asyncio
async def test_the_dm_channel_is_remembered_across_restarts(tmp_path: Path) -> None:
    db = tmp_path / "dm.db"
    clock = FakeClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    sprint = (
        '/sprint start goal:"Atmos" skill:"spatial mixing" deliverable:workshop '
        'deliverable-note:"A workshop"'
    )
    async with await Harness.open(db, clock) as first:
        await first.run("ana", sprint)
        await first.advance(timedelta(days=8))
        assert first.transport.dms("ana")[0].target.channel_id is None
    async with await Harness.open(db, clock) as second:
        await second.advance(timedelta(days=7))
        later = second.transport.dms("ana")
        assert later
        assert all(s.target.channel_id == "D-ana" for s in later)


@pytest.mark.asyncio
async def test_messages_queued_before_features_were_recorded_count_as_check_ins(
    tmp_path: Path,
) -> None:
    db = tmp_path / "before.db"
    conn = sqlite3.connect(db)
    # Every migration before the one that records each message's feature.
    before = next(v for v, sql in migrations() if "ADD COLUMN feature" in sql)
    for version, sql in migrations():
        if version < before:
            conn.executescript(sql)
    conn.execute(f"PRAGMA user_version = {before - 1}")
    conn.execute(
        "INSERT INTO communities (platform, ext_id, name, created_at)"
        " VALUES ('test', 'T1', 'Old community', '2025-01-01T00:00:00+00:00')"
    )
    conn.execute(
        "INSERT INTO outbox (community_id, dest_kind, member_id, purpose, payload, not_before,"
        " created_at) VALUES (1, 'channel', NULL, 'checkins', '{}', '2025-01-01T00:00:00+00:00',"
        " '2025-01-01T00:00:00+00:00')"
    )
    conn.commit()
    conn.close()

    store = await SqliteStore.open(db)
    try:
        queued = await store.get_outbox(1)
        assert queued is not None
        assert queued.feature == "checkins"
        assert queued.destination.purpose == "checkins"
    finally:
        await store.close()
