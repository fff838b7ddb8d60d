"""Alerts held for the morning are decided at 08:00, as the lead and the member then are.

A lead matched at night waits in ``gig_alerts`` (``send_at``), not in the outbox: at 08:00
the alerts job re-checks it (still open and visible, alerts still instant, not interested
yet), shows its current content, and sends a member's held leads as one DM.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from tests.gig_helpers import count, open_gig, rows
from tests.harness import Harness, reply_text
from tests.stores import Database

DB = "crossfade.db"
# Monday 22:00 UTC: night in London, morning comes at 08:00 UTC.
NIGHT = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)
MORNING = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


async def londoners(h: Harness, *names: str) -> None:
    await h.setup_channels()
    await h.run("admin", "/admin channel purpose:gigs", admin=True, channel="gigs")
    for name in names:
        await h.run(name, '/profile timezone:Europe/London skills:"spatial mixing, live sound"')


async def alert_rows(path: Database) -> int:
    return len(await rows(path, "SELECT 1 FROM outbox WHERE dedupe_key LIKE 'gig-alert%'"))


@pytest.mark.asyncio
async def test_a_night_alert_waits_outside_the_outbox_until_morning(database: Database) -> None:
    async with await Harness.open(database, FakeClock(NIGHT)) as h:
        await londoners(h, "lon")
        await open_gig(h, "ana")
        await h.engine.tick()
        assert await count(database, "gig_alerts") == 1
        assert await alert_rows(database) == 0
        await h.advance_to(MORNING - timedelta(minutes=1))
        assert h.transport.dms("lon") == []
        await h.advance_to(MORNING + timedelta(minutes=1))
        (dm,) = h.transport.dms("lon")
        assert dm.at == MORNING
        assert dm.message.title == "Gig lead for you: #1 Spatial mix for a podcast"


@pytest.mark.asyncio
async def test_a_lead_closed_or_deleted_overnight_is_not_sent_in_the_morning(
    database: Database,
) -> None:
    async with await Harness.open(database, FakeClock(NIGHT)) as h:
        await londoners(h, "lon")
        await open_gig(h, "ana", "First lead")
        await open_gig(h, "ana", "Second lead")
        await h.engine.tick()
        await h.advance(timedelta(hours=1))
        await h.run("ana", "/gig close gig:1 outcome:withdrawn")
        await h.run("ana", "/gig delete gig:2")
        await h.advance_to(MORNING + timedelta(hours=1))
        assert h.transport.dms("lon") == []
        assert await alert_rows(database) == 0
        # Decided once: nothing is left to wake the job again.
        assert await rows(database, "SELECT COUNT(*) FROM gig_alerts WHERE sent_at IS NULL") == [
            (0,)
        ]


@pytest.mark.asyncio
async def test_alerts_off_or_interest_overnight_stops_the_morning_alert(database: Database) -> None:
    async with await Harness.open(database, FakeClock(NIGHT)) as h:
        await londoners(h, "off", "keen")
        await open_gig(h, "ana")
        await h.engine.tick()
        await h.run("off", "/profile gig-alerts:off")
        said = await h.run("keen", "/gig interested gig:1")
        assert reply_text(said).startswith("Intro sent: #1 Spatial mix for a podcast")
        await h.advance_to(MORNING + timedelta(hours=1))
        assert h.transport.dms("off") == []
        assert h.transport.dms("keen") == []


@pytest.mark.asyncio
async def test_the_morning_alert_shows_the_lead_as_edited_overnight(database: Database) -> None:
    async with await Harness.open(database, FakeClock(NIGHT)) as h:
        await londoners(h, "lon")
        await open_gig(h, "ana")
        await h.engine.tick()
        await h.run(
            "ana", '/gig edit gig:1 title:"Atmos mix, 6 episodes" pay:"500-700 EUR per day"'
        )
        await h.advance_to(MORNING + timedelta(hours=1))
        (dm,) = h.transport.dms("lon")
        assert dm.message.title == "Gig lead for you: #1 Atmos mix, 6 episodes"
        assert "Pay: €500–700 per day" in dm.text


@pytest.mark.asyncio
async def test_an_edit_overnight_to_skills_the_member_lacks_drops_the_alert(
    database: Database,
) -> None:
    async with await Harness.open(database, FakeClock(NIGHT)) as h:
        await londoners(h, "lon")
        await open_gig(h, "ana")
        await h.engine.tick()
        await h.run("ana", "/gig edit gig:1 skills:mastering")
        await h.advance_to(MORNING + timedelta(hours=1))
        assert h.transport.dms("lon") == []


@pytest.mark.asyncio
async def test_several_leads_held_overnight_go_as_one_morning_dm(database: Database) -> None:
    async with await Harness.open(database, FakeClock(NIGHT)) as h:
        await londoners(h, "lon", "kim")
        for n in range(3):
            await open_gig(h, "ana", f"Lead {n + 1}")
            await h.advance(timedelta(minutes=30))
        await h.advance_to(MORNING + timedelta(hours=1))
        (dm,) = h.transport.dms("lon")
        assert dm.at == MORNING
        assert dm.message.title == "Gig leads for you overnight: 3"
        assert [f.name for f in dm.message.fields] == ["#3 Lead 3", "#2 Lead 2", "#1 Lead 1"]
        assert len(h.transport.dms("kim")) == 1
        # Pressed again after the restart-free morning run: still one each.
        await h.advance(timedelta(days=1))
        assert len(h.transport.dms("lon")) == 1


@pytest.mark.asyncio
async def test_a_held_alert_goes_once_across_a_restart_at_morning(database: Database) -> None:
    clock = FakeClock(NIGHT)
    async with await Harness.open(database, clock) as h:
        await londoners(h, "lon")
        await open_gig(h, "ana")
        await h.engine.tick()
    clock.advance(MORNING - NIGHT + timedelta(minutes=5))
    async with await Harness.open(database, clock) as again:
        await again.engine.tick()
        await again.engine.tick()
        await again.advance(timedelta(hours=1))
        assert len(again.transport.dms("lon")) == 1
    assert await alert_rows(database) == 1
