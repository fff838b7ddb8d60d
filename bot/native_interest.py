"""Members' interest in native platform events, answered as the button presses they stand for.

When a member marks a native event "Interested", the platform's adapter calls
:meth:`NativeInterest.changed`; the core then presses the event's ``interest_action`` as that
member (``uninterest_action`` when they withdraw it; no such action: nothing happens) and, as
there is no interaction to reply to, queues the answer to them by DM. Each change is recorded
per member and event, guarded on what was read, so a click and a re-read racing press once
more at most (the action must be idempotent, as a button's is) and DM once.

Clicks made while the bot was offline arrive as no event: after a reconnect the adapter hands
the platform's whole list of interested members to :meth:`NativeInterest.sync`, which answers
whoever is new and whoever left, and nobody twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.clock import Clock
from bot.messages import Response
from bot.models import Actor, Destination, Member, NewOutbox
from bot.native_events import EventRecord, EventStatus, Interest, LiveEvent
from bot.storage.base import Store

log = logging.getLogger(__name__)

Press = Callable[[Actor, str], Awaitable[Response]]


class NativeInterest:
    """Turns interest shown on a platform's native event into the core's button presses."""

    def __init__(
        self, store: Store, clock: Clock, press: Press, on_queued: Callable[[], None]
    ) -> None:
        self.store = store
        self.clock = clock
        self._press = press
        self._on_queued = on_queued

    async def changed(self, actor: Actor, ref: str, interested: bool) -> bool:
        """A member marked (or unmarked) the platform's event ``ref``; True if it was news."""
        community, member = await self.store.ensure_member(actor, self.clock.now())
        record = await self.store.native_event_by_ref(community.id, ref)
        if record is None:
            return False  # not an event of ours
        read = (await self.store.native_interest(community.id, record.key)).get(member.id)
        return await self._answer(actor, member, record, read, interested)

    async def sync(self, platform: str, event: LiveEvent, interested: Sequence[Actor]) -> int:
        """Everyone interested in a live event as the platform lists them now: answer each
        change missed meanwhile (new interest, withdrawn interest); returns how many."""
        record = await self.store.native_event(event.community_id, event.key)
        if record is None or record.ref != event.ref:
            return 0  # changed meanwhile; the next re-read sees the new one
        known = await self.store.native_interest(event.community_id, event.key)
        listed = [(a, (await self.store.ensure_member(a, self.clock.now()))[1]) for a in interested]
        here = {member.id for _, member in listed}
        answered = 0
        # Those who left first: a seat they gave back may go to someone who came meanwhile.
        for member_id, was in known.items():
            if was.interested and member_id not in here:
                member = await self.store.get_member(member_id)
                actor = Actor(platform, event.community_ext_id, member.ext_id, "")
                answered += await self._answer(actor, member, record, was, False)
        for actor, member in listed:
            answered += await self._answer(actor, member, record, known.get(member.id), True)
        return answered

    async def live(self, platform: str) -> list[LiveEvent]:
        """The platform's scheduled events that haven't ended, to re-read after a reconnect."""
        return await self.store.live_native_events(platform, self.clock.now())

    async def _answer(
        self,
        actor: Actor,
        member: Member,
        record: EventRecord,
        read: Interest | None,
        interested: bool,
    ) -> bool:
        if (read.interested if read is not None else False) == interested:
            return False
        if record.event is None or record.status is not EventStatus.SCHEDULED:
            return False  # called off: nothing to answer
        event = record.event
        action = event.interest_action if interested else event.uninterest_action
        dm: NewOutbox | None = None
        if action is not None:
            response = await self._press(actor, action)
            if response.message is not None:
                answers = read.answers + 1 if read is not None else 1
                dm = NewOutbox(
                    community_id=record.community_id,
                    destination=Destination.dm(member.id),
                    payload=json.dumps(response.message.to_dict()),
                    dedupe_key=f"native-interest:{record.community_id}:{record.key}:"
                    f"{member.id}:{answers}",
                    feature=event.feature,
                )
        recorded = await self.store.record_interest(
            record.community_id, record.key, member.id, interested, read, dm, self.clock.now()
        )
        if not recorded:
            log.info("member %s: interest in %s was answered meanwhile", member.id, record.key)
        elif dm is not None:
            self._on_queued()
        return recorded
