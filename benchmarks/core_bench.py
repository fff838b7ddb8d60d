"""Core benchmark: 10,000 members with a year of weekly check-ins.

Measures, through the core: /sprint status and /checkin latency (median, p99), the time to
decide and queue one week's prompts for every member, and the process's peak memory.
Run: python -m benchmarks.core_bench [--members N]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from zoneinfo import ZoneInfo

from benchmarks.common import run_jobs
from bot.app import Crossfade
from bot.clock import FakeClock
from bot.messages import Response, plain
from bot.models import Actor
from bot.storage.sqlite import SqliteStore
from bot.weekly import local_wall_to_utc

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # a Monday, the community's check-in time
ZONES = ["UTC", "Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Adelaide"]
# Each member's Monday 10:00 in their own zone; by 15:00 UTC every zone's slot has come.
SLOTS = {zone: local_wall_to_utc(NOW.date(), wall_time(10), ZoneInfo(zone)) for zone in ZONES}
DECIDE = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def seed(path: Path, members: int) -> None:
    """Write the data set straight into a migrated file (fast); what's measured uses the core."""
    rng = random.Random(7)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("UPDATE communities SET default_timezone = 'UTC' WHERE id = 1")
    members_rows: list[tuple[object, ...]] = []
    sprint_rows: list[tuple[object, ...]] = []
    week_rows: list[tuple[object, ...]] = []
    sprint_id = 0
    for m in range(1, members + 1):
        if m % 500 == 0:
            # Write in chunks so the seed's rows don't inflate the peak memory we report.
            _flush(conn, members_rows, sprint_rows, week_rows)
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
            start = (first_slot - timedelta(days=7)).date()
            next_week = weeks_done + 1
            next_at = iso(SLOTS[zone]) if status == "active" else None
            sprint_rows.append(
                (
                    sprint_id,
                    m + 1,
                    f"Goal {n} of member {m}",
                    "spatial mixing",
                    "workshop",
                    "A public workshop",
                    start.isoformat(),
                    26,
                    status,
                    iso(NOW - timedelta(weeks=60)),
                    next_week,
                    next_at,
                    iso(first_slot + timedelta(weeks=26)) if status == "completed" else None,
                    n + 1,
                )
            )
            for w in range(1, weeks_done + 1):
                opens = first_slot + timedelta(weeks=w - 1)
                done = rng.random() < 0.85
                week_rows.append(
                    (
                        sprint_id,
                        1,
                        w,
                        "done" if done else "open",
                        iso(opens),
                        iso(opens + timedelta(weeks=1)),
                        opens.date().isoformat(),
                        "Made progress" if done else "",
                        rng.randint(1, 5) if done else None,
                        iso(opens + timedelta(hours=3)) if done else None,
                    )
                )
    _flush(conn, members_rows, sprint_rows, week_rows)
    # Past weeks already have their summaries.
    conn.execute(
        "INSERT INTO summaries (community_id, community_week, created_at)"
        " SELECT DISTINCT 1, community_week, ? FROM checkin_weeks",
        (iso(NOW),),
    )
    conn.commit()
    conn.close()


def _flush(
    conn: sqlite3.Connection,
    members_rows: list[tuple[object, ...]],
    sprint_rows: list[tuple[object, ...]],
    week_rows: list[tuple[object, ...]],
) -> None:
    conn.executemany(
        "INSERT INTO members (id, community_id, ext_id, display_name, timezone, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        members_rows,
    )
    conn.executemany(
        "INSERT INTO sprints (id, member_id, goal, skill, deliverable_kind, deliverable,"
        " start_date, weeks, status, created_at, next_week, next_prompt_at, ended_at, number)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        sprint_rows,
    )
    conn.executemany(
        "INSERT INTO checkin_weeks (sprint_id, community_id, week, status, opens_at,"
        " closes_at, community_week, progress, confidence, submitted_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        week_rows,
    )
    for rows in (members_rows, sprint_rows, week_rows):
        rows.clear()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def timed(samples: list[float], call: Awaitable[Response]) -> Response:
    start = time.perf_counter()
    result = await call
    samples.append((time.perf_counter() - start) * 1000)
    return result


def shown(response: Response) -> str:
    assert response.message is not None, response
    message = response.message
    return " ".join([message.title, plain(message.body), *(f.name for f in message.fields)])


async def main(members: int, samples: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        store = await SqliteStore.open(path)  # migrate
        clock = FakeClock(min(SLOTS.values()) - timedelta(minutes=1))
        core = Crossfade(store, clock)
        await store.ensure_member(Actor("bench", "C1", "U00000", "admin"), clock.now())
        await store.close()
        t0 = time.perf_counter()
        seed(path, members)
        seeded = time.perf_counter() - t0
        store = await SqliteStore.open(path)
        try:
            core = Crossfade(store, clock)
            rows = sqlite3.connect(path).execute("SELECT COUNT(*) FROM checkin_weeks").fetchone()[0]
            print(f"members: {members}, check-in rows: {rows}, seeded in {seeded:.1f} s")

            rng = random.Random(1)
            picks = [rng.randint(1, members) for _ in range(samples)]

            def actor(m: int) -> Actor:
                return Actor("bench", "C1", f"U{m:05d}", f"member{m}")

            status_ms: list[float] = []
            for m in picks:
                response = await timed(status_ms, core.run_line(actor(m), "/sprint status"))
                assert "Week" in shown(response), shown(response)

            clock.set(DECIDE)
            start = time.perf_counter()
            report = await run_jobs(store, clock.now())
            decide_s = time.perf_counter() - start
            assert report["checkins.prompts"] == members, report

            checkin_ms: list[float] = []
            for m in picks:
                response = await timed(
                    checkin_ms,
                    core.run_line(
                        actor(m), '/checkin progress:"Routed the immersive bus" confidence:4'
                    ),
                )
                assert "Check" in shown(response), shown(response)

            # A day later everyone who hasn't answered gets their one reminder.
            clock.set(DECIDE + timedelta(hours=24))
            start = time.perf_counter()
            later = await run_jobs(store, clock.now())
            remind_s = time.perf_counter() - start
            assert later["checkins.reminders"] == members - len(set(picks)), later
        finally:
            await store.close()

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"/sprint status: median {statistics.median(status_ms):.2f} ms, "
        f"p99 {percentile(status_ms, 0.99):.2f} ms over {len(status_ms)} calls"
    )
    print(
        f"/checkin:       median {statistics.median(checkin_ms):.2f} ms, "
        f"p99 {percentile(checkin_ms, 0.99):.2f} ms over {len(checkin_ms)} calls"
    )
    print(
        f"decide and queue one week's prompts for {members} members: {decide_s:.2f} s "
        f"({report['checkins.prompts']} prompts queued)"
    )
    print(
        f"decide and queue the next day's reminders: {remind_s:.2f} s "
        f"({later['checkins.reminders']} reminders queued)"
    )
    print(f"peak memory (max RSS): {peak_mb:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=1_000)
    args = parser.parse_args()
    asyncio.run(main(args.members, args.samples))
