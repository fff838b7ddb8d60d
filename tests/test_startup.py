"""Database start-up refuses what it must not use, in one line, leaving the file untouched."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import StartupError
from bot.health import problems
from bot.models import Actor
from bot.storage.sqlite import SqliteStore, migrations
from tests.startup_env import crossfade, digest, one_line, side_files

# Crossfade's files carry the bytes of "XFAD" as their SQLite application id.
APPLICATION_ID = int.from_bytes(b"XFAD", "big")


def pragma(db: Path, name: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(f"PRAGMA {name}").fetchone()[0])
    finally:
        conn.close()


def foreign(db: Path, *statements: str) -> None:
    """Another program's SQLite file, in the rollback-journal mode most programs use."""
    conn = sqlite3.connect(db)
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


async def crossfade_file(db: Path, members: int = 30) -> None:
    """A Crossfade database with some members in it, closed and checkpointed."""
    store = await SqliteStore.open(db)
    try:
        for n in range(members):
            actor = Actor(
                platform="test",
                community_id="T1",
                user_id=f"u{n}",
                display_name=f"Member {n}",
                community_name="Studio",
                is_admin=False,
                channel_id="general",
            )
            await store.ensure_member(actor, datetime(2026, 1, 1, tzinfo=UTC))
    finally:
        await store.close()


async def refused(db: Path, match: str) -> str:
    before = digest(db)
    with pytest.raises(StartupError, match=match) as caught:
        await SqliteStore.open(db)
    assert digest(db) == before
    assert side_files(db) == []
    return str(caught.value)


@pytest.mark.asyncio
async def test_a_foreign_file_with_a_clashing_table_is_refused_and_untouched(
    tmp_path: Path,
) -> None:
    db = tmp_path / "crm.db"
    foreign(
        db,
        "CREATE TABLE members (id INTEGER PRIMARY KEY, email TEXT)",
        "INSERT INTO members (email) VALUES ('ana@example.com')",
    )
    line = await refused(db, "is not a Crossfade database")
    assert "another program's tables (members)" in line
    assert "\n" not in line


@pytest.mark.asyncio
async def test_a_foreign_file_without_a_clash_gets_no_tables_of_ours(tmp_path: Path) -> None:
    db = tmp_path / "notes.db"
    foreign(db, "CREATE TABLE notes (body TEXT)", "INSERT INTO notes VALUES ('mix notes')")
    await refused(db, r"not a Crossfade database: it holds another program's tables \(notes\)")
    conn = sqlite3.connect(db)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master")]
    conn.close()
    assert names == ["notes"]


@pytest.mark.asyncio
async def test_a_file_stamped_by_another_program_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    foreign(db, "PRAGMA application_id = 1234", "CREATE TABLE communities (x)")
    await refused(db, r"belongs to another program \(SQLite application id 0x4d2\)")


@pytest.mark.asyncio
async def test_two_hundred_flipped_bytes_are_reported_as_damage(tmp_path: Path) -> None:
    good = tmp_path / "good.db"
    await crossfade_file(good)
    original = good.read_bytes()
    for seed in range(40):
        rng = random.Random(seed)
        data = bytearray(original)
        # Past the first page: damage inside tables and the schema, not a missing header.
        for _ in range(200):
            data[rng.randrange(4096, len(data))] ^= 1 << rng.randrange(8)
        db = tmp_path / f"flipped-{seed}.db"
        db.write_bytes(bytes(data))
        line = await refused(db, "damaged|not a readable Crossfade database")
        assert "restore it from a backup" in line


@pytest.mark.asyncio
async def test_a_current_file_missing_a_table_stops_startup_not_the_first_tick(
    tmp_path: Path,
) -> None:
    db = tmp_path / "dropped.db"
    await crossfade_file(db)
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE summaries")
    conn.close()
    line = await refused(db, "is damaged: table summaries is missing from its schema")
    assert f"(version {migrations()[-1][0]})" in line


@pytest.mark.asyncio
async def test_a_missing_column_or_index_is_named_too(tmp_path: Path) -> None:
    db = tmp_path / "columns.db"
    await crossfade_file(db)
    conn = sqlite3.connect(db)
    conn.execute("DROP INDEX one_active_sprint")
    conn.execute("ALTER TABLE members DROP COLUMN dm_channel")
    conn.close()
    await refused(db, "column members.dm_channel, index one_active_sprint are missing")


@pytest.mark.asyncio
async def test_an_existing_crossfade_file_is_recognised_and_stamped(tmp_path: Path) -> None:
    db = tmp_path / "before-ids.db"
    # A version-2 file as Crossfade wrote it before files carried an application id.
    conn = sqlite3.connect(db)
    for version, sql in migrations()[:2]:
        conn.executescript(sql + f"\nPRAGMA user_version = {version};")
    conn.execute(
        "INSERT INTO communities (platform, ext_id, name, created_at)"
        " VALUES ('test', 'T1', 'Studio', '2025-01-01T00:00:00+00:00')"
    )
    conn.commit()
    conn.close()
    assert pragma(db, "application_id") == 0
    store = await SqliteStore.open(db)
    try:
        assert (await store.get_community(1)).name == "Studio"
    finally:
        await store.close()
    assert pragma(db, "application_id") == APPLICATION_ID
    assert pragma(db, "user_version") == migrations()[-1][0]
    assert problems(db) == []


@pytest.mark.asyncio
async def test_a_crossfade_file_already_current_is_stamped_without_changes(
    tmp_path: Path,
) -> None:
    db = tmp_path / "current.db"
    await crossfade_file(db, members=1)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA application_id = 0")  # as today's main leaves its files
    conn.close()
    store = await SqliteStore.open(db)
    await store.close()
    assert pragma(db, "application_id") == APPLICATION_ID


@pytest.mark.asyncio
async def test_an_empty_sqlite_file_becomes_a_crossfade_database(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    foreign(db, "PRAGMA page_size = 4096", "VACUUM")
    store = await SqliteStore.open(db)
    await store.close()
    assert pragma(db, "application_id") == APPLICATION_ID


@pytest.mark.asyncio
async def test_a_full_disk_while_creating_leaves_no_half_made_file(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    with pytest.raises(StartupError, match=r"disk holding the database .* is full"):
        await SqliteStore.open(db, max_pages=3)
    assert not db.exists()
    assert os.listdir(tmp_path) == []


@pytest.mark.asyncio
async def test_a_full_disk_while_upgrading_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "v1.db"
    conn = sqlite3.connect(db)
    conn.executescript(migrations()[0][1] + "\nPRAGMA user_version = 1;")
    conn.close()
    before = digest(db)
    # No room for a single new page: the next migrations can't be written.
    with pytest.raises(StartupError, match=r"is full \(database or disk is full\)"):
        await SqliteStore.open(db, max_pages=1)
    assert digest(db) == before
    assert pragma(db, "user_version") == 1
    assert side_files(db) == []


@pytest.mark.asyncio
async def test_a_folder_given_as_the_database_is_named(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match="points at the folder"):
        await SqliteStore.open(tmp_path)


def test_the_cli_refuses_a_foreign_file_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    foreign(db, "CREATE TABLE members (id INTEGER PRIMARY KEY, email TEXT)")
    before = digest(db)
    line = one_line(crossfade(db, "run", cwd=str(tmp_path)))
    assert line.startswith("crossfade: The file ")
    assert "not a Crossfade database" in line
    assert digest(db) == before
    assert side_files(db) == []


@pytest.mark.asyncio
async def test_the_cli_refuses_a_file_missing_a_table_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "dropped.db"
    await crossfade_file(db, members=1)
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE outbox")
    conn.close()
    line = one_line(crossfade(db, "run", cwd=str(tmp_path)))
    assert "is damaged: table outbox, index outbox_due, index outbox_edits are missing" in line


def test_a_database_locked_by_another_process_is_named_as_such(tmp_path: Path) -> None:
    db = tmp_path / "busy.db"
    assert crossfade(db, "run", input="/quit\n", cwd=str(tmp_path)).returncode == 0
    script = (
        "import sqlite3, sys\n"
        f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
        "c.execute('PRAGMA locking_mode=EXCLUSIVE')\n"
        "c.execute('BEGIN EXCLUSIVE')\n"
        "print('holding', flush=True)\n"
        "sys.stdin.read()\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdout is not None
        assert holder.stdin is not None
        assert holder.stdout.readline().strip() == "holding"
        line = one_line(crossfade(db, "run", cwd=str(tmp_path)))
        holder.stdin.close()
    assert "is locked by another process (database is locked)" in line
    assert "restore it from a backup" not in line
