"""Sprint nudges: the wrap-up DM when a sprint's last week ends, its reminder, the pause question.

Everything runs through the engine on a fake clock, so each DM must fire at its due moment
(Engine.run_until stops exactly there) and next_due_at must name those moments too: the
real scheduler wakes at next_due_at and nothing else.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from tests.harness import Harness, Sent, reply_text
from tests.stores import Database

START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday
SPRINT = (
    '/sprint start goal:"Dolby Atmos podcast pilot" skill:"spatial mixing" '
    'deliverable:workshop deliverable-note:"A 45-minute workshop on binaural monitoring"'
)
# Check-ins are Mondays 10:00 in the member's zone: New York is UTC-5 all December.
NY_FIRST = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
UTC_FIRST = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
WRAP_UP = "Your sprint's last week is over"
REMINDER = "Reminder: wrap up your sprint"
PAUSE = "Three check-ins missed in a row"


def nudges(sent: list[Sent], title: str) -> list[Sent]:
    return [s for s in sent if s.message.title == title]


def action(message: Sent, label: str) -> str:
    return next(b.action for b in message.message.buttons if b.label.startswith(label))


async def new_yorker_with_a_three_week_sprint(h: Harness) -> None:
    # Channels mapped, so no announcement waits for one (it would be due again and again).
    await h.setup_channels()
    await h.run("ana", "/profile timezone:America/New_York")
    await h.run("ana", SPRINT + " weeks:3")


async def check_in_every_week(h: Harness, first: datetime, weeks: int) -> None:
    for week in range(weeks):
        await h.advance_to(first + timedelta(weeks=week, hours=1))
        await h.run("ana", f"/checkin progress:week{week + 1} confidence:4")


@pytest.mark.asyncio
async def test_wrap_up_dm_when_the_last_week_closes_at_local_time_and_one_reminder(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.engine")
    await new_yorker_with_a_three_week_sprint(harness)
    await check_in_every_week(harness, NY_FIRST, 3)
    ends = NY_FIRST + timedelta(weeks=3)  # week 3 closes Mon 28 Dec, 10:00 in New York
    # The real scheduler wakes at next_due_at: it must be the sprint's end.
    assert await harness.engine.next_due_at() == ends

    await harness.advance_to(ends - timedelta(minutes=1))
    assert nudges(harness.transport.dms("ana"), WRAP_UP) == []
    await harness.advance_to(ends + timedelta(hours=1))
    [wrap_up] = nudges(harness.transport.dms("ana"), WRAP_UP)
    assert wrap_up.at == ends
    assert "/sprint complete link:<url>" in wrap_up.text
    assert "Deliverable · Workshop: A 45-minute workshop on binaural monitoring" in wrap_up.text
    assert [b.label for b in wrap_up.message.buttons] == [
        "Complete with a link",
        "Extend 2 weeks",
        "Abandon",
    ]

    reminds = ends + timedelta(weeks=1)
    assert await harness.engine.next_due_at() == reminds
    await harness.advance_to(reminds + timedelta(weeks=5))
    [reminder] = nudges(harness.transport.dms("ana"), REMINDER)
    assert reminder.at == reminds
    assert len(nudges(harness.transport.dms("ana"), WRAP_UP)) == 1
    # Nothing left to do, so nothing stale holds the schedule.
    assert await harness.engine.next_due_at() is None
    assert "nothing to do" not in caplog.text


@pytest.mark.asyncio
async def test_completing_from_the_wrap_up_dm_stops_the_reminder(harness: Harness) -> None:
    await new_yorker_with_a_three_week_sprint(harness)
    await check_in_every_week(harness, NY_FIRST, 3)
    await harness.advance_to(NY_FIRST + timedelta(weeks=3, hours=2))
    [wrap_up] = nudges(harness.transport.dms("ana"), WRAP_UP)

    opened = await harness.core.press(harness.actor("ana"), action(wrap_up, "Complete"))
    assert opened.form is not None
    assert [f.name for f in opened.form.fields] == ["link"]
    asked = await harness.core.submit_form(
        harness.actor("ana"), opened.form.form_id, {"link": "https://example.org/workshop"}
    )
    # Completing is confirmed with a button (issue 7).
    assert asked.message is not None
    done = await harness.press("ana", asked.message.buttons[0].action)
    assert "is complete" in reply_text(done)
    await harness.advance(timedelta(weeks=3))
    assert nudges(harness.transport.dms("ana"), REMINDER) == []
    assert await harness.engine.next_due_at() is None
    # The button of a finished sprint says so instead of acting on another one.
    again = await harness.core.press(harness.actor("ana"), action(wrap_up, "Complete"))
    assert "already ended" in reply_text(again)


@pytest.mark.asyncio
async def test_no_wrap_up_dm_for_a_sprint_completed_before_its_end(harness: Harness) -> None:
    await new_yorker_with_a_three_week_sprint(harness)
    await harness.run("ben", "/profile timezone:America/New_York")
    await harness.run("ben", SPRINT + " weeks:3")
    await check_in_every_week(harness, NY_FIRST, 3)
    await harness.confirmed("ana", "/sprint complete link:https://example.org/workshop")
    await harness.advance(timedelta(weeks=4))
    assert nudges(harness.transport.dms("ana"), WRAP_UP) == []
    assert [s.at for s in nudges(harness.transport.dms("ben"), WRAP_UP)] == [
        NY_FIRST + timedelta(weeks=3)
    ]


@pytest.mark.asyncio
async def test_extending_stops_the_reminder_and_the_new_end_is_announced(
    harness: Harness,
) -> None:
    await new_yorker_with_a_three_week_sprint(harness)
    await check_in_every_week(harness, NY_FIRST, 3)
    await harness.advance_to(NY_FIRST + timedelta(weeks=3, hours=2))
    [wrap_up] = nudges(harness.transport.dms("ana"), WRAP_UP)

    extended = await harness.core.press(harness.actor("ana"), action(wrap_up, "Extend"))
    assert "Sprint updated" in reply_text(extended)
    assert "Week: 4 of 5" in reply_text(extended)
    # The same button again doesn't add another two weeks.
    twice = await harness.core.press(harness.actor("ana"), action(wrap_up, "Extend"))
    assert "already 5 weeks long" in reply_text(twice)

    # Weeks 4 and 5 follow on the next check-in days; no reminder meanwhile.
    week4 = NY_FIRST + timedelta(weeks=4)
    await check_in_every_week(harness, week4, 2)
    titles = [s.message.title for s in harness.transport.dms("ana")]
    assert "Weekly check-in · week 5 of 5" in titles
    assert REMINDER not in titles
    new_end = week4 + timedelta(weeks=2)
    await harness.advance_to(new_end + timedelta(hours=1))
    wrap_ups = nudges(harness.transport.dms("ana"), WRAP_UP)
    assert [s.at for s in wrap_ups] == [NY_FIRST + timedelta(weeks=3), new_end]
    assert nudges(harness.transport.dms("ana"), REMINDER) == []


@pytest.mark.asyncio
async def test_abandon_button_asks_for_the_reason_form_first(harness: Harness) -> None:
    await new_yorker_with_a_three_week_sprint(harness)
    await harness.advance_to(NY_FIRST + timedelta(weeks=3, hours=1))
    [wrap_up] = nudges(harness.transport.dms("ana"), WRAP_UP)
    other = await harness.core.press(harness.actor("ben"), action(wrap_up, "Abandon"))
    assert "someone else's" in reply_text(other)
    opened = await harness.core.press(harness.actor("ana"), action(wrap_up, "Abandon"))
    assert opened.form is not None
    assert [f.name for f in opened.form.fields] == ["reason"]
    # Pressing alone ended nothing; submitting the form does.
    assert "Dolby Atmos podcast pilot" in reply_text(await harness.run("ana", "/sprint status"))
    asked = await harness.core.submit_form(
        harness.actor("ana"), opened.form.form_id, {"reason": "new job"}
    )
    # Stopping is confirmed with a button (issue 7).
    assert asked.message is not None
    stopped = await harness.press("ana", asked.message.buttons[0].action)
    assert "Sprint stopped" in reply_text(stopped)
    await harness.advance(timedelta(weeks=2))
    assert nudges(harness.transport.dms("ana"), REMINDER) == []


@pytest.mark.asyncio
async def test_wrap_up_is_sent_once_across_restarts(database: Database) -> None:
    db = database
    clock = FakeClock(START)
    ends = NY_FIRST + timedelta(weeks=3)
    sent: list[Sent] = []
    async with await Harness.open(db, clock) as first:
        await new_yorker_with_a_three_week_sprint(first)
        await check_in_every_week(first, NY_FIRST, 3)
        await first.advance_to(ends - timedelta(minutes=1))
        clock.set(ends)
        # Decided and queued, then the process stops before delivering it.
        report = await first.engine.decide()
        assert report["sprints.endings"] == 1
        sent += first.transport.sent
    assert nudges(sent, WRAP_UP) == []

    async with await Harness.open(db, clock) as second:
        await second.engine.tick()
        sent += second.transport.sent
    assert [s.at for s in nudges(sent, WRAP_UP)] == [ends]

    async with await Harness.open(db, clock) as third:
        assert await third.engine.next_due_at() == ends + timedelta(weeks=1)
        await third.advance(timedelta(days=3))
        sent += third.transport.sent
    async with await Harness.open(db, clock) as fourth:
        await fourth.advance(timedelta(weeks=3))
        sent += fourth.transport.sent
    assert len(nudges(sent, WRAP_UP)) == 1
    assert [s.at for s in nudges(sent, REMINDER)] == [ends + timedelta(weeks=1)]


async def at_week(h: Harness, week: int, hours: int = 1) -> None:
    await h.advance_to(UTC_FIRST + timedelta(weeks=week - 1, hours=hours))


@pytest.mark.asyncio
async def test_three_missed_weeks_in_a_row_ask_once_whether_to_pause(harness: Harness) -> None:
    await harness.run("ana", SPRINT + " weeks:10")
    third_closes = UTC_FIRST + timedelta(weeks=3)
    await harness.advance_to(third_closes - timedelta(minutes=1))
    assert nudges(harness.transport.dms("ana"), PAUSE) == []
    await at_week(harness, 7)  # weeks 4, 5 and 6 missed as well
    [question] = nudges(harness.transport.dms("ana"), PAUSE)
    assert question.at == third_closes
    assert [b.label for b in question.message.buttons] == ["Pause check-ins"]

    other = await harness.core.press(harness.actor("ben"), question.message.buttons[0].action)
    assert "someone else's" in reply_text(other)
    paused = await harness.core.press(harness.actor("ana"), question.message.buttons[0].action)
    assert "Check-in prompts paused" in reply_text(paused)
    prompts = len(harness.transport.dms("ana"))
    await at_week(harness, 9)
    assert len(harness.transport.dms("ana")) == prompts  # paused weeks send nothing
    status = reply_text(await harness.run("ana", "/sprint status"))
    assert "0 done · 2 skipped · 7 missed" in status


@pytest.mark.asyncio
async def test_a_skipped_week_breaks_the_run_of_misses(harness: Harness) -> None:
    await harness.run("ana", SPRINT + " weeks:10")
    await at_week(harness, 3)
    await harness.run("ana", "/checkin skip reason:holiday")
    # Missed 1, 2, skipped 3, missed 4 and 5: no three in a row yet.
    await at_week(harness, 6, hours=0)
    assert nudges(harness.transport.dms("ana"), PAUSE) == []
    await at_week(harness, 7)  # week 6 missed too: 4, 5, 6
    [question] = nudges(harness.transport.dms("ana"), PAUSE)
    assert question.at == UTC_FIRST + timedelta(weeks=6)


@pytest.mark.asyncio
async def test_paused_weeks_are_not_counted_as_missed(harness: Harness) -> None:
    await harness.run("ana", SPRINT + " weeks:10")
    await at_week(harness, 3)
    await harness.run("ana", "/checkin pause")
    # Week 3 closes unanswered while paused, weeks 4 and 5 are skipped.
    await at_week(harness, 5)
    await harness.run("ana", "/checkin resume")
    await at_week(harness, 8, hours=0)  # weeks 6 and 7 missed after resuming
    assert nudges(harness.transport.dms("ana"), PAUSE) == []
    await at_week(harness, 9)  # and week 8: three in a row
    [question] = nudges(harness.transport.dms("ana"), PAUSE)
    assert question.at == UTC_FIRST + timedelta(weeks=8)


@pytest.mark.asyncio
async def test_weeks_missed_while_the_bot_was_down_do_not_count(database: Database) -> None:
    db = database
    clock = FakeClock(START)
    async with await Harness.open(db, clock) as first:
        await first.run("ana", SPRINT + " weeks:10")
    clock.set(UTC_FIRST + timedelta(weeks=3, hours=1))  # down through weeks 1 to 3
    async with await Harness.open(db, clock) as second:
        await second.engine.tick()
        assert nudges(second.transport.dms("ana"), PAUSE) == []
        await at_week(second, 7)  # prompted for weeks 4, 5, 6 and missed them all
        [question] = nudges(second.transport.dms("ana"), PAUSE)
        assert question.at == UTC_FIRST + timedelta(weeks=6)
    async with await Harness.open(db, clock) as third:
        await at_week(third, 10)  # still missing every week, after a restart: asked once
        assert nudges(third.transport.dms("ana"), PAUSE) == []
        prompts = [s for s in third.transport.dms("ana") if s.message.title.startswith("Weekly")]
        assert len(prompts) == 3  # weeks 8 to 10: the weekly prompts go on


@pytest.mark.asyncio
async def test_misses_up_to_the_last_week_get_the_wrap_up_not_the_pause_question(
    harness: Harness,
) -> None:
    await harness.run("ana", SPRINT + " weeks:3")
    await harness.advance(timedelta(weeks=6))
    dms = harness.transport.dms("ana")
    assert nudges(dms, PAUSE) == []
    assert [s.at for s in nudges(dms, WRAP_UP)] == [UTC_FIRST + timedelta(weeks=3)]
    # Extending after those misses doesn't dig up the old run either.
    await harness.core.press(harness.actor("ana"), action(nudges(dms, WRAP_UP)[0], "Extend"))
    await harness.advance(timedelta(days=1))
    assert nudges(harness.transport.dms("ana"), PAUSE) == []


@pytest.mark.asyncio
async def test_wrap_up_buttons_refuse_forged_ids_and_too_long_sprints(harness: Harness) -> None:
    await harness.run("ana", SPRINT + " weeks:25")
    ana = await harness.store.find_member(1, "ana")
    assert ana is not None
    sprint = await harness.store.active_sprint(ana.id)
    assert sprint is not None
    for forged in ("sprint.extend:99999999999999999999:25", "sprint.finish:x", "sprint.stop"):
        refused = await harness.core.press(harness.actor("ana"), forged)
        assert "someone else's sprint" in reply_text(refused), forged
    too_long = await harness.core.press(harness.actor("ana"), f"sprint.extend:{sprint.id}:25")
    assert "at most 26 weeks" in reply_text(too_long)
    assert await harness.store.active_sprint(ana.id) == sprint
