"""Clinic feed benchmark: 50 clinics with 5 years of history, served over real HTTP.

Seeds a real SQLite file (50 monthly series in several zones since 2021, every past session
stored with 10 RSVPs, about 1 in 12 cancelled and 1 in 15 moved), serves the clinics' feed
route on 127.0.0.1 and times GET requests through it: p50 and p99 of full answers, of
revalidations (If-None-Match, 304), and the feed's size and event count.
Run: python -m benchmarks.clinic_feed [--clinics N] [--years Y] [--requests R]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from adapters.web import WebApp
from bot.clock import FakeClock
from bot.features import FEATURES
from bot.features.base import routes_of
from bot.features.clinics.recurrence import Schedule, sessions
from bot.models import Actor
from bot.storage.sqlite import SqliteStore

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
ZONES = ["Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Adelaide", "UTC"]
RULES = ["FREQ=MONTHLY;BYDAY=1FR", "FREQ=MONTHLY;BYDAY=2TH", "FREQ=MONTHLY;BYDAY=-1SU",
         "FREQ=MONTHLY;BYMONTHDAY=15", "FREQ=MONTHLY;BYDAY=TU,WE,TH;BYSETPOS=3"]  # fmt: skip
MEMBERS = 200
RSVPS_PER_SESSION = 10


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def seed(path: Path, clinics: int, years: int) -> tuple[int, int]:
    """Series, sessions and RSVPs written straight into the migrated file; (sessions, rsvps)."""
    rng = random.Random(8)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    conn.executemany(
        "INSERT INTO members (id, community_id, ext_id, display_name, timezone, created_at)"
        " VALUES (?, 1, ?, ?, 'UTC', ?)",
        [(m, f"U{m:04d}", f"member{m}", iso(NOW)) for m in range(2, MEMBERS + 2)],
    )
    begin = NOW - timedelta(days=365 * years)
    session_id, rsvps = 0, 0
    for number in range(1, clinics + 1):
        zone, rule = ZONES[number % len(ZONES)], RULES[number % len(RULES)]
        start = datetime.combine(begin.date() + timedelta(days=number), datetime.min.time())
        start = start.replace(hour=17 + number % 4)
        conn.execute(
            "INSERT INTO clinic_series (id, community_id, number, title, bring, host_id, rrule,"
            " start_local, timezone, duration_minutes, location, capacity, created_at)"
            " VALUES (?, 1, ?, ?, ?, 1, ?, ?, ?, 90, ?, 20, ?)",
            (number, number, f"Clinic {number}", "A room measurement", rule,
             start.isoformat(), zone, "Studio A", iso(begin)),
        )  # fmt: skip
        past = sessions(Schedule(rule, start, zone), before=NOW + timedelta(days=30))
        session_rows, rsvp_rows = [], []
        for one in past:
            session_id += 1
            roll = rng.random()
            status, at = "scheduled", one.starts_at
            if roll < 1 / 12:
                status = "cancelled"
            elif roll < 1 / 12 + 1 / 15:
                status, at = "moved", one.starts_at + timedelta(days=1, hours=-1)
            session_rows.append(
                (session_id, number, one.day.isoformat(), iso(at), iso(at + timedelta(minutes=90)),
                 status, "Studio flooded" if status != "scheduled" else "",
                 1 if status == "moved" else 0, iso(at) if at < NOW else None, iso(begin))
            )  # fmt: skip
            if status != "cancelled":
                for member in rng.sample(range(2, MEMBERS + 2), RSVPS_PER_SESSION):
                    answer = rng.choice(("going", "going", "presenting", "cant"))
                    rsvp_rows.append((session_id, member, answer, iso(at - timedelta(days=3))))
        conn.executemany(
            "INSERT INTO clinic_sessions (id, series_id, day, starts_at, ends_at, status, reason,"
            " sequence, closed_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            session_rows,
        )
        conn.executemany(
            "INSERT INTO clinic_rsvps (session_id, member_id, answer, answered_at)"
            " VALUES (?, ?, ?, ?)",
            rsvp_rows,
        )
        rsvps += len(rsvp_rows)
    conn.commit()
    conn.close()
    return session_id, rsvps


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def timed(
    session: aiohttp.ClientSession,
    url: str,
    count: int,
    headers: dict[str, str],
    clock: FakeClock | None = None,
) -> tuple[list[float], bytes, str, int]:
    """``count`` GETs of ``url``: each one's seconds, the last body, its ETag and status.

    With ``clock``, it moves a day on before each, so every answer writes the file anew.
    """
    times: list[float] = []
    body, etag, status = b"", "", 0
    for _ in range(count):
        if clock is not None:
            clock.advance(timedelta(days=1))
        began = time.perf_counter()
        async with session.get(url, headers=headers) as resp:
            body = await resp.read()
            status, etag = resp.status, resp.headers.get("ETag", "")
        times.append(time.perf_counter() - began)
    return times, body, etag, status


async def bench(clinics: int, years: int, requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "crossfade.db"
        store = await SqliteStore.open(path)
        community, _ = await store.ensure_member(
            Actor("bench", "T1", "U0001", "Host", "Bench community", True), NOW
        )
        token = await store.ensure_clinic_feed_token(
            community.id, "bench-feed-token-0123456789", NOW
        )
        await store.close()
        stored, rsvps = seed(path, clinics, years)
        store = await SqliteStore.open(path)
        clock = FakeClock(NOW)
        web = WebApp(host="127.0.0.1", port=0, routes=routes_of(FEATURES, store, clock))
        await web.start()
        try:
            url = web.local_url(f"/calendar/{token}.ics")
            async with aiohttp.ClientSession() as session:
                await timed(session, url, 2, {})  # warm up: connection, imports, caches
                written, _, _, status = await timed(session, url, requests, {}, clock)
                assert status == 200, status
                full, body, etag, status = await timed(session, url, requests, {})
                assert status == 200, status
                again, _, _, status = await timed(session, url, requests, {"If-None-Match": etag})
                assert status == 304, status
        finally:
            await web.stop()
            await store.close()
    events = body.count(b"BEGIN:VEVENT")
    print(f"Seeded {clinics} clinics over {years} years: {stored:,} sessions, {rsvps:,} RSVPs")
    print(f"Feed: {len(body):,} bytes, {events} VEVENTs, {body.count(b'BEGIN:VTIMEZONE')} zones")
    shown = (
        ("200, file written (a day on each time)", written),
        ("200, same day (file kept)", full),
        ("304, If-None-Match", again),
    )
    for label, times in shown:
        print(
            f"GET {label} x{len(times)}: p50 {statistics.median(times) * 1000:.1f} ms, "
            f"p99 {percentile(times, 0.99) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clinics", type=int, default=50)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(bench(args.clinics, args.years, args.requests))


if __name__ == "__main__":
    main()
