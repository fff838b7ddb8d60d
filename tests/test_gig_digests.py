"""Weekly gig digests: on the community's check-in day, in the member's zone, once a week,
listing the week's matching leads still open; none when there are none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.features.gigs.alert_jobs import send_digests
from bot.messages import plain
from tests.conftest import START
from tests.gig_helpers import count, open_gig, rows, set_status
from tests.harness import Harness
from tests.stores import Database

DB = "crossfade.db"
TUESDAY = START + timedelta(days=1, hours=1)  # Tue 1 Dec 2026, 09:00 UTC
NEXT_MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # the community's check-in: 10:00


async def members(h: Harness) -> None:
    await h.setup_channels()
    await h.run("admin", "/admin channel purpose:gigs", admin=True, channel="gigs")
    await h.run("kim", '/profile skills:"spatial mixing, live sound" gig-alerts:digest')
    await h.run("tok", '/profile timezone:Asia/Tokyo skills:"spatial mixing" gig-alerts:digest')
    await h.run("lee", '/profile skills:"spatial mixing"')


async def a_week_of_leads(h: Harness) -> None:
    """Tuesday and Thursday leads kim fits, one closed on Friday, one kim doesn't fit."""
    await h.advance_to(TUESDAY)
    await open_gig(h, "ana", "Podcast mix", skills=("spatial mixing",))
    await h.advance(timedelta(days=2))
    await open_gig(h, "ana", "Hybrid event", skills=("live sound",))
    await open_gig(h, "ana", "Album master", skills=("mastering",))
    gone = await open_gig(h, "ana", "Filled fast", skills=("spatial mixing",))
    await h.advance(timedelta(days=1))
    await set_status(h, gone, "closed")


@pytest.mark.asyncio
async def test_one_digest_on_check_in_day_lists_the_weeks_open_leads(database: Database) -> None:
    clock = FakeClock(START)
    async with await Harness.open(database, clock) as h:
        await members(h)
        await a_week_of_leads(h)
        # Members on the digest get no instant DM; the others do.
        assert h.transport.dms("kim") == []
        assert h.transport.dms("tok") == []
        assert len(h.transport.dms("lee")) == 2
        await h.advance_to(NEXT_MONDAY - timedelta(seconds=1))
        assert h.transport.dms("kim") == []
        # Tokyo's Monday 10:00 came first: 01:00 UTC.
        (tok,) = h.transport.dms("tok")
        assert tok.at == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
        assert tok.message.title == "Gig leads this week: 1"
        await h.advance_to(NEXT_MONDAY)
        (digest,) = h.transport.dms("kim")
        assert digest.at == NEXT_MONDAY
        card = digest.message
        assert card.title == "Gig leads this week: 2"
        assert [f.name for f in card.fields] == ["#2 Hybrid event", "#1 Podcast mix"]
        assert plain(card.fields[1].value).startswith("€400–600 per day · Remote · Ongoing")
        assert [b.label for b in card.buttons] == ["Interested in #2", "Interested in #1"]
        await h.advance(timedelta(days=8))
    assert await count(database, "gig_digests") == 2
    clock.advance(timedelta(minutes=1))
    async with await Harness.open(database, clock) as again:
        await again.engine.tick()
        assert await send_digests(again.store, clock.now()) == 0
        assert again.transport.sent == []
    assert await rows(
        database, "SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE 'gig-digest:%'"
    ) == [(2,)]


@pytest.mark.asyncio
async def test_digests_follow_the_community_check_in_day_and_never_come_at_night(
    harness: Harness,
) -> None:
    h = harness
    await members(h)
    # Thursday 07:00 is before the day starts: the digest goes at 08:00 that Thursday.
    await h.run("admin", "/admin schedule day:thursday time:07:00", admin=True)
    await a_week_of_leads(h)
    await h.advance_to(datetime(2026, 12, 10, 9, 0, tzinfo=UTC))
    first, second = h.transport.dms("kim")
    # Tuesday's lead went on Thursday 3 Dec at 08:00; Thursday 09:00's waited a week.
    assert first.at == datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    assert [f.name for f in first.message.fields] == ["#1 Podcast mix"]
    assert second.at == datetime(2026, 12, 10, 8, 0, tzinfo=UTC)
    assert [f.name for f in second.message.fields] == ["#2 Hybrid event"]


@pytest.mark.asyncio
async def test_no_digest_when_none_of_the_weeks_leads_is_still_open(
    harness: Harness, database: Database
) -> None:
    h = harness
    await members(h)
    await h.advance_to(TUESDAY)
    gig = await open_gig(h, "ana", "Podcast mix", skills=("spatial mixing",))
    await h.run("tok", "/profile gig-alerts:off")
    await h.advance(timedelta(hours=1))
    await set_status(h, gig, "expired")
    await h.advance_to(NEXT_MONDAY + timedelta(days=1))
    assert h.transport.dms("kim") == []
    assert h.transport.dms("tok") == []
    assert await count(database, "gig_digests") == 0
    # Nothing held is left to wake the job.
    assert await h.store.next_digest_at() is None


@pytest.mark.asyncio
async def test_leaving_the_digest_sends_its_held_leads_as_alerts_or_drops_them(
    database: Database,
) -> None:
    clock = FakeClock(START)
    async with await Harness.open(database, clock) as h:
        await members(h)
        await h.run("lee", '/profile skills:"spatial mixing" gig-alerts:digest')
        await h.advance_to(TUESDAY)
        await open_gig(h, "ana", "Podcast mix", skills=("spatial mixing",))
        await h.advance(timedelta(hours=1))
        assert h.transport.dms("kim") == []
        # Wednesday 10:00 UTC: day in London, the held lead goes at once, as an alert.
        await h.advance_to(TUESDAY + timedelta(days=1, hours=1))
        await h.run("kim", "/profile gig-alerts:instant")
        await h.run("lee", "/profile gig-alerts:off")
        await h.advance(timedelta(minutes=5))
        (alert,) = h.transport.dms("kim")
        assert alert.message.title == "Gig lead for you: #1 Podcast mix"
        # Check-in day: kim's lead went already, lee turned alerts off; neither gets a digest.
        await h.advance_to(NEXT_MONDAY + timedelta(hours=1))
        assert len(h.transport.dms("kim")) == 1
        assert h.transport.dms("lee") == []
        assert await rows(
            database, "SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE 'gig-digest:%'"
        ) == [(1,)]  # tok's, still on the digest


@pytest.mark.asyncio
async def test_leaving_the_digest_at_night_holds_the_leads_until_morning(
    database: Database,
) -> None:
    clock = FakeClock(START)
    async with await Harness.open(database, clock) as h:
        await members(h)
        await h.advance_to(TUESDAY)
        await open_gig(h, "ana", "Podcast mix", skills=("spatial mixing",))
        # Tuesday 23:00 in Tokyo (14:00 UTC): tok's lead waits for 08:00 there.
        await h.advance_to(TUESDAY + timedelta(hours=5))
        await h.run("tok", "/profile gig-alerts:instant")
        await h.advance_to(datetime(2026, 12, 1, 23, 0, tzinfo=UTC) - timedelta(minutes=1))
        assert h.transport.dms("tok") == []
        await h.advance(timedelta(minutes=2))
        (alert,) = h.transport.dms("tok")
        assert alert.at == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
