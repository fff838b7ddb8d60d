"""Core benchmark: members with a year of weekly check-ins, on SQLite or PostgreSQL.

Measures, through the core: /sprint status and /checkin latency (median, p99), the time to
decide and queue one week's prompts for every member and the next day's reminders (each a
whole engine tick; median and range over several runs, each on a fresh copy of the seeded
data, with each job's share), and the process's peak memory. The data set and the stores
are benchmarks/core_seed.py and benchmarks/core_stores.py.
Run: python -m benchmarks.core_bench [--members N] [--runs N] [--store sqlite|postgres]
     python -m benchmarks.core_bench --all    (SQLite and PostgreSQL at 10k, PostgreSQL at
     100k, each in a process of its own, then how each figure grows from 10k to 100k)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.core_seed import DECIDE, SLOTS
from benchmarks.core_stores import STORES, Store
from bot.app import Crossfade
from bot.clock import FakeClock
from bot.features import FEATURES
from bot.features.base import jobs_of
from bot.messages import Response, plain
from bot.models import Actor


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


async def tick(store: Store, now: datetime) -> tuple[dict[str, int], dict[str, float], float]:
    """Every feature's jobs at ``now``, as one engine tick decides them (without sending).

    Returns what each job acted on, the seconds each took, and the CPU seconds the whole
    tick took in this process (every thread: SQLite's work runs on aiosqlite's), which a
    busy machine's neighbours stretch far less than the wall time.
    """
    counts: dict[str, int] = {}
    seconds: dict[str, float] = {}
    cpu = time.process_time()
    for job in jobs_of(FEATURES):
        start = time.perf_counter()
        counts[job.name] = await job.run(store, now)
        seconds[job.name] = time.perf_counter() - start
    return counts, seconds, time.process_time() - cpu


@dataclass
class Figures:
    """What the runs measured."""

    status_ms: list[float] = field(default_factory=list)
    checkin_ms: list[float] = field(default_factory=list)
    prompts: list[dict[str, float]] = field(default_factory=list)
    reminders: list[dict[str, float]] = field(default_factory=list)
    prompts_cpu: list[float] = field(default_factory=list)
    reminders_cpu: list[float] = field(default_factory=list)
    prompted: int = 0
    reminded: int = 0


def actor(m: int) -> Actor:
    return Actor("bench", "C1", f"U{m:05d}", f"member{m}")


async def one_run(
    fresh: AbstractAsyncContextManager[Store], members: int, picks: list[int], out: Figures
) -> None:
    """One week on a fresh copy: status calls, the prompts' tick, check-ins, the reminders'."""
    async with fresh as store:
        clock = FakeClock(min(SLOTS.values()) - timedelta(minutes=1))
        core = Crossfade(store, clock)
        for m in picks:
            response = await timed(out.status_ms, core.run_line(actor(m), "/sprint status"))
            assert "Week" in shown(response), shown(response)

        clock.set(DECIDE)
        counts, seconds, cpu = await tick(store, clock.now())
        assert counts["checkins.prompts"] == members, counts
        out.prompts.append(seconds)
        out.prompts_cpu.append(cpu)
        out.prompted = counts["checkins.prompts"]

        for m in picks:
            line = '/checkin progress:"Routed the immersive bus" confidence:4'
            response = await timed(out.checkin_ms, core.run_line(actor(m), line))
            assert "Check" in shown(response), shown(response)

        # A day later everyone who hasn't answered gets their one reminder.
        clock.set(DECIDE + timedelta(hours=24))
        counts, seconds, cpu = await tick(store, clock.now())
        assert counts["checkins.reminders"] == members - len(set(picks)), counts
        out.reminders.append(seconds)
        out.reminders_cpu.append(cpu)
        out.reminded = counts["checkins.reminders"]


def spread(ticks: list[dict[str, float]], cpu: list[float]) -> str:
    """A tick's median and range over the runs, its CPU time, and each job's median share."""
    totals = [sum(t.values()) for t in ticks]
    jobs = {name: statistics.median(t[name] for t in ticks) for name in ticks[0] if ticks[0][name]}
    shares = ", ".join(f"{name} {s:.3f}" for name, s in jobs.items() if s >= 0.001)
    return (
        f"median {statistics.median(totals):.2f} s, range {min(totals):.2f}–{max(totals):.2f} s"
        f" over {len(totals)} runs; CPU (this process, all threads) median"
        f" {statistics.median(cpu):.2f} s\n    by job (median s): {shares}"
    )


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes), as uptime shows them."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


async def main(members: int, samples: int, runs: int, store_kind: str) -> dict[str, Any]:
    """Seed, run, print the figures; returns them."""
    figures = Figures()
    load_before = load()
    with tempfile.TemporaryDirectory() as folder:
        bench = STORES[store_kind](Path(folder))
        try:
            t0 = time.perf_counter()
            rows = await bench.seed(members)
            seeded = time.perf_counter() - t0
            print(f"{bench.description}")
            print(f"members: {members}, check-in rows: {rows}, seeded in {seeded:.1f} s")
            print(f"load average before the runs: {load_before}", flush=True)
            rng = random.Random(1)
            picks = [rng.randint(1, members) for _ in range(samples)]
            for _ in range(runs):
                await one_run(bench.fresh(), members, picks, figures)
        finally:
            await bench.close()

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
        f"({figures.prompted} prompts queued): {spread(figures.prompts, figures.prompts_cpu)}"
    )
    print(
        f"decide and queue the next day's reminders ({figures.reminded} reminders queued): "
        f"{spread(figures.reminders, figures.reminders_cpu)}"
    )
    print(f"peak memory (max RSS): {peak_mb:.0f} MiB")
    print(f"load average after the runs: {load()}")
    return {
        "store": store_kind,
        "members": members,
        "prompts_s": statistics.median(sum(t.values()) for t in figures.prompts),
        "reminders_s": statistics.median(sum(t.values()) for t in figures.reminders),
        "prompts_cpu_s": statistics.median(figures.prompts_cpu),
        "reminders_cpu_s": statistics.median(figures.reminders_cpu),
        "status_p50_ms": statistics.median(status_ms),
        "status_p99_ms": percentile(status_ms, 0.99),
        "checkin_p50_ms": statistics.median(checkin_ms),
        "checkin_p99_ms": percentile(checkin_ms, 0.99),
        "peak_mib": peak_mb,
        "load": f"{load_before} before, {load()} after",
    }


# --all: what runs, each in a process of its own (so each peak memory is its own).
MATRIX = (("sqlite", 10_000), ("postgres", 10_000), ("postgres", 100_000))
SHOWN = (
    ("prompts_s", "prompts tick, s (median)"),
    ("reminders_s", "reminders tick, s (median)"),
    ("prompts_cpu_s", "prompts tick, CPU s"),
    ("reminders_cpu_s", "reminders tick, CPU s"),
    ("status_p50_ms", "/sprint status p50, ms"),
    ("status_p99_ms", "/sprint status p99, ms"),
    ("checkin_p50_ms", "/checkin p50, ms"),
    ("checkin_p99_ms", "/checkin p99, ms"),
    ("peak_mib", "peak memory, MiB"),
)
JSON_MARK = "figures: "


def run_all(samples: int, runs: int) -> None:
    """Each configuration of MATRIX in its own process, then the figures side by side."""
    found: list[dict[str, Any]] = []
    for store, members in MATRIX:
        print(f"\n== {store} at {members} members", flush=True)
        command = [sys.executable, "-m", "benchmarks.core_bench", "--store", store]
        command += ["--members", str(members), "--runs", str(runs), "--samples", str(samples)]
        done = subprocess.run([*command, "--json"], capture_output=True, text=True, check=True)
        for line in done.stdout.splitlines():
            if line.startswith(JSON_MARK):
                found.append(json.loads(line[len(JSON_MARK) :]))
            else:
                print(line)
    names = [f"{f['store']}@{f['members'] // 1000}k" for f in found]
    print("\n" + f"{'':28}" + "".join(f"{n:>16}" for n in names) + f"{'10k -> 100k':>14}")
    for key, label in SHOWN:
        cells = "".join(f"{f[key]:>16.2f}" for f in found)
        small, large = found[1][key], found[2][key]
        print(f"{label:28}{cells}{f'x{large / small:.1f}' if small else '':>14}")
    for name, figures in zip(names, found, strict=True):
        print(f"load average, {name}: {figures['load']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=1_000, help="command calls per run")
    parser.add_argument("--runs", type=int, default=5, help="fresh copies each week is run on")
    parser.add_argument("--store", choices=sorted(STORES), default="sqlite")
    parser.add_argument("--all", action="store_true", help="sqlite@10k, postgres@10k and @100k")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()
    if args.all:
        run_all(args.samples, args.runs)
    else:
        result = asyncio.run(main(args.members, args.samples, args.runs, args.store))
        if args.json:
            print(JSON_MARK + json.dumps(result))
