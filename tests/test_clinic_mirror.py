"""A clinic's sessions mirrored as Discord Guild Scheduled Events, on the loopback fake.

The clinic is created, announced, moved and cancelled by slash command; the real engine
delivers the event rows the clinic queued through discord.py. "Interested" on the event is
answered as the session's Going (a seat, or the waitlist when full), told by DM.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.features.clinics.mirror import event_key
from tests.discord_stack import DiscordStack, message_data, running_stack, text_of
from tests.fakes.discord_events_fake import (
    CANCELED,
    EXTERNAL,
    ROUTE_EVENT_CREATE,
    ROUTE_EVENT_EDIT,
    SCHEDULED,
    VOICE,
)
from tests.fakes.discord_fake import DiscordFake
from tests.fakes.discord_fixtures import FAKE_GUILD_ID, FAKE_USER_ID, patch_discord_py
from tests.test_discord_native_events import LIN_ID, VOICE_ID, clicked, dms, make_fake

CLINIC = {
    "title": "Room calibration",
    "bring": "A room measurement",
    "rule": "first friday",
    "time": "19:00",
    "where": "Studio A",
}
# The first Friday after the stack's start (Monday 30 Nov 2026), 19:00 in London (GMT).
FIRST = "2026-12-04T19:00:00+00:00"


@pytest_asyncio.fixture
async def stack(tmp_path: Path) -> AsyncIterator[DiscordStack]:
    fake = make_fake()
    await fake.start()
    try:
        with patch_discord_py(fake):
            async with running_stack(fake, tmp_path / "crossfade.db") as running:
                yield running
    finally:
        await fake.stop()


async def said(stack: DiscordStack, path: str, options: dict[str, Any], **context: Any) -> str:
    """Run a slash command; the text of the reply."""
    return text_of(message_data(await stack.command(path, options, **context)))


async def clinic(stack: DiscordStack, **changes: str) -> None:
    """The clinics channel mapped and a clinic created by the server's admin, in London."""
    await said(stack, "admin channel", {"purpose": "clinics"}, admin=True)
    await said(stack, "profile", {"timezone": "Europe/London"})
    created = await said(stack, "clinic create", {**CLINIC, **changes}, admin=True)
    assert "created" in created, created


def event(fake: DiscordFake) -> dict[str, Any]:
    (only,) = fake.events_in(FAKE_GUILD_ID)
    return only


@pytest.mark.asyncio
async def test_a_session_is_created_with_its_announcement_moved_and_cancelled_with_it(
    stack: DiscordStack,
) -> None:
    fake = stack.fake
    await clinic(stack)
    assert fake.find(ROUTE_EVENT_CREATE) == []

    await stack.engine.tick()  # within the 7-day lead time: announced, and mirrored
    (create,) = fake.find(ROUTE_EVENT_CREATE)
    body = create.json
    assert (body["name"], body["entity_type"]) == ("Room calibration", EXTERNAL)
    assert body["entity_metadata"] == {"location": "Studio A"}
    assert body["scheduled_start_time"] == FIRST
    assert body["scheduled_end_time"] == "2026-12-04T20:30:00+00:00"
    assert body["description"].startswith("Hosted by Ada. Bring: A room measurement")
    community, _ = await stack.member()
    record = await stack.store.native_event(community.id, event_key(1))
    assert record is not None
    assert record.ref == event(fake)["id"]

    moved = await said(
        stack,
        "clinic move",
        {"clinic": "1", "date": "2026-12-04", "to": "2026-12-05 18:30", "reason": "Room booked"},
        admin=True,
    )
    assert "Moved" in moved, moved
    await stack.engine.tick()
    (edit,) = fake.find(ROUTE_EVENT_EDIT)
    assert edit.path.endswith(f"/scheduled-events/{event(fake)['id']}")
    assert edit.json["scheduled_start_time"] == "2026-12-05T18:30:00+00:00"
    assert edit.json["scheduled_end_time"] == "2026-12-05T20:00:00+00:00"
    assert event(fake)["status"] == SCHEDULED

    cancelled = await said(
        stack,
        "clinic cancel",
        {"clinic": "1", "date": "2026-12-04", "reason": "The studio is flooded"},
        admin=True,
    )
    assert "Cancelled" in cancelled, cancelled
    await stack.engine.tick()
    assert fake.find(ROUTE_EVENT_EDIT)[-1].json == {"status": CANCELED}
    assert event(fake)["status"] == CANCELED
    assert len(fake.find(ROUTE_EVENT_CREATE)) == 1
    # The next session (first Friday of January) gets its own event when it is announced.
    await stack.advance(timedelta(days=32))
    january = fake.events_in(FAKE_GUILD_ID, live=True)
    assert [e["scheduled_start_time"] for e in january] == ["2027-01-01T19:00:00+00:00"]


@pytest.mark.asyncio
async def test_a_clinic_in_a_voice_channel_is_an_event_there_and_ending_it_cancels_it(
    stack: DiscordStack,
) -> None:
    fake = stack.fake
    await clinic(stack, where=f"<#{VOICE_ID}>")
    await stack.engine.tick()
    (create,) = fake.find(ROUTE_EVENT_CREATE)
    assert (create.json["entity_type"], create.json["channel_id"]) == (VOICE, str(VOICE_ID))

    ended = await said(stack, "clinic end", {"clinic": "1", "after": "2026-12-01"}, admin=True)
    assert "ends after" in ended, ended
    await stack.engine.tick()
    assert fake.find(ROUTE_EVENT_EDIT)[-1].json == {"status": CANCELED}
    assert fake.events_in(FAKE_GUILD_ID, live=True) == []


@pytest.mark.asyncio
async def test_interested_takes_a_seat_or_the_waitlist_and_withdrawing_it_gives_the_seat_on(
    stack: DiscordStack,
) -> None:
    fake = stack.fake
    await clinic(stack, capacity="1")
    await stack.engine.tick()
    event_id = int(event(fake)["id"])

    await fake.add_event_user(FAKE_GUILD_ID, event_id, FAKE_USER_ID)
    await clicked(stack)
    await fake.add_event_user(FAKE_GUILD_ID, event_id, LIN_ID)
    await clicked(stack, 2)
    await stack.engine.tick()
    assert dms(fake, FAKE_USER_ID)[-1].startswith("You're going: Room calibration")
    assert dms(fake, LIN_ID)[-1].startswith("Waitlisted: Room calibration")
    assert "#1 on the waitlist" in dms(fake, LIN_ID)[-1]

    info = await said(stack, "clinic info", {"clinic": "1"})
    assert "1 of 1 seat taken · 1 on the waitlist" in info, info

    # Ada takes her interest back: her seat goes to Lin, who is told.
    await fake.remove_event_user(FAKE_GUILD_ID, event_id, FAKE_USER_ID)
    await clicked(stack, 3)
    await stack.engine.tick()
    assert dms(fake, FAKE_USER_ID)[-1].startswith("Noted: you can't make Room calibration")
    assert dms(fake, LIN_ID)[-1].startswith("A seat opened: Room calibration")
    roster = await stack.store.roster(1)
    assert [r.ext_id for r in roster.seated] == [str(LIN_ID)]


@pytest.mark.asyncio
async def test_a_presenter_showing_interest_stays_a_presenter(stack: DiscordStack) -> None:
    fake = stack.fake
    await clinic(stack, capacity="1")
    await stack.engine.tick()
    answer = {"clinic": "1", "answer": "presenting", "bring": "My 7.1.4 room profile"}
    presenting = await said(stack, "clinic rsvp", answer, user_id=LIN_ID)
    assert presenting.startswith("You're presenting"), presenting

    await fake.add_event_user(FAKE_GUILD_ID, int(event(fake)["id"]), LIN_ID)
    await clicked(stack)
    await stack.engine.tick()
    assert dms(fake, LIN_ID)[-1].startswith("You're presenting: Room calibration")
    roster = await stack.store.roster(1)
    assert [(r.ext_id, r.answer.value, r.bring) for r in roster.seated] == [
        (str(LIN_ID), "presenting", "My 7.1.4 room profile")
    ]
