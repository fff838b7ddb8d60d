"""Sprints are numbered per member (#1, #2, …), and existing files are numbered on upgrade."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.storage.sqlite import SqliteStore, migrations
from tests.harness import Harness, reply_text


def sprint_line(goal: str) -> str:
    return (
        f'/sprint start goal:"{goal}" skill:"spatial mixing" deliverable:workshop '
        'deliverable-note:"A workshop"'
    )


@pytest.mark.asyncio
async def test_each_member_counts_their_own_sprints(harness: Harness) -> None:
    await harness.run("ana", sprint_line("Ana's first"))
    await harness.run("ben", sprint_line("Ben's first"))
    journey = reply_text(await harness.run("ben", "/journey"))
    # Ben's only sprint is his #1, whatever anyone else started before him.
    assert "#1 Ben's first" in journey
    assert "#2" not in journey

    await harness.confirmed("ben", "/sprint abandon")
    await harness.run("ben", sprint_line("Ben's second"))
    journey = reply_text(await harness.run("ben", "/journey"))
    assert "#1 Ben's first" in journey
    assert "#2 Ben's second" in journey

    # sprint:N means the member's own #N.
    first = reply_text(await harness.run("ben", "/sprint status sprint:1"))
    assert first.startswith("Ben's first · spatial mixing")
    assert "no sprint number 3" in reply_text(await harness.run("ben", "/sprint status sprint:3"))
    assert "Ana's first" in reply_text(await harness.run("ana", "/sprint status sprint:1"))

    status = harness.core.registry.get("sprint.status")
    assert status is not None
    own = await harness.core.suggest(harness.actor("ben"), status, "sprint", "")
    assert [(c.value, c.label) for c in own] == [("2", "#2 Ben's second"), ("1", "#1 Ben's first")]


def _old_file(path: Path) -> None:
    """A Crossfade file from just before sprint numbers, with sprints in it."""
    conn = sqlite3.connect(path)
    for version, sql in migrations():
        if "ADD COLUMN number" in sql:
            break
        conn.executescript(f"{sql}\nPRAGMA user_version = {version};")
    conn.execute(
        "INSERT INTO communities (platform, ext_id, name, created_at)"
        " VALUES ('test', 'T1', 'Old community', '2025-01-01T00:00:00+00:00')"
    )
    for ext in ("ana", "ben"):
        conn.execute(
            "INSERT INTO members (community_id, ext_id, display_name, created_at)"
            " VALUES (1, ?, ?, '2025-01-01T00:00:00+00:00')",
            (ext, ext.capitalize()),
        )
    # Ids out of creation order: Ana's sprint 1 was created after her sprint 3.
    rows = [
        (1, 1, "Ana later", "completed", "2025-06-01T09:00:00+00:00"),
        (2, 2, "Ben only", "active", "2025-02-01T09:00:00+00:00"),
        (3, 1, "Ana earlier", "abandoned", "2025-03-01T09:00:00+00:00"),
        (4, 1, "Ana latest", "active", "2025-09-01T09:00:00+00:00"),
    ]
    for sprint_id, member, goal, status, created in rows:
        conn.execute(
            "INSERT INTO sprints (id, member_id, goal, skill, deliverable_kind, deliverable,"
            " start_date, weeks, status, created_at) VALUES (?, ?, ?, 'mixing', 'workshop',"
            " 'A workshop', ?, 12, ?, ?)",
            (sprint_id, member, goal, created[:10], status, created),
        )
    conn.commit()
    conn.close()


@pytest.mark.asyncio
async def test_upgrading_numbers_existing_sprints_in_creation_order(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    _old_file(db)
    store = await SqliteStore.open(db)
    try:
        ana = await store.member_sprints(1)
        ben = await store.member_sprints(2)
        assert sorted((s.number, s.goal) for s in ana) == [
            (1, "Ana earlier"),
            (2, "Ana later"),
            (3, "Ana latest"),
        ]
        assert [(s.number, s.goal) for s in ben] == [(1, "Ben only")]
        later = await store.member_sprint(1, 2)
        assert later is not None
        assert later.goal == "Ana later"
    finally:
        await store.close()
    # A member's numbers are unique in the file itself.
    conn = sqlite3.connect(db)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE sprints SET number = 1 WHERE id = 1")
    conn.close()
