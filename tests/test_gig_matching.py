"""Which members a lead is sent to, in which order, once each, never at night, never in bulk
queries per member."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.features.gigs.alert_jobs import send_alerts
from bot.messages import Message, plain
from tests.gig_helpers import POST, count, member_id, open_gig, posted, rows, set_status, sprint
from tests.harness import Harness, reply_text
from tests.stores import Database

DB = "crossfade.db"


async def channels(h: Harness) -> None:
    """Announcements, check-ins and the gigs channel mapped."""
    await h.setup_channels()
    await h.run("admin", "/admin channel purpose:gigs", admin=True, channel="gigs")


async def fitting_members(h: Harness) -> None:
    """Ana posts; the others hold spatial mixing and live sound in different ways."""
    await channels(h)
    await h.run("ana", '/profile skills:"spatial mixing"')
    await h.run("bob", '/profile skills:"Spatial  Mixing, field recording"')
    await sprint(h, "cat", "spatial-mixing")
    await sprint(h, "dan", "SPATIAL MIXING", link="https://example.org/dan-mix")
    await h.run("eve", '/profile skills:"live sound, spatial_mixing"')
    await h.run("fay", '/profile skills:"spatial mixing" gig-alerts:off')
    await h.run("gus", "/profile skills:mastering")


async def ranked(path: Database, gig_id: int) -> list[tuple[str, str, int]]:
    return [
        (str(r[0]), str(r[1]), int(str(r[2])))
        for r in await rows(
            path,
            "SELECT m.ext_id, a.kind, a.rank FROM gig_alerts a JOIN members m"
            " ON m.id = a.member_id WHERE a.gig_id = ? ORDER BY a.rank",
            (gig_id,),
        )
    ]


async def queued_dms(path: Database) -> list[str]:
    """Members with a gig alert queued, in the order the rows were written."""
    return [
        str(r[0])
        for r in await rows(
            path,
            "SELECT m.ext_id FROM outbox o JOIN members m ON m.id = o.member_id"
            " WHERE o.dedupe_key LIKE 'gig-alert:%' ORDER BY o.id",
        )
    ]


@pytest.mark.asyncio
async def test_a_lead_goes_to_the_members_it_fits_best_first(
    harness: Harness, database: Database
) -> None:
    h = harness
    await fitting_members(h)
    await posted(h, POST.replace("spatial mixing, dolby atmos", "spatial mixing, live sound"))
    gig = await h.store.gig_by_number(1, 1)
    assert gig is not None
    # Completed sprint with a link 3, active sprint 2, profile 1; ties by member id.
    assert await ranked(database, gig.id) == [
        ("dan", "instant", 1),
        ("cat", "instant", 2),
        ("eve", "instant", 3),
        ("bob", "instant", 4),
    ]
    assert await queued_dms(database) == ["dan", "cat", "eve", "bob"]
    # Never the poster, never a member who turned alerts off, never one it doesn't fit.
    for name in ("ana", "fay", "gus"):
        assert h.transport.dms(name) == [], name
    (alert,) = h.transport.dms("eve")
    assert alert.message.title == "Gig lead for you: #1 Spatial mix for a podcast"
    assert plain(alert.message.body) == "Six episodes, binaural, stems ready"
    assert "Fits your skills: spatial mixing, live sound" in alert.text
    assert "Pay: €400–600 per day" in alert.text
    assert [b.action for b in alert.message.buttons] == [f"gig.interested:{gig.id}"]
    (dan,) = h.transport.dms("dan")
    assert "Fits your skills: spatial mixing\n" in dan.text + "\n"
    assert (await h.store.get_gig(gig.id)).matched_at == h.clock.now()  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_a_lead_waiting_for_approval_reaches_members_only_once_approved(
    harness: Harness, database: Database
) -> None:
    h = harness
    await fitting_members(h)
    await h.run("boss", "/admin channel purpose:gig-review", admin=True, channel="gig-review")
    await h.run("boss", "/admin gigs approval:yes", admin=True)
    await posted(h)
    await h.advance(timedelta(hours=2))
    assert await queued_dms(database) == []
    assert await count(database, "gig_alerts") == 0
    approved = await h.run("boss", "/gig approve gig:1", admin=True)
    assert reply_text(approved).startswith("Gig #1 approved: Spatial mix for a podcast")
    assert await queued_dms(database) == ["dan", "cat", "bob", "eve"]
    assert [s.message.title for s in h.transport.dms("dan")] == [
        "Gig lead for you: #1 Spatial mix for a podcast"
    ]


@pytest.mark.asyncio
async def test_no_member_gets_a_lead_twice_across_runs_and_restarts(database: Database) -> None:
    clock = FakeClock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    async with await Harness.open(database, clock) as h:
        await fitting_members(h)
        gig = await open_gig(h, "ana", skills=("spatial mixing",))
        assert await send_alerts(h.store, clock.now()) == 1
        assert await send_alerts(h.store, clock.now()) == 0
    alerts, dms = await count(database, "gig_alerts"), len(await queued_dms(database))
    assert (alerts, dms) == (4, 4)
    clock.advance(timedelta(minutes=5))
    async with await Harness.open(database, clock) as again:
        await again.engine.tick()
        assert await send_alerts(again.store, clock.now()) == 0
        await again.advance(timedelta(hours=1))
        # Each alert went once: the restarted bot delivered the four queued DMs, no more.
        sent = [s.target.user_id for s in again.transport.sent if not s.edit and s.target.user_id]
        assert sorted(sent) == ["bob", "cat", "dan", "eve"]
    assert await count(database, "gig_alerts") == 4
    assert sorted(await queued_dms(database)) == ["bob", "cat", "dan", "eve"]
    assert await rows(database, "SELECT COUNT(*) FROM gig_alerts WHERE gig_id = ?", (gig.id,)) == [
        (4,)
    ]


@pytest.mark.asyncio
async def test_a_lead_closed_before_its_alerts_is_sent_to_nobody(
    harness: Harness, database: Database
) -> None:
    await fitting_members(harness)
    gig = await open_gig(harness, "ana")
    await set_status(harness, gig, "closed")
    await harness.engine.tick()
    assert await count(database, "gig_alerts") == 0
    assert await queued_dms(database) == []


async def not_before(path: Database) -> dict[str, datetime]:
    """When each member's alert is due: held ones wait in gig_alerts, not in the outbox."""
    return {
        str(r[0]): datetime.fromisoformat(str(r[1]))
        for r in await rows(
            path,
            "SELECT m.ext_id, a.send_at FROM gig_alerts a JOIN members m ON m.id = a.member_id"
            " WHERE a.kind = 'instant'",
        )
    }


async def zoned(h: Harness, zones: dict[str, str]) -> None:
    await channels(h)
    for name, zone in zones.items():
        await h.run(name, f'/profile timezone:{zone} skills:"spatial mixing"')


@pytest.mark.asyncio
async def test_alerts_wait_for_morning_where_it_is_night(database: Database) -> None:
    # Monday 22:00 UTC: night in London (22:00) and Tokyo (07:00 Tuesday), day in New York.
    now = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)
    clock = FakeClock(now)
    async with await Harness.open(database, clock) as h:
        await zoned(h, {"lon": "Europe/London", "tok": "Asia/Tokyo", "ny": "America/New_York"})
        await open_gig(h, "ana")
        await h.engine.tick()
        assert await not_before(database) == {
            "ny": now,
            "tok": datetime(2026, 11, 30, 23, 0, tzinfo=UTC),  # 08:00 in Tokyo
            "lon": datetime(2026, 12, 1, 8, 0, tzinfo=UTC),  # 08:00 in London
        }
        await h.advance_to(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
        assert [s.at for s in h.transport.dms("ny")] == [now]
        assert [s.at for s in h.transport.dms("tok")] == [datetime(2026, 11, 30, 23, tzinfo=UTC)]
        assert [s.at for s in h.transport.dms("lon")] == [datetime(2026, 12, 1, 8, tzinfo=UTC)]


@pytest.mark.asyncio
async def test_a_night_alert_on_a_daylight_saving_change_waits_for_local_eight(
    database: Database,
) -> None:
    # Saturday 13 March 2027, 22:30 in New York; clocks go forward at 02:00 that night, so
    # 08:00 on Sunday is 12:00 UTC (EDT), not 13:00. London (03:30 GMT) changes two weeks on.
    now = datetime(2027, 3, 14, 3, 30, tzinfo=UTC)
    async with await Harness.open(database, FakeClock(now)) as h:
        await zoned(h, {"ny": "America/New_York", "lon": "Europe/London", "tok": "Asia/Tokyo"})
        await open_gig(h, "ana")
        await h.engine.tick()
        assert await not_before(database) == {
            "ny": datetime(2027, 3, 14, 12, 0, tzinfo=UTC),
            "lon": datetime(2027, 3, 14, 8, 0, tzinfo=UTC),
            "tok": now,  # 12:30 in Tokyo
        }


@pytest.mark.asyncio
async def test_the_alerts_job_reads_a_community_in_a_few_queries_however_large(
    tmp_path: Path,
) -> None:
    """The same number of reads for 4 members as for 40: nothing is asked per member."""

    async def reads_for(members: int, path: Path) -> int:
        async with await Harness.open(path, FakeClock(datetime(2026, 11, 30, 9, tzinfo=UTC))) as h:
            await channels(h)
            for n in range(members):
                await h.run(f"m{n}", '/profile skills:"spatial mixing, live sound"')
                await sprint(h, f"m{n}", "spatial mixing", link=f"https://example.org/{n}")
            await open_gig(h, "ana", skills=("spatial mixing", "live sound"))
            statements: list[str] = []
            await h.store._conn.set_trace_callback(statements.append)
            assert await send_alerts(h.store, h.clock.now()) == 1
            await h.store._conn.set_trace_callback(None)
            assert len(await queued_dms(path)) == members
            return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))

    few = await reads_for(4, tmp_path / "few.db")
    many = await reads_for(40, tmp_path / "many.db")
    assert few == many
    assert many <= 8


@pytest.mark.asyncio
async def test_the_alert_payload_reads_back_as_the_lead(
    harness: Harness, database: Database
) -> None:
    await fitting_members(harness)
    gig = await open_gig(harness, "ana", place="Berlin")
    await harness.engine.tick()
    (payload,) = (
        await rows(
            database,
            "SELECT payload FROM outbox WHERE dedupe_key = ?",
            (f"gig-alert:{gig.id}:{await member_id(harness, 'dan')}",),
        )
    )[0]
    card = Message.from_dict(json.loads(str(payload)))
    assert "Ten episodes of a narrative podcast" in plain(card.body)
    assert [f.name for f in card.fields] == ["Pay", "Where", "When", "Fits your skills"]
    assert plain(card.fields[1].value) == "Berlin"


@pytest.mark.asyncio
async def test_the_bulk_enqueue_writes_the_rows_enqueue_in_writes(harness: Harness) -> None:
    """A lead's alerts are queued in one statement: the same rows, a repeated key skipped."""
    from dataclasses import replace

    from bot.models import Destination, NewOutbox
    from bot.storage.sql.outbox import enqueue_in, enqueue_many_in

    now = harness.clock.now()
    kim = await member_id(harness, "kim")
    community = (await harness.store.get_member(kim)).community_id
    items = [
        NewOutbox(community, Destination.dm(kim), '{"title": "one"}', feature="gigs"),
        NewOutbox(
            community,
            Destination.dm(kim),
            '{"title": "later"}',
            feature="gigs",
            not_before=now + timedelta(hours=3),
        ),
        NewOutbox(community, Destination.channel("gigs"), '{"title": "post"}', feature="gigs"),
    ]
    async with harness.store._tx() as db:
        one = [
            await enqueue_in(db, replace(item, dedupe_key=f"one:{n}"), now)
            for n, item in enumerate(items)
        ]
        keyed = [replace(item, dedupe_key=f"many:{n}") for n, item in enumerate(items)]
        await enqueue_many_in(db, [*keyed, replace(items[0], dedupe_key="many:0")], now)
    (last,) = (await rows(harness.database, "SELECT MAX(id) FROM outbox"))[0]
    assert last == one[-1] + 3
    for n, first in enumerate(one):
        a = await harness.store.get_outbox(first)
        b = await harness.store.get_outbox(first + 3)
        assert a is not None
        assert b is not None
        assert replace(a, id=0, dedupe_key=None) == replace(b, id=0, dedupe_key=None), n
        assert b.dedupe_key == f"many:{n}"
    with pytest.raises(ValueError, match="edits"):
        async with harness.store._tx() as db:
            await enqueue_many_in(db, [replace(items[0], edit_of=one[0])], now)


@pytest.mark.asyncio
async def test_an_edit_to_the_skills_reaches_members_who_now_fit_and_nobody_twice(
    harness: Harness, database: Database
) -> None:
    h = harness
    await fitting_members(h)
    await posted(h, POST.replace("spatial mixing, dolby atmos", "spatial mixing"))
    assert sorted(await queued_dms(database)) == ["bob", "cat", "dan", "eve"]
    await h.run("ana", '/gig edit gig:1 skills:"spatial mixing, mastering"')
    await h.advance(timedelta(minutes=5))
    # Gus holds mastering: he hears of it now; the others heard once already.
    assert sorted(await queued_dms(database)) == ["bob", "cat", "dan", "eve", "gus"]
    (alert,) = h.transport.dms("gus")
    assert "Fits your skills: mastering" in alert.text
    for name in ("bob", "cat", "dan", "eve"):
        assert len(h.transport.dms(name)) == 1, name
    assert await count(database, "gig_alerts") == 5
    # An edit that leaves the skills alone matches nobody again.
    await h.run("ana", '/gig edit gig:1 title:"Atmos mix"')
    await h.advance(timedelta(minutes=5))
    assert await count(database, "gig_alerts") == 5
