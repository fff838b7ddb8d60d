"""Start-up on files the bot's user may not write, and on read-only or full filesystems.

Each ends `crossfade run` with exit 2 and one line naming the cause, leaves the database as
it was, and never hangs (a hang trips the subprocess timeout). Permission cases run as an
unprivileged user, since root ignores file permissions.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage.sqlite import SqliteStore
from tests.startup_env import (
    crossfade,
    digest,
    namespace_prefix,
    one_line,
    open_up,
    restore,
    side_files,
    unprivileged_prefix,
)


@pytest.fixture
def folder() -> Iterator[Path]:
    """A folder outside pytest's private tmp tree, so the unprivileged user can reach it."""
    made = Path(tempfile.mkdtemp(prefix="crossfade-startup-"))
    open_up(made)
    try:
        yield made
    finally:
        restore(made)
        shutil.rmtree(made)


def make_database(db: Path) -> str:
    """A Crossfade database file at ``db``; returns its digest."""

    async def create() -> None:
        store = await SqliteStore.open(db)
        await store.close()

    asyncio.run(create())
    return digest(db)


def test_a_read_only_file_is_named_not_a_traceback_and_a_hang(folder: Path) -> None:
    as_user = unprivileged_prefix()
    db = folder / "crossfade.db"
    before = make_database(db)
    db.chmod(0o444)
    line = one_line(crossfade(db, "run", prefix=as_user, cwd=str(folder)))
    assert "may read but not write the database" in line
    assert "mode 0444" in line
    assert digest(db) == before
    assert side_files(db) == []


def test_a_read_only_folder_is_named(folder: Path) -> None:
    as_user = unprivileged_prefix()
    db = folder / "crossfade.db"
    before = make_database(db)
    db.chmod(0o666)
    folder.chmod(0o555)
    line = one_line(crossfade(db, "run", prefix=as_user, cwd=str(folder)))
    assert f"may not create files in the folder {folder}" in line
    assert "crossfade.db-wal" in line
    assert digest(db) == before


def test_a_file_the_user_may_not_read_is_permission_denied_not_damage(folder: Path) -> None:
    as_user = unprivileged_prefix()
    db = folder / "crossfade.db"
    before = make_database(db)
    db.chmod(0o000)
    line = one_line(crossfade(db, "run", prefix=as_user, cwd=str(folder)))
    assert "Permission denied:" in line
    assert "may not read the database" in line
    assert "restore it from a backup" not in line
    db.chmod(0o600)
    assert digest(db) == before


def test_a_folder_the_user_may_not_enter_is_named(folder: Path) -> None:
    as_user = unprivileged_prefix()
    private = folder / "private"
    private.mkdir()
    db = private / "crossfade.db"
    before = make_database(db)
    private.chmod(0o700)
    line = one_line(crossfade(db, "run", prefix=as_user, cwd=str(folder)))
    assert f"may not enter the folder {private}" in line
    assert digest(db) == before


def test_health_reads_a_database_it_may_not_write(folder: Path) -> None:
    as_user = unprivileged_prefix()
    db = folder / "crossfade.db"
    make_database(db)
    db.chmod(0o444)
    done = crossfade(db, "health", prefix=as_user, cwd=str(folder))
    assert (done.returncode, done.stdout.strip()) == (0, "healthy")


def test_a_read_only_filesystem_is_named(folder: Path) -> None:
    db = folder / "crossfade.db"
    before = make_database(db)
    remount = "mount --bind {dir} {dir} && mount -o remount,bind,ro {dir}"
    read_only = namespace_prefix(folder, remount)
    done = crossfade(db, "run", prefix=read_only, cwd=str(folder))
    line = done.stderr.strip()
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"The database {db} is on a read-only filesystem" in line
    assert "\n" not in line
    assert digest(db) == before


def test_a_full_disk_at_first_start_is_named_and_leaves_no_file(folder: Path) -> None:
    db = folder / "crossfade.db"
    # A real filesystem with room for only a few pages: the schema doesn't fit.
    tiny = namespace_prefix(folder, "mount -t tmpfs -o size=32k,mode=0777 tmpfs {dir}")
    done = crossfade(db, "run", prefix=tiny, cwd="/")
    line = done.stderr.strip()
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"The disk holding the database {db} is full" in line
    assert "\n" not in line
    # The folder's listing inside the mount, printed after the run: only the run's lock.
    assert done.stdout.split() == ["crossfade.db.lock"]
