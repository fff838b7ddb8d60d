"""Native platform events: a session mirrored as the platform's own event (Discord's Guild
Scheduled Events), created, edited and cancelled through the durable outbox.

A feature describes the event as a :class:`NativeEvent` and queues it with
:func:`event_outbox` in the same transaction as the decision behind it; a later row with the
same ``key`` brings the platform's event up to date, one with ``status=CANCELLED`` cancels it.
Only the newest state matters: rows of one key are delivered in order, and an older row found
after a newer one went out is skipped. Platforms without native events (Slack, the console)
have no ``Transport.events``: their rows are marked delivered and nothing is sent.

What the platform called the event (its id, ``ref``) is kept per key (``native_events``), so an
update edits it and a cancel cancels it. Creating is not idempotent: before the create goes
out storage notes that it is ``creating``, and while that note stands (a crash, a 5xx, an
answer lost) the next try first looks the event up on the platform by its key
(``EventTransport.find_event``) and creates it only if it isn't there.

A member showing interest in the native event ("Interested" on Discord) is answered as if
they had pressed a button with the event's ``interest_action`` (bot/native_interest.py), and
withdrawing it as ``uninterest_action`` (none: nothing happens); the answer goes by DM.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from bot.models import Destination, NewOutbox, OutboxItem

if TYPE_CHECKING:
    from bot.delivery import DeliveryReport, Target
    from bot.storage.base import DueOutbox, Store

# An event row's payload starts so (json.dumps keeps key order); a message's never does.
_ENVELOPE = "native_event"
_PREFIX = '{"' + _ENVELOPE + '"'
MAX_KEY = 200


class EventStatus(enum.Enum):
    """Whether the session still takes place."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


@dataclass(frozen=True, kw_only=True)
class NativeEvent:
    """One session as a platform's own event.

    ``key`` names the session for good (``clinic:12:2026-05-01``): every row with the same
    key is the same event. Where it happens is either ``location`` (a link or a place) or
    ``voice_channel`` (the platform's channel id, as a member picked it). ``interest_action``
    and ``uninterest_action`` are button action ids (bot/commands/registry.py).
    """

    key: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    location: str | None = None
    voice_channel: str | None = None
    interest_action: str
    uninterest_action: str | None = None
    status: EventStatus = EventStatus.SCHEDULED
    # The feature it belongs to: its rows, and the DMs answering interest, carry it.
    feature: str = ""

    def __post_init__(self) -> None:
        if not self.key.strip() or len(self.key) > MAX_KEY:
            raise ValueError(f"a native event key is 1-{MAX_KEY} characters: {self.key!r}")
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("native event times must be timezone-aware")
        if self.ends_at <= self.starts_at:
            raise ValueError("a native event must end after it starts")
        if (self.location is None) == (self.voice_channel is None):
            raise ValueError("a native event has either a location or a voice channel")
        if not self.interest_action:
            raise ValueError("a native event needs an interest action")

    def cancelled(self) -> NativeEvent:
        """The same event, called off."""
        return replace(self, status=EventStatus.CANCELLED)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (times in UTC)."""
        return {
            "key": self.key,
            "title": self.title,
            "description": self.description,
            "starts_at": self.starts_at.astimezone(UTC).isoformat(),
            "ends_at": self.ends_at.astimezone(UTC).isoformat(),
            "location": self.location,
            "voice_channel": self.voice_channel,
            "interest_action": self.interest_action,
            "uninterest_action": self.uninterest_action,
            "status": self.status.value,
            "feature": self.feature,
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> NativeEvent:
        """Inverse of :meth:`to_dict`."""
        return NativeEvent(
            key=str(data["key"]),
            title=str(data["title"]),
            description=str(data["description"]),
            starts_at=datetime.fromisoformat(data["starts_at"]),
            ends_at=datetime.fromisoformat(data["ends_at"]),
            location=data.get("location"),
            voice_channel=data.get("voice_channel"),
            interest_action=str(data["interest_action"]),
            uninterest_action=data.get("uninterest_action"),
            status=EventStatus(data.get("status", "scheduled")),
            feature=str(data.get("feature", "")),
        )


def event_outbox(
    community_id: int, event: NativeEvent, *, dedupe_key: str | None = None
) -> NewOutbox:
    """The outbox row that creates, updates or (``event.cancelled()``) cancels ``event``."""
    return NewOutbox(
        community_id=community_id,
        destination=Destination.community(),
        payload=json.dumps({_ENVELOPE: event.to_dict()}),
        dedupe_key=dedupe_key,
        feature=event.feature,
    )


def is_event_payload(payload: str) -> bool:
    """Whether an outbox row's payload is a native event rather than a message."""
    return payload.startswith(_PREFIX)


def carried(entry: DueOutbox) -> bool:
    """Whether a due outbox row carries a native event."""
    return is_event_payload(entry.item.payload)


def event_of(payload: str) -> NativeEvent:
    """The native event an outbox row carries."""
    return NativeEvent.from_dict(json.loads(payload)[_ENVELOPE])


class EventGone(Exception):
    """The platform no longer has the event at this ref (deleted by hand)."""


class EventTransport(Protocol):
    """A platform's native events; ``Transport.events`` is one, or None where there are none.

    Failures raise the core's DeliveryError, ``ambiguous`` when the platform may have acted.
    """

    async def upsert_event(self, target: Target, event: NativeEvent, ref: str | None) -> str:
        """Create the event (``ref`` None) or update the one at ``ref``; returns its id.

        Raises EventGone when the event at ``ref`` no longer exists.
        """
        ...

    async def cancel_event(self, target: Target, ref: str) -> None:
        """Cancel the event at ``ref`` (it stays listed as cancelled where the platform does)."""
        ...

    async def find_event(self, target: Target, key: str) -> str | None:
        """The live event this bot made for ``key``, if a create got through unanswered."""
        ...

    def adopted(self, target: Target, ref: str) -> None:
        """A found event is on record now; interest shown in it before went unrecognised."""
        ...


@dataclass(frozen=True)
class EventRecord:
    """What storage remembers of one native event on its platform."""

    community_id: int
    key: str
    ref: str | None
    status: EventStatus
    # The newest outbox row applied (0: none yet); an older one found later is skipped.
    applied_outbox_id: int
    # A create went out without its answer recorded: look before creating again.
    creating: bool
    event: NativeEvent | None


@dataclass(frozen=True)
class LiveEvent:
    """A scheduled native event not yet over, with where its community lives."""

    community_id: int
    community_ext_id: str
    key: str
    ref: str


@dataclass(frozen=True)
class Interest:
    """A member's interest in a native event as last answered."""

    member_id: int
    interested: bool
    # How many times it changed: names the DM each answer sends, so it goes once.
    answers: int


class NativeEventStore(Protocol):
    """Storage of native events' platform ids and members' interest in them."""

    async def native_event(self, community_id: int, key: str) -> EventRecord | None:
        """What is remembered of the event with this key."""
        ...

    async def native_event_by_ref(self, community_id: int, ref: str) -> EventRecord | None:
        """The event the platform calls ``ref``, if it is one of ours."""
        ...

    async def native_event_creating(self, community_id: int, key: str, now: datetime) -> None:
        """Note that a create is about to go out (a retry looks it up first)."""
        ...

    async def native_event_applied(
        self, outbox_id: int, community_id: int, event: NativeEvent, ref: str | None, now: datetime
    ) -> None:
        """Record the event's new state and platform id, and its outbox row delivered, at once.

        A new ref (the event made again) forgets the interest recorded for the old one.
        """
        ...

    async def live_native_events(self, platform: str, now: datetime) -> list[LiveEvent]:
        """Scheduled events on a platform that haven't ended."""
        ...

    async def native_interest(self, community_id: int, key: str) -> dict[int, Interest]:
        """Members' recorded interest in an event, by member id."""
        ...

    async def record_interest(
        self,
        community_id: int,
        key: str,
        member_id: int,
        interested: bool,
        read: Interest | None,
        dm: NewOutbox | None,
        now: datetime,
    ) -> bool:
        """Record a change of interest with its DM, if it is still as ``read``; else False."""
        ...


class EventOutcome(enum.Enum):
    """What delivering one native event row did."""

    CREATED = "created"
    UPDATED = "updated"
    # An earlier, unanswered create had got there: found and brought up to date.
    FOUND = "found"
    CANCELLED = "cancelled"
    # Nothing sent: no native events on the platform, a newer state went out, or not claimed.
    SKIPPED = "skipped"

    def count(self, report: DeliveryReport) -> None:
        """Add this to a delivery pass's report (a create is a send, the rest edits)."""
        if self is EventOutcome.CREATED:
            report.sent += 1
        elif self is EventOutcome.FOUND:
            report.recovered += 1
        elif self is EventOutcome.SKIPPED:
            report.skipped += 1
        else:
            report.edited += 1


async def deliver_event(
    store: Store,
    events: EventTransport | None,
    target: Target,
    item: OutboxItem,
    now: datetime,
) -> EventOutcome:
    """Apply one native event row on its platform; DeliveryError propagates for retrying."""
    event = event_of(item.payload)
    if events is None:
        await store.mark_delivered(item.id, None, None, now)
        return EventOutcome.SKIPPED
    record = await store.native_event(item.community_id, event.key)
    if record is not None and record.applied_outbox_id > item.id:
        # A newer state of the event went out first: this one would only undo it.
        await store.mark_delivered(item.id, None, record.ref, now)
        return EventOutcome.SKIPPED
    if not await store.claim_outbox(item.id, now):
        return EventOutcome.SKIPPED
    live = record is not None and record.status is EventStatus.SCHEDULED
    ref = record.ref if record is not None and live else None
    creating = record is not None and record.creating
    if event.status is EventStatus.CANCELLED:
        if ref is None and creating:
            ref = await events.find_event(target, event.key)
        if ref is not None:
            with suppress(EventGone):
                await events.cancel_event(target, ref)
        kept = ref or (record.ref if record is not None else None)
        await store.native_event_applied(item.id, item.community_id, event, kept, now)
        return EventOutcome.CANCELLED
    outcome = EventOutcome.UPDATED
    if ref is not None:
        try:
            await events.upsert_event(target, event, ref)
        except EventGone:
            ref = None  # deleted on the platform by hand: make it again
    if ref is None and creating:
        ref = await events.find_event(target, event.key)
        if ref is not None:
            await events.upsert_event(target, event, ref)
            outcome = EventOutcome.FOUND
    if ref is None:
        await store.native_event_creating(item.community_id, event.key, now)
        ref = await events.upsert_event(target, event, None)
        outcome = EventOutcome.CREATED
    await store.native_event_applied(item.id, item.community_id, event, ref, now)
    if outcome is EventOutcome.FOUND:
        events.adopted(target, ref)
    return outcome


def event_queues(due: Sequence[DueOutbox]) -> list[list[DueOutbox]]:
    """Native event rows grouped per event, oldest first, so each event's rows go in order."""
    queues: dict[tuple[int, str], list[DueOutbox]] = {}
    for entry in sorted(due, key=lambda d: d.item.id):
        if carried(entry):
            key = (entry.item.community_id, event_of(entry.item.payload).key)
            queues.setdefault(key, []).append(entry)
    return list(queues.values())
