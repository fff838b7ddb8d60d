"""Leads running out through restarts: the warning with "Extend 14 days", extending, expiry."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.messages import plain
from tests.conftest import START
from tests.gig_helpers import POST, channels, posted, press, rows
from tests.harness import Harness, reply_text
from tests.stores import Database

DAY = timedelta(days=1)


async def restarted(path: Database, clock: FakeClock) -> Harness:
    """A new store and engine on the same database file, as after a restart."""
    return await Harness.open(path, clock)


async def dms(path: Database, title: str) -> list[tuple[object, ...]]:
    """Queued DMs whose title starts so, straight from the database."""
    found = await rows(path, "SELECT id, status, payload FROM outbox WHERE dest_kind = 'dm'")
    return [
        (r[0], r[1])
        for r in sorted(found)
        if str(json.loads(str(r[2])).get("title", "")).startswith(title)
    ]


@pytest.mark.asyncio
async def test_warning_extension_and_expiry_each_happen_once_across_restarts(
    database: Database,
) -> None:
    path = database
    clock = FakeClock(START)
    async with await Harness.open(path, clock) as h:
        await channels(h)
        await posted(h)
        post = h.transport.channel("gigs")[0]
    # Twelve days on (two before it expires): nothing yet a minute before.
    async with await restarted(path, clock) as h:
        await h.advance(12 * DAY - timedelta(minutes=1))
        assert h.transport.dms("ana") == []
    async with await restarted(path, clock) as h:
        await h.advance(timedelta(minutes=2))
        (warning,) = h.transport.dms("ana")
        assert warning.message.title == "Gig #1 expires soon: Spatial mix for a podcast"
        assert warning.at == START + 12 * DAY
        (extend,) = warning.message.buttons
        assert extend.label == "Extend 14 days"
    async with await restarted(path, clock) as h:
        await h.advance(DAY)
        assert h.transport.dms("ana") == []
        assert len(await dms(path, "Gig #1 expires soon")) == 1
        # Only its poster may extend it.
        refused = reply_text(await press(h, "kim", extend.action))
        assert "Only the member who posted gig #1 can extend it" in refused
        said = reply_text(await press(h, "ana", extend.action))
        assert "Gig #1 extended" in said
        until = START + 28 * DAY
        assert await rows(path, "SELECT expires_at, warned_at, warn_at FROM gigs") == [
            (until.isoformat(), None, (until - 2 * DAY).isoformat())
        ]
        edit = h.transport.edits()[-1]
        assert edit.receipt == post.receipt
        assert "Open until" in plain(edit.message.footer)
    # The new warning comes two days before the new end, once.
    async with await restarted(path, clock) as h:
        await h.advance_to(START + 26 * DAY + timedelta(minutes=1))
        (again,) = h.transport.dms("ana")
        assert again.at == START + 26 * DAY
    async with await restarted(path, clock) as h:
        await h.advance_to(START + 28 * DAY - timedelta(minutes=1))
        assert await rows(path, "SELECT status FROM gigs") == [("open",)]
        await h.advance(timedelta(minutes=2))
        assert await rows(path, "SELECT status FROM gigs") == [("expired",)]
        expired = h.transport.edits()[-1]
        assert expired.receipt == post.receipt
        assert expired.message.title == "Expired: #1 Spatial mix for a podcast"
        assert expired.message.buttons == ()
        assert len(h.transport.dms("ana")) == 1
    async with await restarted(path, clock) as h:
        await h.advance(3 * DAY)
        assert h.transport.sent == []
        # An expired lead can't be extended any more.
        late = reply_text(await press(h, "ana", extend.action))
        assert "has expired, so it can't be extended" in late
    assert len(await dms(path, "Gig #1 expires soon")) == 2
    assert len(await dms(path, "Your lead expired")) == 1


@pytest.mark.asyncio
async def test_extending_stays_within_sixty_days_from_now(harness: Harness) -> None:
    await channels(harness)
    await posted(harness, POST + " open-days:40")
    assert "Gig #1 extended" in reply_text(await harness.run("ana", "/gig extend gig:1 days:20"))
    said = reply_text(await harness.run("ana", "/gig extend gig:1"))
    assert "A lead stays open at most 60 days from now" in said
    assert "extend it by at most 0 days" not in said
    assert "it can't be extended more" in said
    assert await rows(harness.database, "SELECT expires_at FROM gigs") == [
        ((START + 60 * DAY).isoformat(),)
    ]
    await harness.advance(5 * DAY)
    said = reply_text(await harness.run("ana", "/gig extend gig:1 days:14"))
    assert "extend it by at most 5 days" in said
    assert "Gig #1 extended" in reply_text(await harness.run("ana", "/gig extend gig:1 days:5"))


@pytest.mark.asyncio
async def test_a_short_lead_gets_no_warning_and_still_expires(harness: Harness) -> None:
    await channels(harness)
    await posted(harness, POST + " open-days:2")
    await harness.advance(3 * DAY)
    assert await rows(harness.database, "SELECT status, warned_at FROM gigs") == [("expired", None)]
    assert [s.message.title for s in harness.transport.dms("ana")] == [
        "Your lead expired: #1 Spatial mix for a podcast"
    ]


@pytest.mark.asyncio
async def test_the_extend_button_extends_once_however_often_it_is_pressed(
    harness: Harness, database: Database
) -> None:
    h = harness
    await channels(h)
    await posted(h)
    await h.advance(12 * DAY + timedelta(minutes=1))
    (warning,) = h.transport.dms("ana")
    (extend,) = warning.message.buttons
    until = START + 28 * DAY
    # Two presses at once (a double click): one extends, the other is told it is done.
    both = await asyncio.gather(
        h.core.press(h.actor("ana"), extend.action), h.core.press(h.actor("ana"), extend.action)
    )
    said = sorted(reply_text(r) for r in both)
    assert said[0].startswith("Already extended: gig #1 is open until")
    assert said[1].startswith("Gig #1 extended")
    again = reply_text(await press(h, "ana", extend.action))
    assert again.startswith("Already extended: gig #1 is open until")
    assert "nothing was changed" in again
    path = database
    assert await rows(path, "SELECT expires_at FROM gigs") == [(until.isoformat(),)]
    # The next warning's button extends from the new end, once more.
    await h.advance_to(START + 26 * DAY + timedelta(minutes=1))
    latest = h.transport.dms("ana")[-1]
    (button,) = latest.message.buttons
    assert "Gig #1 extended" in reply_text(await press(h, "ana", button.action))
    assert await rows(path, "SELECT expires_at FROM gigs") == [((until + 14 * DAY).isoformat(),)]


@pytest.mark.asyncio
async def test_one_day_of_room_left_reads_as_one_day(harness: Harness) -> None:
    await channels(harness)
    await posted(harness, POST + " open-days:59")
    said = reply_text(await harness.run("ana", "/gig extend gig:1 days:14"))
    assert "extend it by at most 1 day." in said
