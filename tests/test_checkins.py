"""Weekly check-ins as members live them: prompts, answers, skips, pauses, streaks, summaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.messages import plain
from tests.harness import Harness, reply_text

SPRINT = (
    '/sprint start goal:"Low-latency monitoring for hybrid events" skill:"low-latency streaming" '
    'deliverable:video-series deliverable-note:"Three short videos on remote monitoring"'
)
FIRST = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # first Monday 10:00 UTC after the start


def titles(h: Harness, who: str) -> list[str]:
    return [s.message.title for s in h.transport.dms(who)]


async def at_week(h: Harness, week: int, hours: int = 1) -> None:
    await h.advance_to(FIRST + timedelta(weeks=week - 1, hours=hours))


@pytest.mark.asyncio
async def test_checkin_edits_prompt_in_place_and_can_be_changed_until_week_ends(
    harness: Harness,
) -> None:
    await harness.setup_channels()
    await harness.run("ana", SPRINT)
    await at_week(harness, 1)
    assert titles(harness, "ana") == ["Weekly check-in · week 1 of 12"]
    prompt = harness.transport.dms("ana")[0]
    assert [b.label for b in prompt.message.buttons] == ["Check in", "Skip this week"]

    first = await harness.run("ana", '/checkin progress:"Built the IEM rig" confidence:3 hours:5')
    assert "Checked in for week 1 of 12" in reply_text(first)
    edits = harness.transport.edits()
    assert len(edits) == 1
    assert edits[0].receipt == prompt.receipt  # the prompt message itself is updated
    assert edits[0].message.title.endswith("done ✓")

    again = await harness.run(
        "ana", '/checkin progress:"Built and tested the IEM rig" confidence:4'
    )
    assert "Check-in updated for week 1 of 12" in reply_text(again)
    assert len(harness.transport.edits()) == 1

    # No reminder for an answered week.
    await at_week(harness, 1, hours=30)
    assert not any("Reminder" in t for t in titles(harness, "ana"))

    status = reply_text(await harness.run("ana", "/sprint status"))
    assert "Latest confidence: 4/5" in status
    assert "Week 1 check-in: done, editable until" in status


@pytest.mark.asyncio
async def test_button_opens_the_form_prefilled_and_submission_saves(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    await at_week(harness, 1)
    prompt = harness.transport.dms("ana")[0]
    opened = await harness.core.press(harness.actor("ana"), prompt.message.buttons[0].action)
    assert opened.form is not None
    assert [f.name for f in opened.form.fields] == ["progress", "blockers", "confidence", "hours"]
    saved = await harness.core.submit_form(
        harness.actor("ana"),
        opened.form.form_id,
        {"progress": "Patched the stage box", "confidence": "4", "blockers": ""},
    )
    assert "Checked in for week 1" in reply_text(saved)
    reopened = await harness.core.press(harness.actor("ana"), prompt.message.buttons[0].action)
    assert reopened.form is not None
    assert {f.name: f.value for f in reopened.form.fields}["progress"] == "Patched the stage box"
    # Someone else pressing Ana's button is told so.
    other = await harness.core.press(harness.actor("ben"), prompt.message.buttons[0].action)
    assert "someone else's" in reply_text(other)


@pytest.mark.asyncio
async def test_one_reminder_for_an_unanswered_week(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    await at_week(harness, 1, hours=23)
    assert titles(harness, "ana") == ["Weekly check-in · week 1 of 12"]
    await at_week(harness, 1, hours=24 * 6)
    reminders = [s for s in harness.transport.dms("ana") if "Reminder" in s.message.title]
    assert len(reminders) == 1
    assert reminders[0].at == FIRST + timedelta(hours=24)


@pytest.mark.asyncio
async def test_reminders_can_be_turned_off(harness: Harness) -> None:
    await harness.run("boss", "/admin schedule reminder-hours:0", admin=True)
    await harness.run("ana", SPRINT)
    await at_week(harness, 2)
    assert titles(harness, "ana") == [
        "Weekly check-in · week 1 of 12",
        "Weekly check-in · week 2 of 12",
    ]


@pytest.mark.asyncio
async def test_streak_skips_and_misses(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    await at_week(harness, 1)
    await harness.run("ana", "/checkin progress:a confidence:3")
    await at_week(harness, 2)
    await harness.run("ana", "/checkin progress:b confidence:3")
    # Holiday next week: skipping ahead means no prompt for week 4.
    await at_week(harness, 3)
    await harness.run("ana", "/checkin progress:c confidence:4")
    skipped = await harness.run("ana", "/checkin skip reason:holiday")
    assert "Week 4 will be skipped" in reply_text(skipped)
    await at_week(harness, 5)
    assert "Weekly check-in · week 4 of 12" not in titles(harness, "ana")
    status = reply_text(await harness.run("ana", "/sprint status"))
    assert "Check-ins: 3 done · 1 skipped · 0 missed" in status
    assert "Streak: 3 weeks" in status
    # Week 5 goes unanswered: once it closes, the streak is broken.
    await at_week(harness, 6)
    status = reply_text(await harness.run("ana", "/sprint status"))
    assert "Check-ins: 3 done · 1 skipped · 1 missed" in status
    assert "Streak: 0 weeks" in status
    await harness.run("ana", "/checkin progress:d confidence:4")
    assert "Streak: 1 week" in reply_text(await harness.run("ana", "/sprint status"))


@pytest.mark.asyncio
async def test_pause_stops_prompts_without_breaking_the_streak(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    await at_week(harness, 1)
    await harness.run("ana", "/checkin progress:a confidence:3")
    assert "paused" in reply_text(await harness.run("ana", "/checkin pause"))
    assert "already paused" in reply_text(await harness.run("ana", "/checkin pause"))
    await at_week(harness, 3)
    assert titles(harness, "ana") == ["Weekly check-in · week 1 of 12"]
    resumed = reply_text(await harness.run("ana", "/checkin resume"))
    assert "Next prompt:" in resumed
    await at_week(harness, 4)
    assert titles(harness, "ana")[-1] == "Weekly check-in · week 4 of 12"
    status = reply_text(await harness.run("ana", "/sprint status"))
    assert "1 done · 2 skipped · 0 missed" in status
    assert "Streak: 1 week" in status


@pytest.mark.asyncio
async def test_weekly_summary_with_trend_and_blockers(harness: Harness) -> None:
    await harness.setup_channels()
    for who in ("ana", "ben", "cat", "dan"):
        await harness.run(who, SPRINT)
    await harness.run("ana", "/profile share-blockers:yes")
    await at_week(harness, 1)
    await harness.run("ana", '/checkin progress:a confidence:2 blockers:"No loaner console"')
    await harness.run("ben", '/checkin progress:b confidence:4 blockers:"Private stuff"')
    await harness.run("cat", "/checkin skip")
    await at_week(harness, 2)
    await harness.run("ana", "/checkin progress:c confidence:5")
    await harness.run("ben", "/checkin progress:d confidence:5")
    await at_week(harness, 3)

    posts = harness.transport.channel("check-ins")
    assert [p.message.title for p in posts] == [
        "Weekly check-ins · week of Mon 07 Dec 2026",
        "Weekly check-ins · week of Mon 14 Dec 2026",
    ]
    week1 = posts[0].text
    assert "2 of 4 checked in." in week1
    assert "Confidence: 3.0 / 5" in week1
    assert "Skipped: @Cat" in week1
    assert "Missed: @Dan" in week1
    assert "@Ana: No loaner console" in week1
    assert "@Ben (details private)" in week1
    assert "Private stuff" not in week1
    week2 = posts[1].text
    assert "Confidence: 5.0 / 5 ↑ (last week 3.0)" in week2
    assert "@Ana (2🔥)" in week2
    # A summary names members without pinging them.
    mentions = [p for f in posts[0].message.fields for p in f.value if not isinstance(p, str)]
    assert mentions
    assert all(not getattr(m, "ping", True) for m in mentions if hasattr(m, "ping"))


@pytest.mark.asyncio
async def test_summary_waits_for_the_latest_time_zone(harness: Harness) -> None:
    await harness.setup_channels()
    await harness.run("ldn", "/profile timezone:Europe/London")
    await harness.run("lax", "/profile timezone:America/Los_Angeles")
    for who in ("ldn", "lax"):
        await harness.run(who, SPRINT)
    # London's week 1 closes Mon 14 Dec 10:00 UTC; Los Angeles' at 18:00 UTC.
    await harness.advance_to(datetime(2026, 12, 14, 12, 0, tzinfo=UTC))
    assert harness.transport.channel("check-ins") == []
    await harness.advance_to(datetime(2026, 12, 14, 18, 0, tzinfo=UTC))
    posts = harness.transport.channel("check-ins")
    assert len(posts) == 1
    assert posts[0].at == datetime(2026, 12, 14, 18, 0, tzinfo=UTC)


@pytest.mark.asyncio
async def test_checkin_before_the_week_opens_says_when(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    early = reply_text(await harness.run("ana", "/checkin progress:x confidence:3"))
    assert "Your week 1 check-in opens at the community's check-in time" in early


@pytest.mark.asyncio
async def test_moving_time_zone_moves_the_next_prompt(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    moved = reply_text(await harness.run("ana", "/profile timezone:Asia/Tokyo"))
    assert "Your next check-in prompt:" in moved
    await harness.advance_to(datetime(2026, 12, 7, 1, 0, tzinfo=UTC))
    prompt = harness.transport.dms("ana")[0]
    assert prompt.at == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo


@pytest.mark.asyncio
async def test_admin_changes_the_schedule_for_running_sprints(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    saved = reply_text(
        await harness.run("boss", "/admin schedule day:friday time:16:30", admin=True)
    )
    assert "1 active sprint moved" in saved  # was "sprint(s)": issue 7
    assert "Check-in day: Friday" in saved
    await harness.advance(timedelta(days=12))
    prompt = harness.transport.dms("ana")[0]
    assert prompt.at == datetime(2026, 12, 4, 16, 30, tzinfo=UTC)
    assert prompt.message.fields[0].name == "Open until"
    assert plain(prompt.message.fields[0].value) == "2026-12-11 16:30 UTC"


@pytest.mark.asyncio
async def test_ending_a_sprint_mid_week_keeps_everyone_elses_schedule(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await harness.setup_channels()
    await harness.run("ana", SPRINT)
    await harness.run("cat", SPRINT)
    await at_week(harness, 1)  # both prompted; reminders due a day later
    await harness.confirmed("ana", "/sprint abandon")
    await harness.run("cat", "/checkin progress:done confidence:4")
    await harness.confirmed("cat", "/sprint complete link:https://example.org/cat")
    await harness.run("bob", SPRINT)
    await harness.advance_to(datetime(2026, 12, 28, 11, 0, tzinfo=UTC))
    assert "nothing to do" not in caplog.text
    # Bob's prompts came on time, each Monday at 10:00.
    bob = [s.at for s in harness.transport.dms("bob") if s.message.title.startswith("Weekly")]
    assert bob == [
        datetime(2026, 12, 14, 10, 0, tzinfo=UTC),
        datetime(2026, 12, 21, 10, 0, tzinfo=UTC),
        datetime(2026, 12, 28, 10, 0, tzinfo=UTC),
    ]
    # No reminder for Ana's abandoned week.
    assert not any("Reminder" in s.message.title for s in harness.transport.dms("ana"))
    summaries = harness.transport.channel("check-ins")
    week1 = summaries[0].text
    assert "1 of 1 checked in." in week1  # Cat finished and checked in; Ana left
    assert "@Ana" not in week1
    ana = await harness.store.find_member(1, "ana")
    assert ana is not None
    sprint = (await harness.store.member_sprints(ana.id))[0]
    weeks = await harness.store.weeks(sprint.id)
    assert [(w.status.value, w.skip_reason, w.remind_at) for w in weeks] == [
        ("skipped", "sprint ended", None)
    ]


@pytest.mark.asyncio
async def test_a_bare_checkin_says_why_before_any_form(harness: Harness) -> None:
    no_sprint = await harness.run("ana", "/checkin", forms=True)
    assert no_sprint.form is None
    assert "You have no active sprint" in reply_text(no_sprint)
    await harness.run("ana", SPRINT)
    too_early = await harness.run("ana", "/checkin", forms=True)
    assert too_early.form is None
    assert "opens at the community's check-in time" in reply_text(too_early)
    await at_week(harness, 1)
    ready = await harness.run("ana", "/checkin", forms=True)
    assert ready.form is not None
    assert ready.message is None  # a bare command just opens its form
    again = await harness.run("ana", "/sprint start", forms=True)
    assert again.form is None
    assert "You already have an active sprint" in reply_text(again)
