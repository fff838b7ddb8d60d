"""`crossfade forget-community`: every row of one community deleted, the others' untouched.

The proof doesn't trust the code's own idea of what a community's rows are: two communities
live the same week in one database, the same script as one of them alone in another; after
forgetting the first, every table holds exactly as many rows as the database that only ever
had the second. A table holding community rows that forgetting misses fails it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot import communities
from bot.clock import FakeClock
from bot.errors import StartupError
from bot.storage.sql.communities import unclassified
from tests.community_places import Place, a_week_later, leave_a_draft, use_everything
from tests.conftest import START
from tests.harness import PLATFORM, Harness
from tests.startup_env import TIMEOUT, env_for
from tests.stores import Database, is_postgres, query, snapshot, tables

pytestmark = pytest.mark.asyncio


async def lived(database: Database, *exts: str) -> None:
    """The communities ``exts`` each use everything for a week, side by side."""
    async with await Harness.open(database, FakeClock(START)) as h:
        places = [Place(h, ext) for ext in exts]
        for place in places:
            await use_everything(place)
        await a_week_later(h)
        for place in places:
            await leave_a_draft(place)


async def counts(database: Database) -> dict[str, int]:
    return {t: len(rows) for t, rows in (await snapshot(database)).items()}


@pytest.fixture
def other_database(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Database:
    """A second database of the same kind."""
    if store_kind == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return tmp_path / "only-b.db"


async def test_forgetting_one_community_leaves_exactly_the_other(
    database: Database, other_database: Database
) -> None:
    await lived(database, "A", "B")
    await lived(other_database, "B")
    both, only_b = await counts(database), await counts(other_database)
    # Every feature's tables have rows here, so a table forgetting misses would show.
    empty = sorted(t for t, n in both.items() if n == 0)
    assert empty == ["oauth_states", "seen_once", "send_pace"], empty
    b_rows = {t: rows for t, rows in (await snapshot(database)).items()}

    store = await Harness.open(database, FakeClock(START))
    try:
        forgetting = await communities.plan_forget(store.store, f"{PLATFORM}:A")
        planned = dict(forgetting.counts)
        assert planned["communities"] == 1
        assert planned["installations"] == 1
        assert planned["members"] == 4  # boss, ana, bob, carol
        deleted = dict(await communities.forget(store.store, forgetting))
    finally:
        await store.close()
    assert deleted == planned
    after = await counts(database)
    assert after == only_b, {t: (after[t], only_b[t]) for t in after if after[t] != only_b[t]}
    # B's rows are the very rows it had (ids and all), not just as many.
    kept = await snapshot(database)
    for table, rows in kept.items():
        assert set(rows) <= set(b_rows[table]), table
    assert [r[0] for r in await query(database, "SELECT ext_id FROM communities")] == ["B"]


async def test_every_table_is_reached_by_a_foreign_key_or_declared(database: Database) -> None:
    async with await Harness.open(database, FakeClock(START)) as h:
        schema = await h.store.schema()
    assert unclassified(schema) == []
    names = set(await tables(database))
    assert names <= set(schema.tables)


async def test_an_unknown_community_is_refused_naming_the_known_ones(database: Database) -> None:
    async with await Harness.open(database, FakeClock(START)) as h:
        await Place(h, "A").run("ana", "/sprint status")
        before = await snapshot(database)
        with pytest.raises(StartupError) as refused:
            await communities.plan_forget(h.store, "test:NOPE")
        assert str(refused.value).count("\n") == 0
        assert "No community 'test:NOPE' here" in str(refused.value)
        assert f"known: {PLATFORM}:A" in str(refused.value)
        with pytest.raises(StartupError):
            await communities.plan_forget(h.store, "A")  # no platform
    assert await snapshot(database) == before


def cli(
    database: Database, tmp_path: Path, *args: str, answer: str = ""
) -> subprocess.CompletedProcess[str]:
    """`crossfade <args>` on the test's database, typing ``answer`` at any question."""
    env = env_for(database if isinstance(database, Path) else tmp_path / "unused.db")
    if is_postgres(database):
        env["CROSSFADE_DATABASE_URL"] = str(database)
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        input=answer,
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tmp_path),
        timeout=TIMEOUT,
        check=False,
    )


async def test_the_command_names_what_it_deletes_and_asks_first(
    database: Database, tmp_path: Path
) -> None:
    async with await Harness.open(database, FakeClock(START)) as h:
        for ext in ("A", "B"):
            await Place(h, ext).run("ana", "/sprint status")
    listed = cli(database, tmp_path, "communities")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [f"{PLATFORM}:A Community A", f"{PLATFORM}:B Community B"]

    before = await snapshot(database)
    kept = cli(database, tmp_path, "forget-community", f"{PLATFORM}:A", answer="yes\n")
    assert kept.returncode == 1, kept.stderr
    assert "  members: 1 row" in kept.stdout
    assert "  communities: 1 row" in kept.stdout
    assert "Nothing was deleted." in kept.stdout
    assert await snapshot(database) == before

    unknown = cli(database, tmp_path, "forget-community", f"{PLATFORM}:Z", "--yes")
    assert unknown.returncode == 2
    (line,) = unknown.stderr.strip().splitlines()
    assert f"known: {PLATFORM}:A, {PLATFORM}:B" in line
    assert await snapshot(database) == before

    typed = cli(database, tmp_path, "forget-community", f"{PLATFORM}:A", answer=f"{PLATFORM}:A\n")
    assert typed.returncode == 0, typed.stderr
    assert f"Deleted 2 rows of {PLATFORM}:A; other communities untouched." in typed.stdout
    assert [r[0] for r in await query(database, "SELECT ext_id FROM communities")] == ["B"]

    forced = cli(database, tmp_path, "forget-community", f"{PLATFORM}:B", "--yes")
    assert forced.returncode == 0, forced.stderr
    assert await query(database, "SELECT * FROM members") == []


async def test_a_paused_community_is_listed_and_resumed_by_hand(
    database: Database, tmp_path: Path
) -> None:
    async with await Harness.open(database, FakeClock(START)) as h:
        await Place(h, "A").run("ana", "/sprint status")
        await communities.pause(h.store, h.clock, PLATFORM, "A", communities.TOKENS_REVOKED)
    listed = cli(database, tmp_path, "communities")
    assert listed.stdout.splitlines() == [
        f"{PLATFORM}:A Community A (paused since 2026-11-30 08:00 UTC: bot token revoked)"
    ]
    resumed = cli(database, tmp_path, "resume-community", f"{PLATFORM}:A")
    assert resumed.returncode == 0, resumed.stderr
    assert (
        resumed.stdout.strip()
        == f"{PLATFORM}:A resumed; 0 held message(s) too old to send were dropped."
    )
    again = cli(database, tmp_path, "resume-community", f"{PLATFORM}:A")
    assert again.stdout.strip() == f"{PLATFORM}:A isn't paused: nothing to resume."
    unknown = cli(database, tmp_path, "resume-community", "nope")
    assert unknown.returncode == 2
    assert len(unknown.stderr.strip().splitlines()) == 1
