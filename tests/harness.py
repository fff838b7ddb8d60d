"""A test backend for the core: a real database, a fake clock and a recording transport.

Like errbot's test backend: run a command as a member, then pop what the bot sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bot.app import Crossfade
from bot.clock import FakeClock
from bot.delivery import DeliveryError, Dispatcher, Receipt, Target
from bot.engine import Engine
from bot.features import FEATURES
from bot.features.base import Feature, jobs_of
from bot.messages import Message, Response, plain
from bot.metrics import Metrics
from bot.models import DestinationKind
from bot.storage.sqlite import SqliteStore
from bot.transport import SentWindow
from tests.stores import AnyStore, Database, open_store

PLATFORM = "test"
COMMUNITY = "T1"


@dataclass
class Sent:
    """One message the bot posted (or edited)."""

    target: Target
    message: Message
    key: str
    receipt: Receipt
    at: datetime
    edit: bool = False

    @property
    def text(self) -> str:
        """Title, body and fields as plain text, for assertions."""
        m = self.message
        parts = [m.title, plain(m.body)] + [f"{f.name}: {plain(f.value)}" for f in m.fields]
        return "\n".join(parts)


@dataclass
class RecordingTransport:
    """Records every send; can be told to fail the next sends."""

    clock: FakeClock
    platform: str = PLATFORM
    max_per_second: float = float("inf")
    lookups_per_minute: float | None = None
    events: None = None
    sent: list[Sent] = field(default_factory=list)
    failures: list[DeliveryError] = field(default_factory=list)
    closed_dms: set[str] = field(default_factory=set)

    async def send(self, target: Target, message: Message, *, key: str) -> Receipt:
        if self.failures:
            raise self.failures.pop(0)
        if target.kind is DestinationKind.DM and target.user_id in self.closed_dms:
            from bot.delivery import RecipientUnreachable

            raise RecipientUnreachable("Cannot send messages to this user")
        channel = target.channel_id or f"D-{target.user_id}"
        receipt = Receipt(channel, str(len(self.sent) + 1))
        self.sent.append(Sent(target, message, key, receipt, self.clock.now()))
        return receipt

    async def edit(self, target: Target, receipt: Receipt, message: Message) -> None:
        self.sent.append(Sent(target, message, "", receipt, self.clock.now(), edit=True))

    async def find_sent(
        self, target: Target, key: str, window: SentWindow | None = None
    ) -> Receipt | None:
        return next((s.receipt for s in self.sent if s.key == key), None)

    def dms(self, user: str) -> list[Sent]:
        """Messages sent to a member's DMs, oldest first."""
        return [s for s in self.sent if s.target.user_id == user and not s.edit]

    def channel(self, name: str) -> list[Sent]:
        """Posts in a channel."""
        return [s for s in self.sent if s.target.channel_id == name and not s.edit]

    def edits(self) -> list[Sent]:
        """Edits of earlier messages."""
        return [s for s in self.sent if s.edit]


class Harness:
    """The core wired to a real database, a fake clock and a recording transport."""

    def __init__(
        self,
        store: AnyStore,
        clock: FakeClock,
        features: Sequence[Feature] = FEATURES,
        *,
        database: Database | None = None,
    ) -> None:
        self.store = store
        # What the store was opened on, for tests that read rows straight from it.
        self.database: Database = database if database is not None else Path(str(store.path))
        self.clock = clock
        self.transport = RecordingTransport(clock)
        # The process's metrics, read by the tests of /metrics.
        self.metrics = Metrics()
        self.core = Crossfade(store, clock, features=features, metrics=self.metrics)
        # Sends run side by side; on SQLite the one connection still takes their store calls
        # in order, on PostgreSQL's pool they may finish in any order. One at a time there
        # keeps the order the tests read the way SQLite gives it (order across concurrent
        # sends isn't something the core promises).
        one_at_a_time = {} if isinstance(store, SqliteStore) else {"concurrency": 1}
        dispatcher = Dispatcher(
            store,
            clock,
            {PLATFORM: self.transport},
            features=features,
            metrics=self.metrics,
            **one_at_a_time,
        )
        self.engine = Engine(store, clock, dispatcher, jobs_of(features), metrics=self.metrics)

    @classmethod
    async def open(
        cls, database: Database, clock: FakeClock, features: Sequence[Feature] = FEATURES
    ) -> Harness:
        """A harness on a database (an SQLite file or a PostgreSQL address), with these features."""
        return cls(await open_store(database), clock, features, database=database)

    async def close(self) -> None:
        """Close the database."""
        await self.store.close()

    async def __aenter__(self) -> Harness:
        return self

    async def __aexit__(self, *exc: object) -> None:
        # Always close: an open aiosqlite thread would keep the test process alive.
        await self.close()

    def actor(self, name: str, *, admin: bool = False, channel: str | None = "general"):  # type: ignore[no-untyped-def]
        """A member of the test community."""
        from bot.models import Actor

        return Actor(PLATFORM, COMMUNITY, name, name.capitalize(), "Test community", admin, channel)

    async def run(
        self,
        name: str,
        line: str,
        *,
        admin: bool = False,
        channel: str | None = "general",
        forms: bool = False,
    ) -> Response:
        """Run a typed command as a member, then deliver whatever it queued."""
        response = await self.core.run_line(
            self.actor(name, admin=admin, channel=channel), line, forms=forms
        )
        await self.engine.tick()
        return response

    async def press(self, name: str, action: str) -> Response:
        """Press a button as a member, then deliver whatever it queued."""
        response = await self.core.press(self.actor(name), action)
        await self.engine.tick()
        return response

    async def confirmed(self, name: str, line: str) -> Response:
        """Run a command that asks for a confirmation first, and press its first button."""
        asked = await self.run(name, line)
        assert asked.message is not None
        assert asked.message.buttons, reply_text(asked)
        return await self.press(name, asked.message.buttons[0].action)

    async def setup_channels(self) -> None:
        """An admin maps the check-ins and announcements channels."""
        await self.run("admin", "/admin channel purpose:checkins", admin=True, channel="check-ins")
        await self.run(
            "admin", "/admin channel purpose:announcements", admin=True, channel="announcements"
        )

    async def advance(self, delta: timedelta) -> None:
        """Fast-forward, firing everything due on the way."""
        await self.engine.run_until(self.clock, self.clock.now() + delta)

    async def advance_to(self, moment: datetime) -> None:
        """Fast-forward to a moment."""
        await self.engine.run_until(self.clock, moment)


def reply_text(response: Response) -> str:
    """A response's message as plain text."""
    assert response.message is not None, response
    m = response.message
    parts = [m.title, plain(m.body)] + [f"{f.name}: {plain(f.value)}" for f in m.fields]
    parts.append(plain(m.footer))
    return "\n".join(p for p in parts if p)
