"""Core benchmark: 10,000 members with a year of weekly check-ins.

Measures, through the core: /sprint status and /checkin latency (median, p99), the time to
decide and queue one week's prompts for every member and the next day's reminders (each a
whole engine tick; median and range over several runs, each on a fresh copy of the seeded
data, with each job's share), and the process's peak memory.
Run: python -m benchmarks.core_bench [--members N] [--runs N] [--store sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import Crossfade
from bot.clock import FakeClock
from bot.features import FEATURES
from bot.features.base import jobs_of
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


class SqliteBench:
    """The SQLite store: seeded once straight into a file, each run on a fresh copy of it."""

    def __init__(self, folder: Path) -> None:
        self.seeded = folder / "seeded.db"
        self.run_file = folder / "run.db"

    async def seed(self, members: int) -> int:
        """Migrate, add the admin, write the data set; returns the check-in rows."""
        store = await SqliteStore.open(self.seeded)
        await store.ensure_member(Actor("bench", "C1", "U00000", "admin"), NOW)
        await store.close()
        seed(self.seeded, members)
        with sqlite3.connect(self.seeded) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM checkin_weeks").fetchone()[0])

    def _copy(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.run_file}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.seeded, self.run_file)

    @asynccontextmanager
    async def fresh(self) -> AsyncIterator[SqliteStore]:
        """A store on a new copy of the seeded file."""
        self._copy()
        store = await SqliteStore.open(self.run_file)
        try:
            yield store
        finally:
            await store.close()


# --store: how each store is seeded and opened fresh for a run (its folder to work in).
STORES: dict[str, Callable[[Path], SqliteBench]] = {"sqlite": SqliteBench}


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


async def tick(store: SqliteStore, now: datetime) -> tuple[dict[str, int], dict[str, float]]:
    """Every feature's jobs at ``now``, as one engine tick decides them (without sending).

    Returns what each job acted on and the seconds each took.
    """
    counts: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for job in jobs_of(FEATURES):
        start = time.perf_counter()
        counts[job.name] = await job.run(store, now)
        seconds[job.name] = time.perf_counter() - start
    return counts, seconds


@dataclass
class Figures:
    """What the runs measured."""

    status_ms: list[float] = field(default_factory=list)
    checkin_ms: list[float] = field(default_factory=list)
    prompts: list[dict[str, float]] = field(default_factory=list)
    reminders: list[dict[str, float]] = field(default_factory=list)
    prompted: int = 0
    reminded: int = 0


def actor(m: int) -> Actor:
    return Actor("bench", "C1", f"U{m:05d}", f"member{m}")


async def one_run(
    fresh: AbstractAsyncContextManager[SqliteStore], members: int, picks: list[int], out: Figures
) -> None:
    """One week on a fresh copy: status calls, the prompts' tick, check-ins, the reminders'."""
    async with fresh as store:
        clock = FakeClock(min(SLOTS.values()) - timedelta(minutes=1))
        core = Crossfade(store, clock)
        for m in picks:
            response = await timed(out.status_ms, core.run_line(actor(m), "/sprint status"))
            assert "Week" in shown(response), shown(response)

        clock.set(DECIDE)
        counts, seconds = await tick(store, clock.now())
        assert counts["checkins.prompts"] == members, counts
        out.prompts.append(seconds)
        out.prompted = counts["checkins.prompts"]

        for m in picks:
            line = '/checkin progress:"Routed the immersive bus" confidence:4'
            response = await timed(out.checkin_ms, core.run_line(actor(m), line))
            assert "Check" in shown(response), shown(response)

        # A day later everyone who hasn't answered gets their one reminder.
        clock.set(DECIDE + timedelta(hours=24))
        counts, seconds = await tick(store, clock.now())
        assert counts["checkins.reminders"] == members - len(set(picks)), counts
        out.reminders.append(seconds)
        out.reminded = counts["checkins.reminders"]


def spread(ticks: list[dict[str, float]]) -> str:
    """A tick's median and range over the runs, and each job's median share (when it shows)."""
    totals = [sum(t.values()) for t in ticks]
    jobs = {name: statistics.median(t[name] for t in ticks) for name in ticks[0] if ticks[0][name]}
    shares = ", ".join(f"{name} {s:.3f}" for name, s in jobs.items() if s >= 0.001)
    return (
        f"median {statistics.median(totals):.2f} s, range {min(totals):.2f}–{max(totals):.2f} s"
        f" over {len(totals)} runs\n    by job (median s): {shares}"
    )


async def main(members: int, samples: int, runs: int, store_kind: str) -> None:
    figures = Figures()
    with tempfile.TemporaryDirectory() as folder:
        bench = STORES[store_kind](Path(folder))
        t0 = time.perf_counter()
        rows = await bench.seed(members)
        seeded = time.perf_counter() - t0
        print(f"members: {members}, check-in rows: {rows}, seeded in {seeded:.1f} s")
        rng = random.Random(1)
        picks = [rng.randint(1, members) for _ in range(samples)]
        for _ in range(runs):
            await one_run(bench.fresh(), members, picks, figures)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    status_ms, checkin_ms = figures.status_ms, figures.checkin_ms
    print(
        f"/sprint status: median {statistics.median(status_ms):.2f} ms, "
        f"p99 {percentile(status_ms, 0.99):.2f} ms over {len(status_ms)} calls"
    )
    print(
        f"/checkin:       median {statistics.median(checkin_ms):.2f} ms, "
        f"p99 {percentile(checkin_ms, 0.99):.2f} ms over {len(checkin_ms)} calls"
    )
    print(
        f"decide and queue one week's prompts for {members} members "
        f"({figures.prompted} prompts queued): {spread(figures.prompts)}"
    )
    print(
        f"decide and queue the next day's reminders ({figures.reminded} reminders queued): "
        f"{spread(figures.reminders)}"
    )
    print(f"peak memory (max RSS): {peak_mb:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=1_000, help="command calls per run")
    parser.add_argument("--runs", type=int, default=5, help="fresh copies each week is run on")
    parser.add_argument("--store", choices=sorted(STORES), default="sqlite")
    args = parser.parse_args()
    asyncio.run(main(args.members, args.samples, args.runs, args.store))
