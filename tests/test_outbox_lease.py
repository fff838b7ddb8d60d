"""Several processes deliver one outbox on PostgreSQL: leased rows, takeovers, never twice.

Each "process" is a store of its own on the same database (its own owner id) with its own
dispatcher; their transports post onto one shared platform, which remembers every post's
key so a takeover can look it up (``find_sent``). Time moves on the test clock only.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot.clock import FakeClock
from bot.delivery import Dispatcher, Receipt, Target
from bot.engine import Engine
from bot.messages import Message
from bot.models import Actor, Destination, NewOutbox
from bot.scheduler import Scheduler
from bot.storage.base import OUTBOX_LEASE
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore
from bot.transport import SentWindow
from tests.stores import query

pytestmark = pytest.mark.asyncio

START = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@dataclass
class Platform:
    """What the chat platform holds: every post, by key, with the process that sent it."""

    posts: list[tuple[str, str]] = field(default_factory=list)

    def keys(self) -> Counter[str]:
        """How many times each key was posted."""
        return Counter(key for key, _ in self.posts)

    def by(self, sender: str) -> list[str]:
        """The keys one process posted."""
        return [key for key, who in self.posts if who == sender]


@dataclass
class Sender:
    """One process's transport onto the shared platform; a key in ``hold`` waits there."""

    platform_state: Platform
    name: str
    hold: dict[str, asyncio.Event] = field(default_factory=dict)
    entered: dict[str, asyncio.Event] = field(default_factory=dict)
    posted: asyncio.Event = field(default_factory=asyncio.Event)
    # Wait here before posting (but after entering), to make two processes overlap.
    before_post: asyncio.Event | None = None
    # Post, then hang: the process dies before it can record the post.
    hang_after_post: bool = False
    platform: str = "test"
    max_per_second: float = float("inf")
    lookups_per_minute: float | None = None
    events: None = None

    def entering(self, key: str) -> asyncio.Event:
        """Set once this process starts sending ``key``."""
        return self.entered.setdefault(key, asyncio.Event())

    async def send(self, target: Target, message: Message, *, key: str) -> Receipt:
        self.entering(key).set()
        if self.before_post is not None:
            await self.before_post.wait()
        if key in self.hold:
            await self.hold[key].wait()  # slow, but alive
        self.platform_state.posts.append((key, self.name))
        self.posted.set()
        await asyncio.sleep(0)  # let the other process's claims interleave
        if self.hang_after_post:
            await asyncio.Event().wait()
        return Receipt(
            target.channel_id or f"D-{target.user_id}", str(len(self.platform_state.posts))
        )

    async def edit(self, target: Target, receipt: Receipt, message: Message) -> None:
        raise AssertionError("no edits here")

    async def find_sent(
        self, target: Target, key: str, window: SentWindow | None = None
    ) -> Receipt | None:
        for number, (posted, _) in enumerate(self.platform_state.posts, 1):
            if posted == key:
                return Receipt(f"D-{target.user_id}", str(number))
        return None


async def queue(store: PostgresStore | SqliteStore, count: int) -> list[int]:
    """``count`` direct messages to as many members, due at START."""
    items = []
    for n in range(count):
        actor = Actor("test", "T1", f"m{n}", f"Member {n}", "Test community", False, "general")
        community, member = await store.ensure_member(actor, START)
        payload = json.dumps(Message(title=f"hello {n}").to_dict())
        items.append(NewOutbox(community.id, Destination.dm(member.id), payload, f"hello-{n}"))
    return await store.enqueue(items, START)


@pytest_asyncio.fixture
async def two(postgres_db: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    """Two processes' stores on one PostgreSQL database."""
    first = await PostgresStore.open(postgres_db)
    second = await PostgresStore.open(postgres_db)
    try:
        assert first.owner != second.owner
        yield first, second
    finally:
        await first.close()
        await second.close()


async def delivered(url: str) -> int:
    """How many outbox rows are recorded delivered."""
    ((count,),) = await query(url, "SELECT COUNT(*) FROM outbox WHERE status = 'delivered'")
    return int(count)


async def test_two_processes_deliver_many_rows_each_exactly_once(
    two: tuple[PostgresStore, PostgresStore], postgres_db: str
) -> None:
    first, second = two
    clock = FakeClock(START)
    ids = await queue(first, 120)
    platform = Platform()
    # The first holds its first sends until the second has posted: they overlap for sure.
    second_posted = asyncio.Event()
    a = Sender(platform, "a", before_post=second_posted)
    b = Sender(platform, "b")
    one = Dispatcher(first, clock, {"test": a})
    other = Dispatcher(second, clock, {"test": b})

    async def first_pass() -> None:
        await one.deliver_due(limit=10)

    async def second_pass() -> None:
        await a.entering(f"cf-{ids[0]}").wait()  # the first has leased its batch
        original = b.send

        async def send(target: Target, message: Message, *, key: str) -> Receipt:
            receipt = await original(target, message, key=key)
            second_posted.set()
            return receipt

        b.send = send  # type: ignore[method-assign]
        await other.deliver_due(limit=10)

    await asyncio.gather(first_pass(), second_pass())
    assert platform.keys() == Counter({f"cf-{i}": 1 for i in ids})
    assert platform.by("a")
    assert platform.by("b")
    assert await delivered(postgres_db) == 120
    assert await query(
        postgres_db, "SELECT COUNT(*) FROM outbox WHERE lease_owner IS NOT NULL"
    ) == [(0,)]


async def test_a_process_dead_mid_send_has_its_rows_taken_over_after_the_lease(
    two: tuple[PostgresStore, PostgresStore], postgres_db: str
) -> None:
    first, second = two
    clock = FakeClock(START)
    ids = await queue(first, 5)
    platform = Platform()
    # It leases all five, posts the first, and dies before recording it.
    dying = Sender(platform, "a", hang_after_post=True)
    doomed = asyncio.create_task(
        Dispatcher(first, clock, {"test": dying}, concurrency=1).deliver_due()
    )
    await dying.entering(f"cf-{ids[0]}").wait()
    await dying.posted.wait()
    doomed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await doomed
    await first.close()
    assert platform.by("a") == [f"cf-{ids[0]}"]

    survivor = Dispatcher(second, clock, {"test": Sender(platform, "b")})
    # Within the dead one's lease nothing is taken: it might still be sending.
    clock.advance(OUTBOX_LEASE - timedelta(seconds=1))
    report = await survivor.deliver_due()
    assert not any(vars(report).values())
    # The survivor wakes when the lease runs out, not before.
    assert await second.next_send_at(["test"], clock.now()) == START + OUTBOX_LEASE
    clock.set(START + OUTBOX_LEASE)
    report = await survivor.deliver_due()
    # The posted one is found on the platform, not sent again; the four never sent go now.
    assert (report.recovered, report.sent) == (1, 4)
    assert platform.keys() == Counter({f"cf-{i}": 1 for i in ids})
    assert sorted(platform.by("b")) == sorted(f"cf-{i}" for i in ids[1:])
    assert await delivered(postgres_db) == 5


async def test_a_slow_but_alive_sender_keeps_the_rows_it_claimed(
    two: tuple[PostgresStore, PostgresStore], postgres_db: str
) -> None:
    first, second = two
    clock = FakeClock(START)
    ids = await queue(first, 3)
    keys = [f"cf-{i}" for i in ids]
    platform = Platform()
    slow = Sender(platform, "a", hold={k: asyncio.Event() for k in keys[:2]})
    running = asyncio.create_task(
        Dispatcher(first, clock, {"test": slow}, concurrency=1).deliver_due()
    )
    other = Dispatcher(second, clock, {"test": Sender(platform, "b")})
    await slow.entering(keys[0]).wait()
    clock.advance(timedelta(seconds=50))
    assert not any(vars(await other.deliver_due()).values())  # all three are leased
    # The first send ends; claiming the second extends that row's lease from now.
    slow.hold[keys[0]].set()
    await slow.entering(keys[1]).wait()
    clock.advance(timedelta(seconds=50))  # 100 s after the batch was leased
    report = await other.deliver_due()
    # The row not yet claimed had only the batch's lease, run out: the other takes it. The
    # one being sent stays with its sender.
    assert report.sent == 1
    assert platform.by("b") == [keys[2]]
    slow.hold[keys[1]].set()
    await running
    assert platform.keys() == Counter({k: 1 for k in keys})
    assert platform.by("a") == keys[:2]
    assert await delivered(postgres_db) == 3


async def test_new_rows_wake_every_process(two: tuple[PostgresStore, PostgresStore]) -> None:
    first, second = two
    woken = [asyncio.Event(), asyncio.Event()]
    await first.watch_outbox(woken[0].set)
    await second.watch_outbox(woken[1].set)
    await queue(first, 2)
    # The notice comes at commit, through the server: a short bounded wait for it.
    await asyncio.wait_for(asyncio.gather(*(w.wait() for w in woken)), timeout=10)


async def test_a_row_one_process_queues_is_sent_by_another_woken_at_once(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two
    clock = FakeClock(START)
    sender = Sender(Platform(), "b")
    engine = Engine(second, clock, Dispatcher(second, clock, {"test": sender}), jobs=[])
    scheduler = Scheduler(engine)
    await second.watch_outbox(scheduler.poke)
    try:
        (queued,) = await queue(first, 1)  # the first process queues; nothing pokes the second
        await asyncio.wait_for(sender.posted.wait(), timeout=10)
    finally:
        scheduler.shutdown()
    assert sender.platform_state.by("b") == [f"cf-{queued}"]


async def test_a_row_leased_by_a_live_process_is_not_leased_again(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two
    await queue(first, 4)
    mine = await first.due_outbox(START, ["test"], 3)
    theirs = await second.due_outbox(START, ["test"], 10)
    assert len(mine) == 3
    assert len(theirs) == 1
    assert {d.item.id for d in mine}.isdisjoint(d.item.id for d in theirs)
    # Only the lease holder may send a row: the other's claim is refused.
    assert not await second.claim_outbox(mine[0].item.id, START)
    assert await first.claim_outbox(mine[0].item.id, START)


async def test_a_batch_is_small_enough_to_send_within_its_lease(
    two: tuple[PostgresStore, PostgresStore], tmp_path: Path
) -> None:
    shared, _ = two
    clock = FakeClock(START)
    platform = Platform()
    slow = Sender(platform, "a", max_per_second=1.0)
    # At one send a second, a quarter of the lease's worth; never more than SHARED_BATCH.
    assert Dispatcher(shared, clock, {"test": slow}).batch_size(500) == 15
    assert Dispatcher(shared, clock, {"test": Sender(platform, "b")}).batch_size(500) == 100
    lite = await SqliteStore.open(tmp_path / "crossfade.db")
    try:
        assert Dispatcher(lite, clock, {"test": Sender(platform, "c")}).batch_size(500) == 500
    finally:
        await lite.close()
