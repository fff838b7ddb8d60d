"""Clinic RSVP benchmark: 1,000 members pressing Going on one session at once.

Through the core (``Crossfade.press`` on a real SQLite file, all presses gathered at once),
with a capacity of 50: latency per press (p50, p99), the total time, and a check that the
session is not overbooked: exactly the capacity going, everyone else waitlisted in the order
their answers were accepted, nobody twice. Then a few presses one at a time on the full
roster: the time each press holds the database, which every press of the rush queues behind.
Run: python -m benchmarks.clinic_rsvp [--members N] [--capacity N]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import run_jobs
from bot.app import Crossfade
from bot.clock import FakeClock
from bot.messages import Response, plain
from bot.models import Actor
from bot.storage.sqlite import SqliteStore

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # a Monday; the first Friday is 4 December
COMMUNITY = "bench"
# Presses timed one by one after the rush, with the roster full.
LONE = 20
_PLACE = re.compile(r"you're #(\d+) on the waitlist")


def member(n: int) -> Actor:
    """The n-th member of the benchmark's community."""
    return Actor("console", COMMUNITY, f"U{n:05d}", f"member{n}")


def reply(response: Response) -> str:
    """A reply's title and body as plain text."""
    message = response.message
    assert message is not None, response
    return f"{message.title}\n{plain(message.body)}"


async def setup(core: Crossfade, store: SqliteStore, members: int, capacity: int) -> int:
    """A host's clinic announced, and the members known; the session's id."""
    host = Actor("console", COMMUNITY, "UHOST", "Host", is_admin=True, channel_id="clinics")
    for line in (
        "/admin channel purpose:clinics",
        "/profile timezone:Europe/London",
        '/clinic create title:"Mix clinic" bring:"A stereo mix" rule:"first friday" '
        f'time:19:00 where:"Studio A" capacity:{capacity}',
    ):
        await core.run_line(host, line, forms=False)
    await run_jobs(store, NOW)  # the announcement stores the session
    (series,) = await store.live_series()
    (session,) = await store.session_rows([series.id], NOW)
    assert session.announcement_id is not None, "the session was not announced"
    for n in range(members):
        await store.ensure_member(member(n), NOW)
    return session.id


async def bench(members: int, capacity: int) -> None:
    """Run the presses and print the figures."""
    with tempfile.TemporaryDirectory() as folder:
        store = await SqliteStore.open(Path(folder) / "crossfade.db")
        try:
            core = Crossfade(store, FakeClock(NOW))
            session_id = await setup(core, store, members, capacity)
            action = f"clinic.rsvp:{session_id}:going"
            latencies: list[float] = []

            async def press(n: int) -> tuple[str, str]:
                began = time.perf_counter()
                response = await core.press(member(n), action)
                latencies.append(time.perf_counter() - began)
                return member(n).user_id, reply(response)

            began = time.perf_counter()
            replies = await asyncio.gather(*(press(n) for n in range(members)))
            total = time.perf_counter() - began
            roster = await store.roster(session_id)
            # One press at a time on the full roster: the work each press waits behind.
            alone = []
            for n in range(members, members + LONE):
                await store.ensure_member(member(n), NOW)
                began = time.perf_counter()
                await core.press(member(n), action)
                alone.append(time.perf_counter() - began)
        finally:
            await store.close()

    going = [user for user, text in replies if text.startswith("You're going")]
    told = {user: int(m.group(1)) for user, text in replies if (m := _PLACE.search(text))}
    seated = [r.ext_id for r in roster.seated]
    waiting = [r.ext_id for r in roster.waitlist]
    answered = [r.ext_id for r in roster.answered]
    checks = {
        f"exactly {capacity} going": len(seated) == capacity and sorted(going) == sorted(seated),
        f"{members - capacity} waitlisted": len(waiting) == members - capacity,
        "each told their place, in the order accepted": sorted(told, key=told.__getitem__)
        == waiting
        and sorted(told.values()) == list(range(1, len(waiting) + 1)),
        "nobody twice": len(answered) == len(set(answered)) == members,
    }
    cuts = statistics.quantiles(latencies, n=100)
    print(f"{members} members pressing Going at once, capacity {capacity}, one SQLite file")
    print(f"  per press  p50 {cuts[49] * 1000:8.1f} ms   p99 {cuts[98] * 1000:8.1f} ms")
    print(f"  total      {total:8.2f} s   ({members / total:,.0f} presses/s)")
    lone = statistics.median(alone) * 1000
    print(f"  one press alone, {members} answers on the roster: {lone:.1f} ms (median of {LONE})")
    for name, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    if not all(checks.values()):
        raise SystemExit("overbooked or out of order")


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--capacity", type=int, default=50)
    options = parser.parse_args()
    asyncio.run(bench(options.members, options.capacity))


if __name__ == "__main__":
    main()
