"""Sprint lifecycle and a member's journey over the years."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.harness import Harness, reply_text

SPRINT = (
    '/sprint start goal:"Spatial mixing consultant starter kit" skill:"spatial mixing" '
    'deliverable:sample-calibration deliverable-note:"A free calibration profile for small rooms"'
)


@pytest.mark.asyncio
async def test_start_status_edit_complete_and_announcements(harness: Harness) -> None:
    await harness.setup_channels()
    started = reply_text(await harness.run("ana", SPRINT + " weeks:10"))
    assert "Sprint started: Spatial mixing consultant starter kit" in started
    assert "10 weeks building spatial mixing" in started
    assert "First check-in: 2026-12-07 10:00 UTC" in started
    announced = harness.transport.channel("announcements")
    assert "Ana started a 10-week sprint" in announced[0].text

    status = reply_text(await harness.run("ana", "/sprint status"))
    assert "Week: 1 of 10" in status
    # Until the last week closes (its check-in opens Mon 8 Feb 2027, closes Mon 15 Feb): issue 7.
    assert "Days left: 77" in status
    assert "Next check-in: 2026-12-07 10:00 UTC" in status
    assert "Deliverable · Sample calibration: A free calibration profile" in status

    edited = reply_text(await harness.run("ana", "/sprint edit weeks:12 skill:Atmos"))
    assert "Sprint updated" in edited
    assert "Week: 1 of 12" in edited

    await harness.advance(timedelta(days=7, hours=3))  # week 1 is open
    await harness.run("ana", "/checkin progress:Measured confidence:3")
    line = "/sprint complete link:https://example.org/pack"
    done = reply_text(await harness.confirmed("ana", line))
    assert "is complete" in done
    celebration = harness.transport.channel("announcements")[-1].text
    assert "finished “Spatial mixing consultant starter kit”" in celebration
    assert "https://example.org/pack" in celebration
    assert "no active sprint" in reply_text(await harness.run("ana", "/sprint status"))


@pytest.mark.asyncio
async def test_no_prompts_after_abandoning(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    stopped = reply_text(await harness.confirmed("ana", "/sprint abandon reason:moving house"))
    assert "Sprint stopped" in stopped
    await harness.advance(timedelta(weeks=3))
    assert harness.transport.dms("ana") == []


@pytest.mark.asyncio
async def test_a_sprint_cannot_be_shortened_below_its_past_weeks(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    await harness.advance(timedelta(weeks=3, days=2))
    refused = reply_text(await harness.run("ana", "/sprint edit weeks:2"))
    assert "already had 3 check-in weeks" in refused


@pytest.mark.asyncio
async def test_journey_over_the_years(harness: Harness) -> None:
    await harness.run(
        "ana",
        '/profile role:"FOH engineer" heading:"spatial mixing consultant"',
    )
    await harness.run("ana", SPRINT + " weeks:4")
    await harness.advance(timedelta(weeks=5))
    await harness.confirmed("ana", "/sprint complete link:https://example.org/one")
    await harness.advance_to(datetime(2027, 9, 6, 9, 0, tzinfo=UTC))
    await harness.run(
        "ana",
        '/sprint start goal:"Teach a short course" skill:teaching deliverable:workshop '
        'deliverable-note:"A two-hour online workshop"',
    )
    await harness.advance(timedelta(weeks=2))
    await harness.confirmed("ana", "/sprint abandon")
    await harness.advance_to(datetime(2028, 1, 10, 9, 0, tzinfo=UTC))
    await harness.run(
        "ana",
        '/sprint start goal:"Low-latency streaming" skill:streaming deliverable:other '
        'deliverable-note:"A public latency shoot-out"',
    )
    journey = reply_text(await harness.run("ben", "/journey member:ana"))
    assert "Ana's journey" in journey
    assert "FOH engineer → spatial mixing consultant" in journey
    assert "3 sprints, 1 completed." in journey
    lines = journey.splitlines()
    first = next(i for i, line in enumerate(lines) if "Spatial mixing consultant starter" in line)
    second = next(i for i, line in enumerate(lines) if "Teach a short course" in line)
    third = next(i for i, line in enumerate(lines) if "Low-latency streaming" in line)
    assert first < second < third
    # Each sprint: start date → end date in one format (issue 7), and its outcome.
    assert "#1 Spatial mixing consultant starter kit" in journey
    assert "30 Nov 2026 → 4 Jan 2027 · completed" in journey
    assert "6 Sep 2027 → 20 Sep 2027 · stopped" in journey
    assert "10 Jan 2028 → now · in progress" in journey
    assert "https://example.org/one" in journey


@pytest.mark.asyncio
async def test_start_in_the_future_and_first_checkin_after_three_days(harness: Harness) -> None:
    started = reply_text(await harness.run("ana", SPRINT + " start:2026-12-12"))
    assert "Starts: Sat 12 Dec 2026" in started
    # Saturday start: Monday is too soon, so the first check-in is the Monday after.
    assert "First check-in: 2026-12-21 10:00 UTC" in started


@pytest.mark.asyncio
async def test_suggestions(harness: Harness) -> None:
    await harness.run("ana", '/profile skills:"spatial mixing, live sound"')
    await harness.run("ben", SPRINT)
    actor = harness.actor("cat")
    profile = harness.core.registry.get("profile")
    assert profile is not None
    zones = await harness.core.suggest(actor, profile, "timezone", "adel")
    assert zones[0].value == "Australia/Adelaide"
    skills = await harness.core.suggest(actor, profile, "skills", "metadata, spa")
    assert [c.value for c in skills] == ["metadata, spatial mixing"]
    status = harness.core.registry.get("sprint.status")
    assert status is not None
    own = await harness.core.suggest(harness.actor("ben"), status, "sprint", "")
    assert [c.label for c in own] == ["#1 Spatial mixing consultant starter kit"]


@pytest.mark.asyncio
async def test_help_shows_admin_commands_only_to_admins(harness: Harness) -> None:
    member = reply_text(await harness.run("ana", "/help"))
    admin = reply_text(await harness.run("boss", "/help", admin=True))
    assert "/sprint start" in member
    assert "/admin schedule" not in member
    assert "/admin schedule" in admin
    detail = reply_text(await harness.run("ana", "/help command:checkin"))
    assert "confidence: How confident you feel" in detail


@pytest.mark.asyncio
async def test_a_request_without_a_name_keeps_the_known_name(harness: Harness) -> None:
    from dataclasses import replace

    await harness.run("ana", "/profile")
    nameless = replace(harness.actor("ana"), display_name="")
    await harness.core.run_line(nameless, "/profile role:Mixer")
    member = await harness.store.find_member(1, "ana")
    assert member is not None
    assert member.display_name == "Ana"
    newcomer = replace(harness.actor("zed"), display_name="")
    await harness.core.run_line(newcomer, "/profile")
    zed = await harness.store.find_member(1, "zed")
    assert zed is not None
    assert zed.display_name == "zed"  # the platform id until a name is known
