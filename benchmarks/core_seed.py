"""The core benchmark's data set: members with a year of weekly check-ins, on either store.

The rows are made once, in chunks, by one seeded generator, and written straight into a
migrated database (fast): into an SQLite file with sqlite3, into PostgreSQL with COPY, in
the order the bot itself writes them (a week's rows at a time). What the benchmark measures
then goes through the core.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg

from bot.weekly import local_wall_to_utc

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # a Monday, the community's check-in time
ZONES = ["UTC", "Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Adelaide"]
# Each member's Monday 10:00 in their own zone; by 15:00 UTC every zone's slot has come.
SLOTS = {zone: local_wall_to_utc(NOW.date(), wall_time(10), ZoneInfo(zone)) for zone in ZONES}
DECIDE = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)

MEMBER_COLUMNS = ("id", "community_id", "ext_id", "display_name", "timezone", "created_at")
SPRINT_COLUMNS = (
    "id", "member_id", "goal", "skill", "deliverable_kind", "deliverable", "start_date",
    "weeks", "status", "created_at", "next_week", "next_prompt_at", "ended_at", "number",
)  # fmt: skip
WEEK_COLUMNS = (
    "sprint_id", "community_id", "week", "status", "opens_at", "closes_at", "community_week",
    "progress", "confidence", "submitted_at",
)  # fmt: skip
COLUMNS = {"members": MEMBER_COLUMNS, "sprints": SPRINT_COLUMNS, "checkin_weeks": WEEK_COLUMNS}
# Rows per chunk of members, so the seed's rows never all sit in memory at once.
CHUNK = 500

Rows = list[tuple[object, ...]]


def iso(moment: datetime) -> str:
    return moment.isoformat()


def chunks(members: int) -> Iterator[tuple[str, Rows]]:
    """Members and their sprints, then their check-in weeks: a table's rows at a time.

    The weeks come a week at a time, every sprint's in turn, which is the order the bot
    writes them (each week's prompts insert that week's rows), so the file's pages hold what
    a real one of this age holds: one week's rows side by side, not one member's year.
    """
    rng = random.Random(7)
    members_rows: Rows = []
    sprint_rows: Rows = []
    # Each sprint's first slot and how many weeks it has had, for the weeks after.
    schedules: list[tuple[datetime, int, int]] = []
    sprint_id = 0
    for m in range(1, members + 1):
        # Row 1 is the admin who created the community.
        zone = rng.choice(ZONES)
        members_rows.append((m + 1, 1, f"U{m:05d}", f"member{m}", zone, iso(NOW)))
        # A completed 26-week sprint last year, then an active one 25 weeks in.
        for n, (first_slot, weeks_done, status) in enumerate(
            [
                (NOW - timedelta(weeks=52), 26, "completed"),
                (NOW - timedelta(weeks=25), 25, "active"),
            ]
        ):
            sprint_id += 1
            schedules.append((first_slot, weeks_done, sprint_id))
            start = (first_slot - timedelta(days=7)).date()
            ended = iso(first_slot + timedelta(weeks=26)) if status == "completed" else None
            sprint_rows.append(
                (
                    sprint_id, m + 1, f"Goal {n} of member {m}", "spatial mixing", "workshop",
                    "A public workshop", start.isoformat(), 26, status,
                    iso(NOW - timedelta(weeks=60)), weeks_done + 1,
                    iso(SLOTS[zone]) if status == "active" else None, ended, n + 1,
                )
            )  # fmt: skip
        if m % CHUNK == 0 or m == members:
            yield "members", members_rows
            yield "sprints", sprint_rows
            members_rows, sprint_rows = [], []
    yield from _weeks(rng, schedules)


def _weeks(
    rng: random.Random, schedules: list[tuple[datetime, int, int]]
) -> Iterator[tuple[str, Rows]]:
    """Every sprint's check-in weeks, oldest week first, a few thousand rows at a time."""
    week_rows: Rows = []
    moments = sorted(
        {first + timedelta(weeks=w) for first, done, _ in schedules for w in range(done)}
    )
    by_first: dict[datetime, list[int]] = {}
    for first, _, sprint_id in schedules:
        by_first.setdefault(first, []).append(sprint_id)
    done_weeks = {first: done for first, done, _ in schedules}
    for opens in moments:
        for first, sprint_ids in by_first.items():
            w = (opens - first) // timedelta(weeks=1) + 1
            if not 1 <= w <= done_weeks[first]:
                continue
            for sprint_id in sprint_ids:
                done = rng.random() < 0.85
                week_rows.append(
                    (
                        sprint_id, 1, w, "done" if done else "open", iso(opens),
                        iso(opens + timedelta(weeks=1)), opens.date().isoformat(),
                        "Made progress" if done else "", rng.randint(1, 5) if done else None,
                        iso(opens + timedelta(hours=3)) if done else None,
                    )
                )  # fmt: skip
                if len(week_rows) >= CHUNK * 50:
                    yield "checkin_weeks", week_rows
                    week_rows = []
    if week_rows:
        yield "checkin_weeks", week_rows


def _insert(table: str, columns: tuple[str, ...]) -> str:
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"


# Past weeks already have their summaries.
SUMMARIES = (
    "INSERT INTO summaries (community_id, community_week, created_at)"
    " SELECT DISTINCT 1, community_week, '{now}' FROM checkin_weeks"
)


def seed_sqlite(path: Path, members: int) -> None:
    """Write the data set into a migrated SQLite file."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("UPDATE communities SET default_timezone = 'UTC' WHERE id = 1")
    for table, rows in chunks(members):
        conn.executemany(_insert(table, COLUMNS[table]), rows)
    conn.execute(SUMMARIES.format(now=iso(NOW)))
    conn.commit()
    conn.close()


async def seed_postgres(conn: asyncpg.Connection, members: int) -> None:
    """Write the data set into a migrated PostgreSQL database (COPY, in one transaction)."""
    async with conn.transaction():
        await conn.execute("UPDATE communities SET default_timezone = 'UTC' WHERE id = 1")
        for table, rows in chunks(members):
            await conn.copy_records_to_table(table, records=rows, columns=list(COLUMNS[table]))
        await conn.execute(SUMMARIES.format(now=iso(NOW)))
        # Ids were given: the identities move past them, as migrate-to-postgres does.
        for table in ("members", "sprints", "checkin_weeks"):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" COALESCE(MAX(id), 0) + 1, false) FROM {table}"
            )
    # Fresh statistics, as autovacuum would have gathered on a database this old.
    await conn.execute("VACUUM ANALYZE")
