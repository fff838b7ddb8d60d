"""Discord delivery benchmark: one week's check-in prompts for 5,000 members.

The core decides every prompt (the check-in cycle) and the outbox delivers them through
DiscordTransport and the real discord.py client to the loopback Discord fake, which enforces
Discord's global limit (50 requests a second) and per-route buckets, answering 429 beyond them.
Reports the achieved request rate against 50/s, the 429s seen, and that no prompt was lost or
duplicated.

DM channels: by default each member's DM channel is already known, as in a bot that delivered
last week's prompts (the fake opens them without requests and the transport is told their ids).
``--cold`` starts with none known: every DM then costs an extra request to open the channel,
in a bucket the fake limits to 5 per 5 s, so use it with few members.

``--rate`` sets the transport's pace (45 requests a second by default); above 50 it shows that
the 429s that follow are absorbed without losing or repeating a prompt.

Run: python -m benchmarks.discord_delivery [--members N] [--cold] [--rate R]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import busiest, decide_week, seed_sprints
from bot.app import Crossfade
from bot.clock import FakeClock
from bot.delivery import Dispatcher
from bot.engine import Engine
from bot.models import Actor
from bot.storage.sqlite import SqliteStore
from tests.fakes.discord_fake import (
    GLOBAL_RATE_LIMIT,
    DiscordFake,
    RecordedRequest,
)
from tests.fakes.discord_fixtures import (
    FAKE_GUILD_ID,
    FAKE_TOKEN,
    make_discord_fake,
    patch_discord_py,
)

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    from adapters.discord.adapter import DiscordAdapter

START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # a Monday; prompts go out at 10:00
FIRST_USER = 1200000000000000000


async def seed(store: SqliteStore, members: int, now: datetime) -> list[int]:
    """Members with an active sprint each."""
    users = [FIRST_USER + n for n in range(members)]
    actors = (
        Actor("discord", str(FAKE_GUILD_ID), str(user), f"member{user % 100000}") for user in users
    )
    await seed_sprints(store, actors, now)
    return users


def peak_per_second(requests: list[RecordedRequest]) -> int:
    """The most requests (bound by the global limit) answered within any one second."""
    times = sorted(r.at for r in requests if not r.path.startswith(("/interactions", "/webhooks")))
    return busiest(times)


async def run(members: int, cold: bool, rate: float) -> bool:
    """Deliver one week's prompts; print the figures; True if none was lost or duplicated."""
    fake = make_discord_fake()
    await fake.start()
    fake.enable_rate_limits()  # Discord's 50/s global limit and the fake's per-route buckets
    with tempfile.TemporaryDirectory() as folder, patch_discord_py(fake):
        store = await SqliteStore.open(Path(folder) / "bench.db")
        clock = FakeClock(START)
        try:
            began = time.monotonic()
            users = await seed(store, members, clock.now())
            print(f"members with an active sprint   {len(users):>8,}")
            print(f"  seeded in                     {time.monotonic() - began:>8.1f} s")
            adapter = DiscordAdapter(
                Crossfade(store, clock),
                FAKE_TOKEN,
                guild_id=FAKE_GUILD_ID,
                guild_ready_timeout=0.05,
                requests_per_second=rate,
            )
            await adapter.start()
            try:
                if not cold:
                    for user in users:
                        adapter.discord_transport.remember_dm(user, fake.dm_channel_id(user))
                engine = Engine(
                    store, clock, Dispatcher(store, clock, {"discord": adapter.transport})
                )
                return await measure(fake, store, engine, clock, users, cold, rate)
            finally:
                await adapter.stop()
        finally:
            await store.close()
            await fake.stop()


def prompts_received(fake: DiscordFake, user: int) -> int:
    """How many check-in prompts a member's DM channel holds."""
    return sum(
        1
        for m in fake.messages(fake.dm_channel_id(user))
        if any("Weekly check-in" in (e.get("title") or "") for e in m.get("embeds", []))
    )


async def measure(
    fake: DiscordFake,
    store: SqliteStore,
    engine: Engine,
    clock: FakeClock,
    users: list[int],
    cold: bool,
    rate: float,
) -> bool:
    """Fire the week's prompts and deliver them; print what happened."""
    decided, decide_time = await decide_week(store, clock)
    before = len(fake.requests)
    rejected, rejected_global = (
        fake.rate_limit_stats.rejected,
        fake.rate_limit_stats.rejected_global,
    )
    began = time.monotonic()
    # Sends a 429 outlasted are rescheduled by Retry-After: follow the (fake) clock to them.
    await engine.run_until(clock, clock.now() + timedelta(hours=1))
    deliver_time = time.monotonic() - began
    requests = fake.requests[before:]
    by_route = collections.Counter(r.route for r in requests)
    accepted = sum(1 for r in requests if r.status != 429)
    received = {user: prompts_received(fake, user) for user in users}
    delivered = sum(received.values())
    lost = sum(1 for n in received.values() if n == 0)
    duplicated = sum(1 for n in received.values() if n > 1)
    achieved = accepted / deliver_time

    print(f"DM channels known beforehand    {'no (cold)' if cold else 'yes':>8}")
    print(f"transport pacing                {rate:>8.0f} requests/s")
    prompts = decided["checkins.prompts"]
    print(f"prompts decided by the core     {prompts:>8,}   in {decide_time:.1f} s")
    print(f"prompts delivered               {delivered:>8,}   in {deliver_time:.1f} s")
    print(f"  lost / duplicated             {lost:>4} / {duplicated}")
    print(f"  outbox afterwards             {dict(await store.outbox_counts())}")
    print(f"requests to Discord             {len(requests):>8,}   ({accepted:,} accepted)")
    for route, count in by_route.most_common():
        print(f"  {route or '(unmatched)':<44} {count:>6,}")
    print(
        f"429s seen                       {fake.rate_limit_stats.rejected - rejected:>8,}   "
        f"({fake.rate_limit_stats.rejected_global - rejected_global} global)"
    )
    print(
        f"achieved request rate           {achieved:>8.1f} /s   "
        f"({achieved / GLOBAL_RATE_LIMIT:.0%} of Discord's {GLOBAL_RATE_LIMIT}/s)"
    )
    print(f"busiest second                  {peak_per_second(requests):>8} requests")
    print(f"prompts per second              {delivered / deliver_time:>8.1f}")
    return lost == 0 and duplicated == 0 and delivered == len(users)


def main() -> int:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--cold", action="store_true", help="no DM channel ids known beforehand")
    parser.add_argument(
        "--rate",
        type=float,
        default=45.0,
        help="the transport's requests a second (default 45; above 50 shows 429s absorbed)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    began = time.monotonic()
    ok = asyncio.run(run(args.members, args.cold, args.rate))
    print(f"total run time                  {time.monotonic() - began:>8.1f} s")
    print("result                          " + ("OK" if ok else "FAILED: see above"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
