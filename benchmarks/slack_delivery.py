"""Slack delivery benchmark: one week's check-in prompts for 2,000 members.

The core decides every prompt (the check-in cycle) and the outbox delivers them through the
Slack adapter's SlackTransport and the real slack_sdk client to the loopback Slack fake,
which enforces chat.postMessage's posting limits and answers 429 + Retry-After beyond them.

The limit, from Slack's chat.postMessage reference ("Rate limiting"): 1 message per second
per channel, and a workspace-wide limit of "several hundred messages per minute", of which
we take the lowest reading, 300 a minute (5 a second). Every prompt is a DM, its own channel,
so the workspace limit is the one that binds. The transport paces at 90% of it.

At Slack's real figure, 2,000 prompts take about 7.5 minutes. ``--scale N`` multiplies the
fake's limits and the transport's pacing by N together (default 4: 20 a second at the fake,
about 2 minutes); ``--scale 1`` runs at the real figure.

Run: python -m benchmarks.slack_delivery [--members N] [--scale N]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from adapters.slack.adapter import SlackAdapter
from adapters.slack.transport import WORKSPACE_POSTS_PER_MINUTE, SlackTransport
from benchmarks.common import busiest, decide_week, seed_sprints
from bot.app import Crossfade
from bot.clock import FakeClock
from bot.delivery import Dispatcher, Receipt, Target, Transport
from bot.engine import Engine
from bot.messages import Message
from bot.models import Actor
from bot.native_events import EventTransport
from bot.storage.sqlite import SqliteStore

if TYPE_CHECKING:
    from tests.fakes.slack_fake import SlackFake

START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # a Monday; prompts go out at 10:00
TEAM = "T0CROSSFD"


@dataclass
class Timed:
    """The adapter's transport, noting when each post succeeded (for the achieved rate)."""

    inner: Transport
    sent_at: list[float] = field(default_factory=list)

    @property
    def platform(self) -> str:
        return self.inner.platform

    @property
    def max_per_second(self) -> float:
        return self.inner.max_per_second

    @property
    def events(self) -> EventTransport | None:
        return self.inner.events

    async def send(self, target: Target, message: Message, *, key: str) -> Receipt:
        receipt = await self.inner.send(target, message, key=key)
        self.sent_at.append(time.monotonic())
        return receipt

    async def edit(self, target: Target, receipt: Receipt, message: Message) -> None:
        await self.inner.edit(target, receipt, message)

    async def find_sent(self, target: Target, key: str) -> Receipt | None:
        return await self.inner.find_sent(target, key)


async def seed(store: SqliteStore, members: int, now: datetime) -> list[str]:
    """Members with an active sprint each."""
    users = [f"U{n:08d}" for n in range(members)]
    await seed_sprints(store, (Actor("slack", TEAM, user, user) for user in users), now)
    return users


async def run(members: int, scale: float) -> bool:
    """Deliver one week's prompts; print the figures; True if none was lost or duplicated."""
    from tests.fakes.slack_fake import SlackFake

    allowed = WORKSPACE_POSTS_PER_MINUTE / 60 * scale
    async with SlackFake() as fake:
        fake.enable_post_limit(
            per_channel_per_second=1.0 * scale,
            workspace_per_second=allowed,
            workspace_burst=math.ceil(allowed),
        )
        with tempfile.TemporaryDirectory() as folder:
            store = await SqliteStore.open(Path(folder) / "bench.db")
            try:
                clock = FakeClock(START)
                began = time.monotonic()
                users = await seed(store, members, clock.now())
                seeded = time.monotonic() - began
                print(f"members seeded                  {members:>8,}   in {seeded:.1f} s")
                adapter = SlackAdapter(
                    Crossfade(store, clock),
                    bot_token=fake.bot_token,
                    api_url=fake.api_url,
                    max_per_second=SlackTransport.max_per_second * scale,
                )
                timed = Timed(adapter.transport)
                engine = Engine(store, clock, Dispatcher(store, clock, {"slack": timed}))
                return await measure(fake, store, engine, clock, timed, users, allowed, scale)
            finally:
                await store.close()


async def measure(
    fake: SlackFake,
    store: SqliteStore,
    engine: Engine,
    clock: FakeClock,
    timed: Timed,
    users: list[str],
    allowed: float,
    scale: float,
) -> bool:
    """Fire the week's prompts and deliver them; print what happened."""
    decided, decide_time = await decide_week(store, clock)
    began = time.monotonic()
    # A send whose 429s outlast slack_sdk's retries is rescheduled by Retry-After:
    # follow the (fake) clock to it.
    await engine.run_until(clock, clock.now() + timedelta(hours=1))
    deliver_time = time.monotonic() - began

    per_channel = Counter(m["channel"] for m in fake.messages)
    wanted = {fake.dm_channel_for(u) for u in users}
    lost = len(wanted - set(per_channel))
    duplicated = sum(n - 1 for c, n in per_channel.items() if c in wanted and n > 1)
    strays = sum(n for c, n in per_channel.items() if c not in wanted)
    outbox = dict(await store.outbox_counts())
    times = sorted(timed.sent_at)
    span = times[-1] - times[0] if len(times) > 1 else deliver_time
    achieved = (len(times) - 1) / span if span > 0 else float(len(times))

    print(f"posting limit at the fake       {allowed:>8.1f} /s   (Slack's 300/min x {scale:g})")
    print(f"transport pacing                {timed.max_per_second:>8.1f} /s   (90% of it)")
    prompts = decided["checkins.prompts"]
    print(f"prompts decided by the core     {prompts:>8,}   in {decide_time:.1f} s")
    print(f"prompts delivered (DMs)         {len(per_channel):>8,}   in {deliver_time:.1f} s")
    print(f"  lost / duplicated / strays    {lost:>4} / {duplicated} / {strays}")
    print(f"  outbox afterwards             {outbox}")
    print(f"chat.postMessage accepted       {fake.post_stats.accepted:>8,}")
    print(f"429s seen                       {fake.post_stats.rejected:>8,}")
    print(f"conversations.open calls        {len(fake.calls('conversations.open')):>8,}")
    share = f"{achieved / allowed:.0%} of allowed"
    print(f"achieved rate                   {achieved:>8.2f} /s   ({share})")
    print(
        f"busiest second / minute         {busiest(times, 1.0):>8} / {busiest(times, 60.0)}   "
        f"(the fake's bucket: {math.ceil(allowed)} burst + {allowed:g}/s)"
    )
    return (
        lost == 0
        and duplicated == 0
        and strays == 0
        and len(per_channel) == len(users)
        and outbox == {"delivered": len(users)}
    )


def main() -> int:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument(
        "--scale",
        type=float,
        default=4.0,
        help="multiply Slack's posting limit and the pacing by this (default 4; 1 = real)",
    )
    args = parser.parse_args()
    # Loopback only: slack_sdk would send it through a proxy named in the environment.
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        os.environ.pop(var, None)
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)  # the fake lives in tests/ (run as a script too)
    logging.basicConfig(level=logging.ERROR)
    began = time.monotonic()
    ok = asyncio.run(run(args.members, args.scale))
    print(f"total run time                  {time.monotonic() - began:>8.1f} s")
    print("result                          " + ("OK" if ok else "FAILED: see above"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
