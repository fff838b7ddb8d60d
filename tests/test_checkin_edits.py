"""Changing a check-in: the filled form, clearing a blocker or skills, undoing a skip ahead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.harness import Harness, reply_text

SPRINT = (
    '/sprint start goal:"Live sound for hybrid events" skill:"low-latency streaming" '
    'deliverable:video-series deliverable-note:"Three short videos on remote monitoring"'
)
WEEK_1 = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)


async def week_1_blockers(h: Harness) -> str:
    member = await h.store.find_member(1, "ana")
    assert member is not None
    sprint = await h.store.active_sprint(member.id)
    assert sprint is not None
    return (await h.store.weeks(sprint.id))[0].blockers


@pytest.mark.asyncio
async def test_a_bare_checkin_after_checking_in_opens_the_filled_form(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    await harness.advance_to(WEEK_1)
    blank = await harness.run("ana", "/checkin", forms=True)
    assert blank.form is not None
    assert {f.value for f in blank.form.fields} == {""}
    await harness.run(
        "ana", '/checkin progress:"Tested the IEM mix" blockers:"No loaner desk" confidence:3'
    )
    filled = await harness.run("ana", "/checkin", forms=True)
    assert filled.form is not None
    values = {f.name: f.value for f in filled.form.fields}
    assert values == {
        "progress": "Tested the IEM mix",
        "blockers": "No loaner desk",
        "confidence": "3",
        "hours": "",
    }
    blockers = next(f for f in filled.form.fields if f.name == "blockers")
    assert "none clears it" in blockers.hint


@pytest.mark.asyncio
@pytest.mark.parametrize("clear", ["none", "-", "None"])
async def test_a_blocker_is_cleared_with_none(harness: Harness, clear: str) -> None:
    await harness.run("ana", SPRINT)
    await harness.advance_to(WEEK_1)
    await harness.run("ana", '/checkin progress:a blockers:"No loaner desk" confidence:3')
    assert await week_1_blockers(harness) == "No loaner desk"
    cleared = await harness.run("ana", f"/checkin progress:a blockers:{clear} confidence:3")
    assert "Blocking: nothing" in reply_text(cleared)
    assert await week_1_blockers(harness) == ""


@pytest.mark.asyncio
async def test_the_edit_form_clears_a_blocker_with_none(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    await harness.advance_to(WEEK_1)
    await harness.run("ana", '/checkin progress:a blockers:"No loaner desk" confidence:3')
    form = (await harness.run("ana", "/checkin", forms=True)).form
    assert form is not None
    values = {f.name: f.value for f in form.fields} | {"blockers": "none"}
    saved = await harness.core.submit_form(harness.actor("ana"), form.form_id, values)
    assert "Check-in updated" in reply_text(saved)
    assert await week_1_blockers(harness) == ""


@pytest.mark.asyncio
async def test_profile_skills_role_and_heading_can_be_cleared(harness: Harness) -> None:
    await harness.run("ana", '/profile skills:"live sound, metadata" role:FOH heading:Atmos')
    cleared = reply_text(await harness.run("ana", "/profile skills:none role:- heading:none"))
    assert "Skills: none yet" in cleared
    assert "Role: not set" in cleared
    assert "Heading: not set" in cleared
    member = await harness.store.find_member(1, "ana")
    assert member is not None
    assert (member.skills, member.current_role, member.heading) == ((), "", "")


@pytest.mark.asyncio
async def test_a_skip_ahead_can_be_undone(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    await harness.advance_to(WEEK_1)
    await harness.run("ana", "/checkin progress:a confidence:3")
    skipped = reply_text(await harness.run("ana", "/checkin skip reason:holiday"))
    assert "Week 2 will be skipped" in skipped
    assert "/checkin unskip" in skipped
    back = reply_text(await harness.run("ana", "/checkin unskip"))
    assert "Week 2 is back on" in back
    assert "2026-12-14 10:00 UTC" in back
    nothing = reply_text(await harness.run("ana", "/checkin unskip"))
    assert "No coming week is skipped" in nothing
    await harness.advance_to(WEEK_1 + timedelta(weeks=1))
    titles = [s.message.title for s in harness.transport.dms("ana")]
    assert titles[-1] == "Weekly check-in · week 2 of 12"
    assert "unskip" in reply_text(await harness.run("ana", "/help command:checkin"))


@pytest.mark.asyncio
async def test_a_skip_ahead_cannot_be_undone_once_its_slot_has_come(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    await harness.advance_to(WEEK_1)
    await harness.run("ana", "/checkin progress:a confidence:3")
    await harness.run("ana", "/checkin skip")
    member = await harness.store.find_member(1, "ana")
    assert member is not None
    sprint = await harness.store.active_sprint(member.id)
    assert sprint is not None
    ahead = (await harness.store.weeks(sprint.id))[-1]
    await harness.advance_to(WEEK_1 + timedelta(weeks=1))  # week 2's slot passes, skipped
    # A request read before the slot, arriving after it, changes nothing.
    assert not await harness.store.unskip_week(ahead)
    weeks = await harness.store.weeks(sprint.id)
    assert [(w.week, w.status.value) for w in weeks] == [(1, "done"), (2, "skipped")]
    # Its week is open now (skipped): checking in is the way back.
    open_skip = reply_text(await harness.run("ana", "/checkin unskip"))
    assert "Week 2 is skipped but still open: check in with /checkin" in open_skip
