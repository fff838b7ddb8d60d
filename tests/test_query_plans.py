"""The statements on every command's and every batch's path find their rows through an
index on both stores, however large the tables grow (plans, not timings: benchmarks/ times)."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import asyncpg
import pytest

from bot.storage.postgres.driver import translate
from bot.storage.sql.batches import listing, values
from bot.storage.sql.checkin_jobs import (
    ADVANCE,
    ADVANCE_VALUES,
    INSERT_WEEKS,
    QUEUE_PROMPTS,
    QUEUE_REMINDERS,
    REMIND,
    REMIND_VALUES,
)
from tests.stores import Database, is_postgres, open_store

# Queueing an edit drops the older edits of the same message still waiting (/checkin).
DROP_EDITS = "DELETE FROM outbox WHERE edit_of = ? AND status = 'pending' AND id < ?"


async def plan(database: Database, sql: str, params: tuple[object, ...]) -> str:
    """The plan of ``sql``, with sequential scans ruled out where the planner may avoid them."""
    await (await open_store(database)).close()  # migrated
    if is_postgres(database):
        assert isinstance(database, str)
        conn = await asyncpg.connect(database)
        try:
            # On a near-empty table any plan is cheap: ask whether an index can serve it.
            await conn.execute("SET enable_seqscan = off")
            rows = await conn.fetch(translate(f"EXPLAIN {sql}"), *params)
            return "\n".join(str(r[0]) for r in rows)
        finally:
            await conn.close()
    with closing(sqlite3.connect(database)) as conn:
        return "\n".join(str(r[3]) for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))


@pytest.mark.asyncio
async def test_dropping_older_edits_reads_the_edits_index(database: Database) -> None:
    shown = await plan(database, DROP_EDITS, (7, 9))
    assert "outbox_edits" in shown, shown
    assert "Seq Scan" not in shown
    assert "SCAN outbox" not in shown


# A group's slot decision (SLOT_VALUES), and a reminder group's (REMIND_VALUES).
SLOT = ("2026-12-07T10:00:00+00:00", 1, None, 12, "b", "c", None, 0, 1)
AT = "2026-12-08T10:00:00+00:00"


@pytest.mark.asyncio
@pytest.mark.parametrize("statement", [ADVANCE, QUEUE_PROMPTS, INSERT_WEEKS])
async def test_a_batch_of_week_openings_finds_each_groups_sprints_by_slot(
    database: Database, statement: str
) -> None:
    name, types = ADVANCE_VALUES
    if statement is ADVANCE:
        sql = listing(statement, name, types, 2)
    else:
        sql = f"{values(name, types, 2)} {statement}"
    after = (AT, AT) if statement is QUEUE_PROMPTS else ()
    shown = await plan(database, sql, (*SLOT, *SLOT, *after))
    assert "Seq Scan on sprints" not in shown, shown
    assert "SCAN sprints" not in shown, shown


@pytest.mark.asyncio
@pytest.mark.parametrize("statement", [REMIND, QUEUE_REMINDERS])
async def test_a_batch_of_reminders_finds_each_groups_weeks_by_close(
    database: Database, statement: str
) -> None:
    name, types = REMIND_VALUES
    if statement is REMIND:
        sql = listing(statement, name, types, 2)
    else:
        sql = f"{values(name, types, 2)} {statement}"
    groups = ("a", 1, "b", 2)
    params = (AT, *groups, AT, AT) if statement is REMIND else (*groups, *(AT,) * 4)
    shown = await plan(database, sql, params)
    assert "Seq Scan on checkin_weeks" not in shown, shown
    assert "SCAN checkin_weeks" not in shown, shown
    assert "SCAN w" not in shown, shown
