"""A bot's sends are paced per bot, not per process: on PostgreSQL the slots are shared.

The slots come from the database server's clock; the sleeps are injected and recorded, so
nothing here waits on wall time: the assertions read the slots the database reserved.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.delivery import Dispatcher
from bot.messages import Message
from bot.models import Actor, Destination, NewOutbox
from bot.pacing import Pacer, SharedPacer
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore
from tests.harness import RecordingTransport
from tests.stores import query

pytestmark = pytest.mark.asyncio

START = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
RATE = 2.0  # sends a second, for the bot as a whole


@dataclass
class Recorded:
    """A store's slot reservations, as the database returned them."""

    store: PostgresStore
    slots: list[float] = field(default_factory=list)

    async def reserve_send_slot(
        self, bucket: str, interval: float, burst: float
    ) -> tuple[float, float]:
        slot, wait = await self.store.reserve_send_slot(bucket, interval, burst)
        self.slots.append(slot)
        return slot, wait


@dataclass
class Sleeps:
    """An injected sleep: records how long each send was told to wait, and returns."""

    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def test_two_processes_pacing_one_bot_stay_within_its_rate_together(
    postgres_db: str,
) -> None:
    first = await PostgresStore.open(postgres_db)
    second = await PostgresStore.open(postgres_db)
    try:
        sleeps = Sleeps()
        assert isinstance(first.send_pacer("slack", RATE, sleeps), SharedPacer)
        reserved = [Recorded(first), Recorded(second)]
        pacers = [SharedPacer(r, "slack", RATE, sleeps) for r in reserved]
        # Thirty sends from each process, all at once.
        await asyncio.gather(*(pacer.take() for pacer in pacers for _ in range(30)))
    finally:
        await first.close()
        await second.close()
    slots = sorted(reserved[0].slots + reserved[1].slots)
    assert len(slots) == 60
    assert reserved[0].slots
    assert reserved[1].slots
    # One slot per interval for the bot, whichever process reserved it.
    interval = 1 / RATE
    gaps = [later - earlier for earlier, later in itertools.pairwise(slots)]
    assert min(gaps) >= interval - 1e-6
    # Sixty slots at two a second reach half a minute ahead: the later sends were told to wait.
    assert slots[-1] - slots[0] >= 59 * interval - 1e-6
    assert max(sleeps.waits) > 0


async def test_two_dispatchers_on_postgresql_pace_through_the_database(postgres_db: str) -> None:
    stores = [await PostgresStore.open(postgres_db) for _ in range(2)]
    try:
        clock = FakeClock(START)
        items = []
        for n in range(6):
            actor = Actor("test", "T1", f"m{n}", f"M{n}", "Test community", False, "general")
            community, member = await stores[0].ensure_member(actor, START)
            payload = json.dumps(Message(title=f"hi {n}").to_dict())
            items.append(NewOutbox(community.id, Destination.dm(member.id), payload, f"hi-{n}"))
        await stores[0].enqueue(items, START)
        sleeps = Sleeps()
        transports = [RecordingTransport(clock, max_per_second=RATE) for _ in stores]
        dispatchers = [
            Dispatcher(s, clock, {"test": t}, sleep=sleeps, concurrency=1)
            for s, t in zip(stores, transports, strict=True)
        ]
        await asyncio.gather(*(d.deliver_due() for d in dispatchers))
    finally:
        for store in stores:
            await store.close()
    assert sum(len(t.sent) for t in transports) == 6
    # The bot's one bucket lives in the database, where both dispatchers reserved slots.
    ((next_slot,),) = await query(
        postgres_db, "SELECT next_slot FROM send_pace WHERE bucket = ?", ["test"]
    )
    assert next_slot > 0
    assert max(sleeps.waits) > 0  # later sends waited for their slots


async def test_on_sqlite_the_one_process_paces_in_memory(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "crossfade.db")
    try:
        assert isinstance(store.send_pacer("slack", RATE, Sleeps()), Pacer)
        clock = FakeClock(START)
        actor = Actor("test", "T1", "ana", "Ana", "Test community", False, "general")
        community, member = await store.ensure_member(actor, START)
        await store.enqueue(
            [
                NewOutbox(
                    community.id,
                    Destination.dm(member.id),
                    json.dumps(Message(title=f"hi {n}").to_dict()),
                    f"hi-{n}",
                )
                for n in range(3)
            ],
            START,
        )
        sleeps = Sleeps()
        transport = RecordingTransport(clock, max_per_second=RATE)
        await Dispatcher(store, clock, {"test": transport}, sleep=sleeps).deliver_due()
        assert len(transport.sent) == 3
        assert sleeps.waits  # the in-process bucket made the third wait
    finally:
        await store.close()
    assert await query(tmp_path / "crossfade.db", "SELECT * FROM send_pace") == []


async def test_discord_requests_from_two_processes_take_turns_from_one_schedule(
    postgres_db: str, tmp_path: Path
) -> None:
    from adapters.discord.transport import RequestPacer, shared_requests

    first = await PostgresStore.open(postgres_db)
    second = await PostgresStore.open(postgres_db)
    try:
        assert shared_requests(first, 45.0) is not None
        sleeps = Sleeps()
        reserved = [Recorded(first), Recorded(second)]
        # One request at a time for the bot (no burst), whichever process makes it.
        pacers = [
            RequestPacer(45.0, SharedPacer(r, "discord", 45.0, sleeps, steady=True))
            for r in reserved
        ]
        await asyncio.gather(*(pacer.wait() for pacer in pacers for _ in range(20)))
    finally:
        await first.close()
        await second.close()
    slots = sorted(reserved[0].slots + reserved[1].slots)
    assert len(slots) == 40
    assert min(b - a for a, b in itertools.pairwise(slots)) >= 1 / 45.0 - 1e-6
    lite = await SqliteStore.open(tmp_path / "crossfade.db")
    try:
        assert shared_requests(lite, 45.0) is None  # one process: its own RequestPacer
    finally:
        await lite.close()
