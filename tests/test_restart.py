"""A restart loses nothing and repeats nothing: what is due comes from the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.delivery import Dispatcher, Receipt, Target
from bot.messages import Message
from bot.storage.base import OUTBOX_LEASE
from bot.transport import SentWindow
from tests.harness import Harness
from tests.stores import Database, is_postgres

START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday
FIRST_PROMPT = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # next Monday 10:00 UTC
SPRINT = (
    '/sprint start goal:"Metadata authoring" skill:metadata deliverable:video-series '
    'deliverable-note:"Three short videos"'
)


def prompts(h: Harness, who: str = "ana") -> list[str]:
    return [s.message.title for s in h.transport.dms(who) if s.message.title.startswith("Weekly")]


@pytest.mark.asyncio
async def test_prompt_queued_before_a_crash_is_delivered_once_after_start(
    database: Database,
) -> None:
    db = database
    clock = FakeClock(START)
    async with await Harness.open(db, clock) as first:
        await first.run("ana", SPRINT)
        clock.set(FIRST_PROMPT)
        # The bot decides and queues the prompt, then stops before delivering it.
        report = await first.engine.decide()
        assert report["checkins.prompts"] == 1
        assert prompts(first) == []

    async with await Harness.open(db, clock) as second:
        await second.engine.tick()
        await second.engine.tick()
        assert prompts(second) == ["Weekly check-in · week 1 of 12"]

    async with await Harness.open(db, clock) as third:
        await third.engine.tick()
        assert prompts(third) == []  # already delivered: never twice


@pytest.mark.asyncio
async def test_bot_down_across_prompt_time_sends_it_at_start(database: Database) -> None:
    db = database
    clock = FakeClock(START)
    async with await Harness.open(db, clock) as first:
        await first.run("ana", SPRINT)

    clock.set(FIRST_PROMPT + timedelta(hours=30))  # down through Monday 10:00 and beyond
    async with await Harness.open(db, clock) as second:
        await second.engine.tick()
        assert prompts(second) == ["Weekly check-in · week 1 of 12"]
        # The reminder was due too (24 h after the prompt) and goes out once as well.
        reminders = [s for s in second.transport.dms("ana") if "Reminder" in s.message.title]
        assert len(reminders) == 1
        await second.engine.tick()
        assert len(second.transport.dms("ana")) == 2


@pytest.mark.asyncio
async def test_a_week_whose_window_passed_while_down_is_missed_not_prompted(
    database: Database,
) -> None:
    db = database
    clock = FakeClock(START)
    async with await Harness.open(db, clock) as first:
        await first.run("ana", SPRINT)

    clock.set(FIRST_PROMPT + timedelta(days=8))  # week 1 closed, week 2 open
    async with await Harness.open(db, clock) as second:
        await second.engine.tick()
        assert prompts(second) == ["Weekly check-in · week 2 of 12"]
        status = await second.run("ana", "/sprint status")
        assert status.message is not None
        fields = {f.name: f.value for f in status.message.fields}
        assert fields["Check-ins"] == ("0 done · 0 skipped · 1 missed",)


@dataclass
class Platform:
    """A stand-in chat platform that outlives the bot's process (like Slack's history)."""

    posted: dict[str, Receipt] = field(default_factory=dict)


class CrashAfterPosting(BaseException):
    """The process dies right after the platform accepted a message.

    A BaseException, as a kill is: the dispatcher retries a row's ordinary exceptions itself.
    """


@dataclass
class PlatformTransport:
    platform_state: Platform
    crash: bool = False
    platform: str = "test"
    max_per_second: float = float("inf")
    lookups_per_minute: float | None = None
    events: None = None

    async def send(self, target: Target, message: Message, *, key: str) -> Receipt:
        receipt = Receipt("D1", str(len(self.platform_state.posted) + 1))
        self.platform_state.posted[key] = receipt
        if self.crash:
            raise CrashAfterPosting()
        return receipt

    async def edit(self, target: Target, receipt: Receipt, message: Message) -> None:
        return None

    async def find_sent(
        self, target: Target, key: str, window: SentWindow | None = None
    ) -> Receipt | None:
        return self.platform_state.posted.get(key)


@pytest.mark.asyncio
async def test_crash_between_sending_and_marking_does_not_send_twice(database: Database) -> None:
    db = database
    clock = FakeClock(START)
    platform = Platform()
    async with await Harness.open(db, clock) as first:
        await first.run("ana", SPRINT)
        clock.set(FIRST_PROMPT)
        await first.engine.decide()
        dispatcher = Dispatcher(
            first.store, clock, {"test": PlatformTransport(platform, crash=True)}
        )
        with pytest.raises(CrashAfterPosting):
            await dispatcher.deliver_due()
    assert len(platform.posted) == 1

    async with await Harness.open(db, clock) as second:
        dispatcher = Dispatcher(second.store, clock, {"test": PlatformTransport(platform)})
        if is_postgres(db):
            # Another process may still be sending it: it waits out the dead one's lease.
            assert not any(vars(await dispatcher.deliver_due()).values())
            clock.advance(OUTBOX_LEASE)
        report = await dispatcher.deliver_due()
        assert report.recovered == 1
        assert report.sent == 0
        assert len(platform.posted) == 1
        counts = await second.store.outbox_counts()
        assert counts["delivered"] == 1
        assert counts.get("sending", 0) == 0
