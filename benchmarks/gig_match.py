"""Gig matching benchmark: leads posted to a 10,000-member community and their alerts queued.

Members hold 1-8 skills each from ~40 audio skills (profile skills, and for some a sprint:
active, or completed with a published deliverable), in nine zones. Each of 200 leads (1-5
skills) is posted through the core (``Crossfade.run_line`` with ``/gig post``, by a
different member each) and then the ``gigs.alerts`` job ranks the community and queues the
matched DMs: the time of both, p50 and p99, and of the job alone. Alerts matched where it
is night for the member wait in ``gig_alerts`` until 08:00 there: the job's morning runs
re-check and queue them (one DM per member), timed apart. Then everyone switches to
the weekly digest, a week of leads is posted, and ``gigs.digests`` runs at each due moment
of the check-in day across the zones: its total time and the largest run.
Run: python -m benchmarks.gig_match [--members N] [--leads N] [--week-leads N]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import Crossfade
from bot.clock import FakeClock
from bot.features.gigs.alert_jobs import send_alerts, send_digests
from bot.features.gigs.held_alerts import plan_held
from bot.models import Actor
from bot.storage.sqlite import SqliteStore
from bot.storage.sqlite.connection import ts

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # a Monday
COMMUNITY = "bench"
SKILLS = (
    "spatial mixing", "Dolby Atmos", "binaural", "ambisonics", "live sound", "FOH mixing",
    "monitor engineering", "low-latency monitoring", "RF coordination", "system tuning",
    "room calibration", "acoustic treatment", "mastering", "stem mastering", "mixing",
    "vocal production", "dialogue editing", "podcast editing", "podcast production",
    "audio restoration", "noise reduction", "field recording", "foley", "sound design",
    "game audio", "Wwise", "FMOD", "film post-production", "ADR", "broadcast audio",
    "streaming audio", "Dante networking", "AES67", "loudness compliance", "music production",
    "recording engineering", "drum tuning", "synthesis", "orchestral recording", "hybrid events",
)  # fmt: skip
ZONES = (
    None, "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles",
    "America/Sao_Paulo", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney",
)  # fmt: skip


async def seed(store: SqliteStore, members: int, rng: random.Random) -> list[int]:
    """The community's members (U0, U1, …) with their skills and sprints, in bulk; their ids."""
    community, first = await store.ensure_member(Actor("console", COMMUNITY, "U0", "m0"), NOW)
    made = ts(NOW)
    async with store._tx() as db:
        await db.executemany(
            "INSERT INTO members (community_id, ext_id, display_name, timezone, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(community.id, f"U{n}", f"m{n}", rng.choice(ZONES), made) for n in range(1, members)],
        )
        ids = [int(r[0]) for r in await db.execute_fetchall("SELECT id FROM members ORDER BY id")]
        skills, sprints = [], []
        for member_id in ids:
            held = rng.sample(SKILLS, rng.randint(1, 8))
            skills += [(member_id, s) for s in held]
            roll = rng.random()
            if roll < 0.3:  # a completed sprint with its deliverable's link
                sprints.append((member_id, rng.choice(held), "completed", "https://example.org/d"))
            elif roll < 0.5:
                sprints.append((member_id, rng.choice(SKILLS), "active", ""))
        await db.executemany("INSERT INTO member_skills (member_id, skill) VALUES (?, ?)", skills)
        await db.executemany(
            "INSERT INTO sprints (member_id, goal, skill, deliverable_kind, deliverable,"
            " start_date, weeks, status, created_at, outcome_url, number)"
            " VALUES (?, 'A goal', ?, 'workshop', 'A workshop', '2026-06-01', 12, ?, ?, ?, 1)",
            [(m, s, status, made, url or None) for m, s, status, url in sprints],
        )
    assert first.id == ids[0]
    return ids


async def post(core: Crossfade, poster: int, skills: list[str]) -> None:
    """A lead posted through the core, as a member types /gig post (its first member: U0)."""
    line = (
        '/gig post title:"Spatial mix for a podcast" details:"Ten episodes, mixed in Atmos."'
        f' skills:"{", ".join(skills)}" pay:"400-600 EUR per day" where:remote when:ongoing'
    )
    member = Actor("console", COMMUNITY, f"U{poster}", f"m{poster}")
    reply = await core.run_line(member, line, forms=False)
    assert reply.message is not None, reply
    assert "posted" in reply.message.title, reply.message


def ms(seconds: float) -> str:
    """Seconds as milliseconds."""
    return f"{seconds * 1000:8.1f} ms"


async def morning(store: SqliteStore, now: datetime) -> tuple[int, float]:
    """The held alerts due by ``now`` queued, as the alerts job does: how many, how long."""
    began = time.perf_counter()
    done = 0
    while held := await store.send_held_alerts(now, lambda batch: plan_held(batch, now)):
        done += held
    return done, time.perf_counter() - began


async def bench(members: int, leads: int, week_leads: int) -> None:
    """Seed, post, match, digest; print the figures and the checks."""
    rng = random.Random(9)
    with tempfile.TemporaryDirectory() as folder:
        store = await SqliteStore.open(Path(folder) / "crossfade.db")
        try:
            began = time.perf_counter()
            ids = await seed(store, members, rng)
            seeded = time.perf_counter() - began
            clock = FakeClock(NOW)
            core = Crossfade(store, clock)
            # Each lead by another member: three leads a week is a member's limit.
            posters = iter(rng.sample(range(members), leads + week_leads))
            totals: list[float] = []
            jobs: list[float] = []
            mornings: list[tuple[int, float]] = []
            now = NOW
            for _ in range(leads):
                clock.set(now)
                if (ran := await morning(store, now))[0]:
                    mornings.append(ran)
                wanted = rng.sample(SKILLS, rng.randint(1, 5))
                began = time.perf_counter()
                await post(core, next(posters), wanted)
                queued = time.perf_counter()
                assert await send_alerts(store, now) == 1
                done = time.perf_counter()
                totals.append(done - began)
                jobs.append(done - queued)
                now += timedelta(minutes=7)  # round the clock: night holds too
            while (due := await store.next_held_alert_at()) is not None:
                mornings.append(await morning(store, due))
            counts = await store._all(
                "SELECT gig_id, COUNT(*), SUM(member_id = (SELECT poster_id FROM gigs"
                " WHERE id = gig_id)) FROM gig_alerts GROUP BY gig_id"
            )
            matched = [int(r[1]) for r in counts]
            dms = await store._all(
                "SELECT COUNT(*), COUNT(DISTINCT dedupe_key), SUM(dedupe_key LIKE 'gig-alerts:%')"
                " FROM outbox WHERE dedupe_key LIKE 'gig-alert%'"
            )
            alerted = await store._all(
                "SELECT COUNT(*), SUM(sent_at IS NULL), SUM(send_at > created_at)"
                " FROM gig_alerts WHERE kind = 'instant'"
            )
            mornings_twice = await store._all(
                "SELECT COUNT(*) FROM (SELECT member_id FROM outbox WHERE dedupe_key LIKE"
                " 'gig-alerts:%' GROUP BY member_id, created_at HAVING COUNT(*) > 1)"
            )
            in_order = await store._all(
                "SELECT COUNT(*) FROM gig_alerts a JOIN gig_alerts b ON a.gig_id = b.gig_id"
                " AND a.rank < b.rank JOIN outbox oa ON oa.dedupe_key ="
                " 'gig-alert:' || a.gig_id || ':' || a.member_id JOIN outbox ob ON"
                " ob.dedupe_key = 'gig-alert:' || b.gig_id || ':' || b.member_id"
                " WHERE a.gig_id = (SELECT MIN(id) FROM gigs) AND a.send_at = b.send_at"
                " AND oa.id > ob.id"
            )

            # The digest week: everyone on the digest, a week of leads, then check-in day.
            async with store._tx() as db:
                await db.executemany(
                    "INSERT INTO gig_member_settings (member_id, alerts) VALUES (?, 'digest')",
                    [(m,) for m in ids],
                )
            week = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)  # Tuesday
            for n in range(week_leads):
                at = week + timedelta(hours=n * 140 / max(week_leads, 1))
                clock.set(at)
                await post(core, next(posters), rng.sample(SKILLS, rng.randint(1, 5)))
                await send_alerts(store, at)
            runs: list[float] = []
            decided = 0
            while (due := await store.next_digest_at()) is not None:
                began = time.perf_counter()
                decided += await send_digests(store, due)
                runs.append(time.perf_counter() - began)
            digests = await store._all(
                "SELECT COUNT(*), COUNT(DISTINCT member_id) FROM outbox"
                " WHERE dedupe_key LIKE 'gig-digest:%'"
            )
            held = await store._all(
                "SELECT COUNT(*) FROM gig_alerts WHERE kind = 'digest' AND digest_sent_at IS NULL"
            )
        finally:
            await store.close()

    total, unique, grouped = (int(x or 0) for x in dms[0])
    instant, unsent, night = (int(x or 0) for x in alerted[0])
    checks = {
        "never the poster": all(int(r[2] or 0) == 0 for r in counts),
        "every alert decided, no DM twice": total == unique
        and instant == sum(matched)
        and unsent == 0,
        "held alerts: one DM per member per morning": int(mornings_twice[0][0]) == 0,
        "DMs queued in rank order": int(in_order[0][0]) == 0,
        "one digest per member, every held lead decided": int(digests[0][0]) == int(digests[0][1])
        and int(held[0][0]) == 0,
    }
    t, j = statistics.quantiles(totals, n=100), statistics.quantiles(jobs, n=100)
    print(f"{members:,} members (1-8 of {len(SKILLS)} skills, some sprints), {leads} leads")
    print(f"  seeding                        {seeded:8.2f} s")
    print(f"  matched per lead               mean {statistics.mean(matched):,.0f}"
          f"   max {max(matched):,}   ({night:,} of {instant:,} held for 08:00)")  # fmt: skip
    print(f"  /gig post + alerts    p50 {ms(t[49])}   p99 {ms(t[98])}")
    print(f"  alerts job alone      p50 {ms(j[49])}   p99 {ms(j[98])}")
    largest = max(mornings, key=lambda m: m[1], default=(0, 0.0))
    print(f"  morning runs: {len(mornings)}, {sum(n for n, _ in mornings):,} held alerts as"
          f" {total - (instant - night):,} DMs ({grouped:,} listing several), total"
          f" {sum(t for _, t in mornings):.2f} s, largest {largest[1]:.2f} s"
          f" ({largest[0]:,} alerts)")  # fmt: skip
    print(f"  weekly digest, everyone on it, {week_leads} leads that week:")
    print(f"    {decided:,} members decided, {int(digests[0][0]):,} digests queued in"
          f" {len(runs)} runs: total {sum(runs):.2f} s, largest run {max(runs):.2f} s")  # fmt: skip
    for name, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    if not all(checks.values()):
        raise SystemExit("a check failed")


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--week-leads", type=int, default=20)
    options = parser.parse_args()
    asyncio.run(bench(options.members, options.leads, options.week_leads))


if __name__ == "__main__":
    main()
