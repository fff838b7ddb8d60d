"""What /sprint status says before a sprint starts, in its last week, and after a check-in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.harness import Harness, reply_text

SPRINT = (
    '/sprint start goal:"Binaural podcast pilot" skill:"spatial mixing" deliverable:workshop '
    'deliverable-note:"A workshop on binaural monitoring"'
)


@pytest.mark.asyncio
async def test_before_its_start_date_a_sprint_says_when_it_starts(harness: Harness) -> None:
    await harness.run("ana", SPRINT + " start:2026-12-12 weeks:8")
    status = reply_text(await harness.run("ana", "/sprint status"))
    assert "Starts: Sat 12 Dec 2026, in 12 days" in status
    assert "Length: 8 weeks" in status
    assert "Week:" not in status
    assert "Next check-in: 2026-12-21 10:00 UTC" in status
    # From its start date on, it counts weeks.
    await harness.advance_to(datetime(2026, 12, 12, 9, 0, tzinfo=UTC))
    status = reply_text(await harness.run("ana", "/sprint status"))
    assert "Week: 1 of 8" in status
    assert "Starts:" not in status


@pytest.mark.asyncio
async def test_days_left_count_to_the_close_of_the_last_week(harness: Harness) -> None:
    await harness.run("ana", SPRINT + " weeks:2")
    # Week 2 (the last) opens Mon 14 Dec 10:00 and stays open until Mon 21 Dec 10:00.
    await harness.advance_to(datetime(2026, 12, 14, 11, 0, tzinfo=UTC))
    status = reply_text(await harness.run("ana", "/sprint status"))
    assert "Week 2 check-in: open until 2026-12-21 10:00 UTC" in status
    assert "Days left: 7" in status
    await harness.advance_to(datetime(2026, 12, 21, 9, 0, tzinfo=UTC))
    status = reply_text(await harness.run("ana", "/sprint status"))
    assert "Days left: last day" in status
    await harness.advance_to(datetime(2026, 12, 21, 11, 0, tzinfo=UTC))
    status = reply_text(await harness.run("ana", "/sprint status"))
    assert "Days left" not in status
    assert "Your last check-in is behind you" in status


@pytest.mark.asyncio
async def test_after_checking_in_the_status_offers_to_edit_it(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    await harness.advance_to(datetime(2026, 12, 7, 11, 0, tzinfo=UTC))
    before = await harness.run("ana", "/sprint status")
    assert before.message is not None
    assert [b.label for b in before.message.buttons] == ["Check in"]
    await harness.run("ana", '/checkin progress:"Built the binaural chain" confidence:4 hours:3')
    after = await harness.run("ana", "/sprint status")
    assert after.message is not None
    assert [b.label for b in after.message.buttons] == ["Edit check-in"]
    opened = await harness.press("ana", after.message.buttons[0].action)
    assert opened.form is not None
    values = {f.name: f.value for f in opened.form.fields}
    assert values["progress"] == "Built the binaural chain"
    assert values["confidence"] == "4"
    assert values["hours"] == "3"
