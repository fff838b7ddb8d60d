"""Weekly prompts land at 10:00 local for every member, across each zone's clock changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from tests.harness import Harness
from tests.stores import Database

ZONES = {
    "nyc": "America/New_York",
    "ldn": "Europe/London",
    "kol": "Asia/Kolkata",
    "adl": "Australia/Adelaide",
}
SPRINT = (
    '/sprint start goal:"Spatial audio basics" skill:"spatial mixing" '
    'deliverable:workshop deliverable-note:"A short public workshop" weeks:12'
)


async def prompts_from(database: Database, start: datetime) -> dict[str, list[datetime]]:
    """Start a 12-week sprint for each member at ``start``; return when each prompt arrived."""
    h = await Harness.open(database, FakeClock(start))
    try:
        for name, zone in ZONES.items():
            await h.run(name, f"/profile timezone:{zone}")
            await h.run(name, SPRINT)
        await h.advance(timedelta(weeks=13))
        return {
            name: [s.at for s in h.transport.dms(name) if s.message.title.startswith("Weekly")]
            for name in ZONES
        }
    finally:
        await h.close()


def assert_monday_ten(name: str, moments: list[datetime]) -> None:
    zone = ZoneInfo(ZONES[name])
    assert len(moments) == 12, (name, moments)
    for moment in moments:
        local = moment.astimezone(zone)
        assert (local.weekday(), local.hour, local.minute) == (0, 10, 0), (name, local)


@pytest.mark.asyncio
async def test_spring_changes_us_uk_and_adelaide_autumn(database: Database) -> None:
    # Weeks from 23 Feb to 11 May 2026: the US springs forward on 8 Mar, the UK on 29 Mar,
    # and Adelaide falls back on 5 Apr.
    prompts = await prompts_from(database, datetime(2026, 2, 16, 0, 0, tzinfo=UTC))
    for name in ZONES:
        assert_monday_ten(name, prompts[name])
    utc_hours = {name: sorted({m.hour for m in prompts[name]}) for name in ZONES}
    assert utc_hours["nyc"] == [14, 15]  # 10:00 EDT then EST... both appear
    assert utc_hours["ldn"] == [9, 10]
    assert utc_hours["kol"] == [4]  # no daylight saving: always 04:30 UTC
    assert {m.minute for m in prompts["kol"]} == {30}
    assert {m.minute for m in prompts["adl"]} == {30}  # half-hour offset zone
    # The weeks either side of each change.
    nyc = [m.astimezone(UTC) for m in prompts["nyc"]]
    assert datetime(2026, 3, 2, 15, 0, tzinfo=UTC) in nyc  # EST, before 8 Mar
    assert datetime(2026, 3, 9, 14, 0, tzinfo=UTC) in nyc  # EDT, after
    ldn = [m.astimezone(UTC) for m in prompts["ldn"]]
    assert datetime(2026, 3, 23, 10, 0, tzinfo=UTC) in ldn  # GMT, before 29 Mar
    assert datetime(2026, 3, 30, 9, 0, tzinfo=UTC) in ldn  # BST, after
    adl = [m.astimezone(UTC) for m in prompts["adl"]]
    assert datetime(2026, 3, 29, 23, 30, tzinfo=UTC) in adl  # ACDT (+10:30), before 5 Apr
    assert datetime(2026, 4, 6, 0, 30, tzinfo=UTC) in adl  # ACST (+9:30), after


@pytest.mark.asyncio
async def test_autumn_changes_and_adelaide_spring(database: Database) -> None:
    # Weeks from 21 Sep to 7 Dec 2026: Adelaide springs forward on 4 Oct, the UK falls
    # back on 25 Oct and the US on 1 Nov.
    prompts = await prompts_from(database, datetime(2026, 9, 14, 0, 0, tzinfo=UTC))
    for name in ZONES:
        assert_monday_ten(name, prompts[name])
    adl = [m.astimezone(UTC) for m in prompts["adl"]]
    assert datetime(2026, 9, 28, 0, 30, tzinfo=UTC) in adl  # ACST, before 4 Oct
    assert datetime(2026, 10, 4, 23, 30, tzinfo=UTC) in adl  # ACDT, after
    ldn = [m.astimezone(UTC) for m in prompts["ldn"]]
    assert datetime(2026, 10, 19, 9, 0, tzinfo=UTC) in ldn
    assert datetime(2026, 10, 26, 10, 0, tzinfo=UTC) in ldn
    nyc = [m.astimezone(UTC) for m in prompts["nyc"]]
    assert datetime(2026, 10, 26, 14, 0, tzinfo=UTC) in nyc
    assert datetime(2026, 11, 2, 15, 0, tzinfo=UTC) in nyc


@pytest.mark.asyncio
async def test_a_checkin_time_inside_the_spring_gap_moves_past_it(database: Database) -> None:
    # 02:30 on 8 Mar 2026 doesn't exist in New York: the prompt comes at 03:30 EDT, once.
    h = await Harness.open(database, FakeClock(datetime(2026, 2, 23, tzinfo=UTC)))
    try:
        await h.run("boss", "/admin schedule day:sunday time:02:30", admin=True)
        await h.run("nyc", "/profile timezone:America/New_York")
        await h.run("nyc", SPRINT.replace("weeks:12", "weeks:3"))
        await h.advance(timedelta(weeks=4))
        local = [
            s.at.astimezone(ZoneInfo("America/New_York"))
            for s in h.transport.dms("nyc")
            if s.message.title.startswith("Weekly")
        ]
        assert [(d.day, d.hour, d.minute) for d in local] == [(1, 2, 30), (8, 3, 30), (15, 2, 30)]
    finally:
        await h.close()
