"""Pieces the delivery benchmarks share: members with active sprints, and peak rates."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime

from bot.clock import FakeClock
from bot.features import FEATURES
from bot.features.base import jobs_of
from bot.models import Actor, Sprint, SprintStatus
from bot.progress import first_prompt_at
from bot.storage.sqlite import SqliteStore


async def seed_sprints(store: SqliteStore, actors: Iterable[Actor], now: datetime) -> int:
    """Give each actor an active sprint, as /sprint start records it (without announcing)."""
    count = 0
    for actor in actors:
        community, member = await store.ensure_member(actor, now)
        zone = member.zone(community)
        start = now.astimezone(zone).date()
        await store.create_sprint(
            Sprint(
                id=0,
                member_id=member.id,
                goal="Mix and deliver a Dolby Atmos podcast episode",
                skill="spatial mixing",
                deliverable_kind="workshop",
                deliverable="A 45-minute online workshop on binaural monitoring",
                start_date=start,
                weeks=12,
                status=SprintStatus.ACTIVE,
                created_at=now,
                next_week=1,
                next_prompt_at=first_prompt_at(start, now, community, zone),
            )
        )
        count += 1
    return count


def busiest(times: list[float], window: float = 1.0) -> int:
    """The most events inside any ``window`` seconds (``times`` sorted)."""
    peak, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= window:
            first += 1
        peak = max(peak, last - first + 1)
    return peak


async def run_jobs(store: SqliteStore, now: datetime) -> dict[str, int]:
    """Every feature's jobs at ``now``, as one engine tick decides them (without sending)."""
    return {job.name: await job.run(store, now) for job in jobs_of(FEATURES)}


async def decide_week(store: SqliteStore, clock: FakeClock) -> tuple[dict[str, int], float]:
    """Move to the week's first check-in time and let the core decide every prompt; timed."""
    sprints = await store.active_sprints_in(1)
    clock.set(min(s.next_prompt_at for s, _ in sprints if s.next_prompt_at))
    began = time.monotonic()
    decided = await run_jobs(store, clock.now())
    return decided, time.monotonic() - began
