"""`crossfade migrate-to-postgres`: an SQLite database copied row for row into PostgreSQL.

The file is made by the core as the console makes it (sprints, check-ins, clinics, gigs and
their outbox rows); the copy must hold the same rows, and the bot must carry on from it.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.storage.serve_lock import lock_path
from bot.wording import plural
from tests.clinic_helpers import host_clinic
from tests.conftest import START
from tests.gig_helpers import POST, channels, posted
from tests.harness import Harness, reply_text
from tests.startup_env import TIMEOUT, env_for, one_line
from tests.stores import open_store, query, snapshot
from tests.test_serve_lock import serving

pytestmark = pytest.mark.asyncio

SPRINT = (
    '/sprint start goal:"Metadata authoring" skill:metadata deliverable:video-series '
    'deliverable-note:"Three short videos"'
)


def migrate(db: Path, url: str | None) -> subprocess.CompletedProcess[str]:
    """`crossfade migrate-to-postgres` from the file ``db`` into the database at ``url``."""
    env = env_for(db)
    env.pop("CROSSFADE_DATABASE_URL", None)
    if url is not None:
        env["CROSSFADE_DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", "migrate-to-postgres"],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(db.parent),
        timeout=TIMEOUT,
        check=False,
    )


async def a_used_file(db: Path) -> str:
    """A database with a sprint and its check-in, a clinic, a gig lead and their messages."""
    clock = FakeClock(START)
    async with await Harness.open(db, clock) as h:
        await channels(h)
        await h.run("ana", SPRINT)
        await h.advance(timedelta(days=7, hours=3))
        await h.run("ana", "/checkin progress:x confidence:4 hours:2.5")
        await host_clinic(h)
        await posted(h)
        return reply_text(await h.run("ana", "/sprint status"))


async def test_every_row_is_copied_counted_and_the_bot_carries_on(
    tmp_path: Path, postgres_url: str
) -> None:
    db = tmp_path / "crossfade.db"
    status = await a_used_file(db)
    done = migrate(db, postgres_url)
    assert done.returncode == 0, done.stderr[-2000:]
    lite = await snapshot(db)
    for table in (
        "sprints",
        "checkin_weeks",
        "clinic_series",
        "gigs",
        "outbox",
        "outbox_templates",
    ):
        assert lite[table], f"the file has no {table} rows to copy"
        assert f"  {table}: {plural(len(lite[table]), 'row')}" in done.stdout
    assert "  communities: 1 row\n" in done.stdout
    assert "Every table's count matches" in done.stdout
    assert await snapshot(postgres_url) == lite
    # A prompt queued as a template and its words reads back whole from the copy too.
    [(templated,)] = await query(
        db, "SELECT id FROM outbox WHERE template_id IS NOT NULL AND dedupe_key LIKE 'prompt:%'"
    )
    lite_store, pg_store = await open_store(db), await open_store(postgres_url)
    try:
        lite_row, pg_row = (
            await lite_store.get_outbox(templated),
            await pg_store.get_outbox(templated),
        )
        assert lite_row is not None
        assert pg_row is not None
        assert pg_row.payload == lite_row.payload
        assert pg_row.payload.startswith('{"title": "Weekly check-in')
    finally:
        await lite_store.close()
        await pg_store.close()

    clock = FakeClock(START + timedelta(days=7, hours=3))
    async with await Harness.open(postgres_url, clock) as h:
        assert reply_text(await h.run("ana", "/sprint status")) == status
        # New rows get ids past the copied ones (the identities moved on).
        await posted(h, POST, who="bo")
    numbers = await query(postgres_url, "SELECT id, number FROM gigs ORDER BY id")
    assert numbers == [(1, 1), (2, 2)]


async def test_a_target_that_is_not_empty_is_refused_in_one_line(
    tmp_path: Path, postgres_url: str
) -> None:
    db = tmp_path / "crossfade.db"
    await a_used_file(db)
    assert migrate(db, postgres_url).returncode == 0
    before = await snapshot(postgres_url)
    line = one_line(migrate(db, postgres_url))
    assert "is not empty" in line
    assert await snapshot(postgres_url) == before


async def test_without_a_url_it_says_what_to_set(tmp_path: Path) -> None:
    db = tmp_path / "crossfade.db"
    await a_used_file(db)
    assert "Set CROSSFADE_DATABASE_URL" in one_line(migrate(db, None))


async def test_a_missing_file_is_named_and_leaves_nothing_behind(
    tmp_path: Path, postgres_url: str
) -> None:
    db = tmp_path / "nope.db"
    line = one_line(migrate(db, postgres_url))
    assert f"There is no SQLite database at {db} to copy" in line
    left = await asyncio.to_thread(lambda: sorted(tmp_path.iterdir()))
    assert left == [], f"{lock_path(db).name} and the like stay unmade"


async def test_a_file_a_bot_is_serving_is_not_copied(tmp_path: Path, postgres_url: str) -> None:
    db = tmp_path / "crossfade.db"
    await a_used_file(db)
    with serving(db) as bot:
        line = one_line(await asyncio.to_thread(migrate, db, postgres_url))
        assert f"pid {bot.pid}" in line
        assert f"is already serving the database {db}" in line
    assert (
        await query(
            postgres_url,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        )
        == []
    )
