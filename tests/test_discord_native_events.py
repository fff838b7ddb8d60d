"""Native events on Discord: outbox rows mirrored as Guild Scheduled Events on the fake.

No feature uses native events yet, so a tiny test feature stands in: its ``test.rsvp`` button
gives a member a seat (idempotently, as a button must be) and ``test.unrsvp`` takes it back.
Each test queues NativeEvent rows as a feature would and lets the real engine deliver them
through discord.py to the loopback fake.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.app import build_registry
from bot.clock import FakeClock
from bot.commands.registry import Registry
from bot.context import Context
from bot.messages import Message, Response, text
from bot.native_events import NativeEvent, event_outbox
from bot.storage.sqlite import SqliteStore
from tests.discord_stack import START, DiscordStack, assert_nothing_pings, text_of
from tests.fakes.discord_events_fake import (
    CANCELED,
    EXTERNAL,
    INTENT_GUILD_SCHEDULED_EVENTS,
    ROUTE_EVENT_CREATE,
    ROUTE_EVENT_EDIT,
    ROUTE_EVENT_USERS,
    ROUTE_EVENTS_LIST,
    ROUTE_MEMBER_GET,
    SCHEDULED,
    STAGE,
    VOICE,
)
from tests.fakes.discord_fake import DiscordFake, FakeChannel, FakeGuild, FakeUser, FaultKind
from tests.fakes.discord_fixtures import (
    FAKE_APPLICATION_ID,
    FAKE_CHANNEL_ID,
    FAKE_GUILD_ID,
    FAKE_HEARTBEAT_MS,
    FAKE_TOKEN,
    FAKE_USER_ID,
    patch_discord_py,
)
from tests.fakes.discord_fixtures import FAKE_DM_CLOSED_USER_ID as GRACE_ID

VOICE_ID = 1100000000000000210
STAGE_ID = 1100000000000000211
LIN_ID = 1100000000000000303
STARTS = START + timedelta(days=10)


class Seats:
    """The test feature: one session's seats, given by ``test.rsvp:<session>``."""

    def __init__(self) -> None:
        self.going: dict[str, list[str]] = {}
        self.presses: list[tuple[str, str, str]] = []

    def registry(self) -> Registry:
        registry = build_registry()
        registry.action("test.rsvp", self.rsvp)
        registry.action("test.unrsvp", self.unrsvp)
        return registry

    async def rsvp(self, ctx: Context, args: list[str]) -> Response:
        (session,) = args
        going = self.going.setdefault(session, [])
        self.presses.append(("rsvp", session, ctx.member.ext_id))
        if ctx.member.ext_id not in going:
            going.append(ctx.member.ext_id)
        seat = going.index(ctx.member.ext_id) + 1
        body = text(f"{ctx.member.display_name}, you have seat {seat} at session {session}.")
        return Response(Message(title="You're going", body=body))

    async def unrsvp(self, ctx: Context, args: list[str]) -> Response:
        (session,) = args
        self.presses.append(("unrsvp", session, ctx.member.ext_id))
        if ctx.member.ext_id in self.going.get(session, []):
            self.going[session].remove(ctx.member.ext_id)
        return Response(
            Message(
                title="Seat given back",
                body=text(f"See you another time, {ctx.member.display_name}."),
            )
        )


def session(**changes: Any) -> NativeEvent:
    """A session as a feature would mirror it (an external one, with a link)."""
    base = NativeEvent(
        key="test:session:1",
        title="Calibration clinic",
        description="Bring a room measurement. @everyone welcome.",
        starts_at=STARTS,
        ends_at=STARTS + timedelta(minutes=90),
        location="https://meet.example/clinic",
        interest_action="test.rsvp:1",
        uninterest_action="test.unrsvp:1",
    )
    return replace(base, **changes)


def make_fake() -> DiscordFake:
    guild = FakeGuild(
        id=FAKE_GUILD_ID,
        name="Crossfade Test Guild",
        channels=(
            FakeChannel(FAKE_CHANNEL_ID, "general"),
            FakeChannel(VOICE_ID, "clinic-room", type=2, position=1),
            FakeChannel(STAGE_ID, "main-stage", type=13, position=2),
        ),
        members=(
            FakeUser(FAKE_USER_ID, "ada", global_name="Ada"),
            FakeUser(GRACE_ID, "grace", global_name="Grace"),
            FakeUser(LIN_ID, "lin", global_name="Lin"),
        ),
        owner_id=FAKE_USER_ID,
    )
    return DiscordFake(
        token=FAKE_TOKEN,
        application_id=FAKE_APPLICATION_ID,
        guilds=[guild],
        dm_closed_user_ids=[GRACE_ID],
        heartbeat_interval_ms=FAKE_HEARTBEAT_MS,
    )


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[DiscordFake]:
    discord_fake = make_fake()
    await discord_fake.start()
    try:
        with patch_discord_py(discord_fake):
            yield discord_fake
    finally:
        await discord_fake.stop()


@asynccontextmanager
async def stack_on(fake: DiscordFake, path: Path, seats: Seats) -> AsyncIterator[DiscordStack]:
    store = await SqliteStore.open(path)
    stack = DiscordStack(fake, store, FakeClock(START), registry=seats.registry())
    try:
        await stack.adapter.start()
        yield stack
    finally:
        await stack.adapter.stop()
        await store.close()


@pytest_asyncio.fixture
async def seats() -> Seats:
    return Seats()


@pytest_asyncio.fixture
async def stack(fake: DiscordFake, seats: Seats, tmp_path: Path) -> AsyncIterator[DiscordStack]:
    async with stack_on(fake, tmp_path / "crossfade.db", seats) as running:
        yield running


async def queue(stack: DiscordStack, *events: NativeEvent) -> list[int]:
    """Queue native event rows for the test guild, as a feature's decision would."""
    community, _ = await stack.member()
    rows = [event_outbox(community.id, e) for e in events]
    return await stack.store.enqueue(rows, stack.clock.now())


def dms(fake: DiscordFake, user_id: int) -> list[str]:
    """What a member read in their DMs (the outbox's hidden key left out)."""
    shown = (text_of(m) for m in fake.messages(fake.dm_channel_id(user_id)))
    return [re.sub("[\u200b\u200c\u2060]", "", s).strip() for s in shown]


async def clicked(stack: DiscordStack, count: int = 1) -> None:
    """Wait until the adapter has asked who clicked ``count`` times and answered it all."""
    await stack.fake.wait_for(ROUTE_MEMBER_GET, count)
    await stack.adapter.interest.settled()


async def reread(stack: DiscordStack, count: int) -> None:
    """Wait until the adapter has re-read interested users ``count`` times, and answered."""
    await stack.fake.wait_for(ROUTE_EVENT_USERS, count)
    await stack.adapter.interest.settled()


# ---------------------------------------------------------------------- the REST mirror


@pytest.mark.asyncio
async def test_a_row_creates_one_event_an_update_edits_it_and_a_cancel_cancels_it(
    stack: DiscordStack,
) -> None:
    fake = stack.fake
    (created_row,) = await queue(stack, session())
    await stack.engine.tick()

    (create,) = fake.find(ROUTE_EVENT_CREATE)
    assert create.status == 200
    body = create.json
    assert body["entity_type"] == EXTERNAL
    assert body["entity_metadata"] == {"location": "https://meet.example/clinic"}
    assert body["name"] == "Calibration clinic"
    assert body["scheduled_start_time"] == "2026-12-10T08:00:00+00:00"
    assert body["scheduled_end_time"] == "2026-12-10T09:30:00+00:00"
    assert body["privacy_level"] == 2
    assert "channel_id" not in body
    # User text can't ping, and the key rides along invisibly for a later lookup.
    assert body["description"].startswith("Bring a room measurement. @\u200beveryone welcome.")
    (event,) = fake.events_in(FAKE_GUILD_ID)
    row = await stack.store.get_outbox(created_row)
    assert row is not None
    assert (row.status.value, row.message_ref) == ("delivered", event["id"])

    moved = session(
        title="Calibration clinic (moved)",
        starts_at=STARTS + timedelta(days=1),
        ends_at=STARTS + timedelta(days=1, hours=2),
    )
    await queue(stack, moved)
    await stack.engine.tick()

    assert len(fake.find(ROUTE_EVENT_CREATE)) == 1
    (edit,) = fake.find(ROUTE_EVENT_EDIT)
    assert edit.path == f"/guilds/{FAKE_GUILD_ID}/scheduled-events/{event['id']}"
    (event,) = fake.events_in(FAKE_GUILD_ID)
    assert event["name"] == "Calibration clinic (moved)"
    assert event["scheduled_start_time"] == "2026-12-11T08:00:00+00:00"
    assert event["status"] == SCHEDULED

    await queue(stack, moved.cancelled())
    await stack.engine.tick()

    cancel = fake.find(ROUTE_EVENT_EDIT)[-1]
    assert cancel.json == {"status": CANCELED}
    assert [e["status"] for e in fake.events_in(FAKE_GUILD_ID)] == [CANCELED]
    assert fake.events_in(FAKE_GUILD_ID, live=True) == []
    assert await stack.store.outbox_counts() == {"delivered": 3}


@pytest.mark.asyncio
async def test_a_session_in_a_voice_or_stage_channel_is_an_event_there(
    stack: DiscordStack,
) -> None:
    fake = stack.fake
    await queue(stack, session(location=None, voice_channel=str(VOICE_ID)))
    await stack.engine.tick()
    (create,) = fake.find(ROUTE_EVENT_CREATE)
    assert (create.json["entity_type"], create.json["channel_id"]) == (VOICE, str(VOICE_ID))
    assert "entity_metadata" not in create.json

    # Moved to the stage, then out to a place: the same event each time.
    await queue(stack, session(location=None, voice_channel=str(STAGE_ID)))
    await stack.engine.tick()
    await queue(stack, session(location="Studio B, 2nd floor"))
    await stack.engine.tick()
    stage, place = (r.json for r in fake.find(ROUTE_EVENT_EDIT))
    assert (stage["entity_type"], stage["channel_id"]) == (STAGE, str(STAGE_ID))
    assert (place["entity_type"], place["channel_id"]) == (EXTERNAL, None)
    (event,) = fake.events_in(FAKE_GUILD_ID)
    assert event["entity_metadata"] == {"location": "Studio B, 2nd floor"}
    assert all(r.status == 200 for r in fake.requests if "scheduled-events" in r.path)


@pytest.mark.asyncio
async def test_rows_of_one_event_go_in_order_and_an_older_one_never_undoes_a_newer(
    stack: DiscordStack,
) -> None:
    fake = stack.fake
    # Two states decided before any was delivered: one create, then an edit, in that order.
    await queue(stack, session(title="First"), session(title="Second"))
    await stack.engine.tick()
    assert len(fake.find(ROUTE_EVENT_CREATE)) == 1
    assert [r.json["name"] for r in fake.find(ROUTE_EVENT_EDIT)] == ["Second"]

    # A state that must wait (no permission yet) is overtaken by a newer one ...
    fake.inject_error(ROUTE_EVENT_EDIT, 403, code=50013, message="Missing Permissions")
    (waiting, _) = await queue(stack, session(title="Third"), session(title="Fourth"))
    await stack.engine.tick()
    assert fake.events_in(FAKE_GUILD_ID)[0]["name"] == "Fourth"
    row = await stack.store.get_outbox(waiting)
    assert row is not None
    assert row.status.value == "pending"
    assert "Create Events" in (row.last_error or "")

    # ... and once it may go, it is dropped rather than put back.
    await stack.advance(timedelta(days=1, minutes=1))
    assert fake.events_in(FAKE_GUILD_ID)[0]["name"] == "Fourth"
    assert len(fake.find(ROUTE_EVENT_EDIT)) == 3
    assert await stack.store.outbox_counts() == {"delivered": 4}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("kind", "status"),
    [("server_error", 500), ("server_error", 503), ("html", 502), ("reset", None), ("lost", None)],
)
async def test_a_create_discord_may_have_stored_is_looked_up_and_never_doubled(
    stack: DiscordStack, kind: FaultKind, status: int | None
) -> None:
    fake = stack.fake
    if kind == "lost":
        events = stack.adapter.discord_transport.events
        assert events is not None
        events.post_timeout = 0.3  # type: ignore[attr-defined]
    # Discord stores the event, then the answer is an error, a reset or nothing at all.
    fake.inject_fault(ROUTE_EVENT_CREATE, kind, status=status)
    (row_id,) = await queue(stack, session())

    await stack.engine.tick()

    # discord.py repeats a 500 or a 502 by itself: the repeat is refused (no second event).
    assert [r.fault for r in fake.find(ROUTE_EVENT_CREATE)] == [kind]
    assert len(fake.events_in(FAKE_GUILD_ID)) == 1
    row = await stack.store.get_outbox(row_id)
    assert row is not None
    assert row.status.value == "pending"

    await stack.advance(timedelta(minutes=5))

    assert len(fake.find(ROUTE_EVENTS_LIST)) == 1  # looked for it first ...
    assert len(fake.find(ROUTE_EVENT_CREATE)) == 1  # ... found it, so created nothing more
    (event,) = fake.events_in(FAKE_GUILD_ID)
    row = await stack.store.get_outbox(row_id)
    assert row is not None
    assert (row.status.value, row.message_ref) == ("delivered", event["id"])

    # From then on it is known: an update edits that one.
    await queue(stack, session(title="Renamed"))
    await stack.engine.tick()
    assert [e["name"] for e in fake.events_in(FAKE_GUILD_ID)] == ["Renamed"]
    assert len(fake.find(ROUTE_EVENTS_LIST)) == 1


@pytest.mark.asyncio
async def test_a_create_that_never_reached_discord_is_looked_for_then_made(
    stack: DiscordStack,
) -> None:
    fake = stack.fake
    fake.inject_fault(ROUTE_EVENT_CREATE, "server_error", status=503, stored=False)
    await queue(stack, session())
    await stack.engine.tick()
    assert fake.events_in(FAKE_GUILD_ID) == []

    await stack.advance(timedelta(minutes=5))

    assert len(fake.find(ROUTE_EVENTS_LIST)) == 1
    assert len(fake.find(ROUTE_EVENT_CREATE)) == 2
    assert len(fake.events_in(FAKE_GUILD_ID)) == 1


@pytest.mark.asyncio
async def test_an_event_deleted_by_hand_is_made_again_on_its_next_update(
    stack: DiscordStack,
) -> None:
    fake = stack.fake
    await queue(stack, session())
    await stack.engine.tick()
    (first,) = fake.events_in(FAKE_GUILD_ID)
    fake.delete_event_by_hand(int(first["id"]))

    await queue(stack, session(title="Still on"))
    await stack.engine.tick()

    (again,) = fake.events_in(FAKE_GUILD_ID)
    assert again["id"] != first["id"]
    assert again["name"] == "Still on"
    assert [r.status for r in fake.find(ROUTE_EVENT_EDIT)] == [404]


# ---------------------------------------------------------------------- interest


async def mirrored(stack: DiscordStack) -> int:
    """A session mirrored on Discord; its event id."""
    await queue(stack, session())
    await stack.engine.tick()
    (event,) = stack.fake.events_in(FAKE_GUILD_ID)
    return int(event["id"])


@pytest.mark.asyncio
async def test_interested_on_discord_is_pressed_as_that_member_and_answered_by_dm(
    stack: DiscordStack, seats: Seats
) -> None:
    fake = stack.fake
    event_id = await mirrored(stack)
    # The bot asked for the intent that brings these events.
    assert all(s.intents & INTENT_GUILD_SCHEDULED_EVENTS for s in fake.sessions)

    await fake.add_event_user(FAKE_GUILD_ID, event_id, FAKE_USER_ID)
    await clicked(stack)

    assert seats.presses == [("rsvp", "1", str(FAKE_USER_ID))]
    assert seats.going == {"1": [str(FAKE_USER_ID)]}
    await stack.engine.tick()
    assert dms(fake, FAKE_USER_ID) == ["You're going\nAda, you have seat 1 at session 1."]

    await fake.remove_event_user(FAKE_GUILD_ID, event_id, FAKE_USER_ID)
    await clicked(stack, 2)
    await stack.engine.tick()
    assert seats.presses[-1] == ("unrsvp", "1", str(FAKE_USER_ID))
    assert seats.going == {"1": []}
    assert dms(fake, FAKE_USER_ID)[-1] == "Seat given back\nSee you another time, Ada."

    # Interested again: a seat again, told again.
    await fake.add_event_user(FAKE_GUILD_ID, event_id, FAKE_USER_ID)
    await clicked(stack, 3)
    await stack.engine.tick()
    assert len(seats.presses) == 3
    assert len(dms(fake, FAKE_USER_ID)) == 3
    assert assert_nothing_pings(fake) >= 3


@pytest.mark.asyncio
async def test_a_repeated_add_presses_nothing_more_and_without_uninterest_a_remove_is_kept(
    stack: DiscordStack, seats: Seats
) -> None:
    fake = stack.fake
    await queue(stack, session(uninterest_action=None))
    await stack.engine.tick()
    (event,) = fake.events_in(FAKE_GUILD_ID)
    event_id = int(event["id"])

    await fake.add_event_user(FAKE_GUILD_ID, event_id, LIN_ID)
    await clicked(stack)
    # Discord sends the same add again (a replay after a resume, say).
    again = {"guild_scheduled_event_id": str(event_id), "user_id": str(LIN_ID)}
    await fake.dispatch("GUILD_SCHEDULED_EVENT_USER_ADD", {**again, "guild_id": str(FAKE_GUILD_ID)})
    await clicked(stack, 2)
    await fake.remove_event_user(FAKE_GUILD_ID, event_id, LIN_ID)
    await clicked(stack, 3)
    await stack.engine.tick()

    assert seats.presses == [("rsvp", "1", str(LIN_ID))]
    assert seats.going == {"1": [str(LIN_ID)]}  # no uninterest action: the seat stays
    assert dms(fake, LIN_ID) == ["You're going\nLin, you have seat 1 at session 1."]


@pytest.mark.asyncio
async def test_interest_in_an_event_that_is_not_ours_is_ignored(
    stack: DiscordStack, seats: Seats
) -> None:
    fake = stack.fake
    await mirrored(stack)
    await fake.add_event_user(FAKE_GUILD_ID, 1100000000000009999, FAKE_USER_ID)
    await clicked(stack)
    await stack.engine.tick()
    assert seats.presses == []
    assert dms(fake, FAKE_USER_ID) == []


@pytest.mark.asyncio
async def test_interest_shown_while_offline_is_picked_up_after_a_reconnect_once(
    stack: DiscordStack, seats: Seats
) -> None:
    fake = stack.fake
    client = stack.adapter.client
    event_id = await mirrored(stack)
    await fake.add_event_user(FAKE_GUILD_ID, event_id, FAKE_USER_ID)
    await clicked(stack)
    await stack.engine.tick()
    assert len(fake.find(ROUTE_EVENT_USERS)) == 0  # nothing to re-read before the event

    # Offline: Discord never tells of these (Lin comes, Ada goes), not even after a resume.
    await fake.add_event_user(FAKE_GUILD_ID, event_id, LIN_ID, dispatch=False)
    await fake.remove_event_user(FAKE_GUILD_ID, event_id, FAKE_USER_ID, dispatch=False)
    resumed = asyncio.ensure_future(client.wait_for("resumed", timeout=5))
    await fake.disconnect_gateway(4000)
    await resumed
    await reread(stack, 1)
    await stack.engine.tick()

    # Who left is answered first, so a seat given back can go to whoever came.
    assert seats.presses[1:] == [("unrsvp", "1", str(FAKE_USER_ID)), ("rsvp", "1", str(LIN_ID))]
    assert seats.going == {"1": [str(LIN_ID)]}
    assert dms(fake, LIN_ID) == ["You're going\nLin, you have seat 1 at session 1."]
    assert len(dms(fake, FAKE_USER_ID)) == 2

    # Another reconnect reads them again: nothing new, so nobody is pressed or told twice.
    resumed = asyncio.ensure_future(client.wait_for("resumed", timeout=5))
    await fake.disconnect_gateway(4000)
    await resumed
    await reread(stack, 2)
    await stack.engine.tick()
    assert len(seats.presses) == 3
    assert len(dms(fake, LIN_ID)) == 1
    assert len(dms(fake, FAKE_USER_ID)) == 2


@pytest.mark.asyncio
async def test_interest_shown_while_the_bot_was_down_is_answered_at_the_next_start(
    fake: DiscordFake, tmp_path: Path
) -> None:
    db = tmp_path / "restart.db"
    seats = Seats()
    async with stack_on(fake, db, seats) as first:
        event_id = await mirrored(first)
    await fake.add_event_user(FAKE_GUILD_ID, event_id, LIN_ID, dispatch=False)

    async with stack_on(fake, db, seats) as second:
        await reread(second, 1)
        await second.engine.tick()
        assert seats.presses == [("rsvp", "1", str(LIN_ID))]
        assert dms(fake, LIN_ID) == ["You're going\nLin, you have seat 1 at session 1."]


@pytest.mark.asyncio
async def test_a_long_list_of_interested_users_is_read_page_by_page(
    fake: DiscordFake, tmp_path: Path
) -> None:
    db = tmp_path / "pages.db"
    seats = Seats()
    async with stack_on(fake, db, seats) as first:
        event_id = await mirrored(first)
    crowd = [LIN_ID + 1000 + n for n in range(105)]
    for user_id in crowd:
        await fake.add_event_user(FAKE_GUILD_ID, event_id, user_id, dispatch=False)

    async with stack_on(fake, db, seats) as second:
        await reread(second, 2)
        pages = fake.find(ROUTE_EVENT_USERS)
        assert [(p.query.get("after"), len(p.response)) for p in pages] == [
            (None, 100),
            (str(sorted(crowd)[99]), 5),
        ]
        assert pages[0].query["with_member"] == "1"
        assert sorted(who for _, _, who in seats.presses) == sorted(map(str, crowd))
        _, member = await second.store.ensure_member(
            second.adapter.interest._actor(FAKE_GUILD_ID, str(crowd[0]), ""), START
        )
        assert member.display_name == f"user{crowd[0]}"


@pytest.mark.asyncio
async def test_a_found_event_has_its_earlier_interest_read_at_once(
    stack: DiscordStack, seats: Seats
) -> None:
    fake = stack.fake
    fake.inject_fault(ROUTE_EVENT_CREATE, "server_error", status=503)
    await queue(stack, session())
    await stack.engine.tick()
    (event,) = fake.events_in(FAKE_GUILD_ID)
    # Someone is interested before the bot knows the event is its own: ignored for now ...
    await fake.add_event_user(FAKE_GUILD_ID, int(event["id"]), LIN_ID)
    await clicked(stack)
    assert seats.presses == []

    # ... and answered once the retry finds the event.
    await stack.advance(timedelta(minutes=5))
    await reread(stack, 1)
    await stack.engine.tick()
    assert seats.presses == [("rsvp", "1", str(LIN_ID))]
    assert len(dms(fake, LIN_ID)) == 1
