"""Small text: articles, plurals, the weekly summary nobody checked in to, journey dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.wording import article, plural
from tests.harness import Harness, reply_text

SPRINT = (
    '/sprint start goal:"Loudness metadata" skill:metadata deliverable:video-series '
    'deliverable-note:"Three videos on podcast loudness"'
)


def test_articles_and_plurals_read_as_spoken() -> None:
    assert [f"{article(n)} {n}" for n in (1, 8, 11, 12, 18, 26, 80, 110, 800, 1800, 11000)] == [
        "a 1",
        "an 8",
        "an 11",
        "a 12",
        "an 18",
        "a 26",
        "an 80",
        "a 110",
        "an 800",
        "a 1800",
        "an 11000",
    ]
    assert [plural(n, "sprint") for n in (0, 1, 2)] == ["0 sprints", "1 sprint", "2 sprints"]
    assert plural(1, "check-in") == "1 check-in"


@pytest.mark.asyncio
async def test_an_8_week_sprint_and_a_1_week_one(harness: Harness) -> None:
    await harness.setup_channels()
    started = reply_text(await harness.run("ana", SPRINT + " weeks:8"))
    assert "8 weeks building metadata" in started
    await harness.run("ben", SPRINT + " weeks:1")
    posts = [p.text for p in harness.transport.channel("announcements")]
    assert any("Ana started an 8-week sprint" in p for p in posts)
    assert any("Ben started a 1-week sprint" in p for p in posts)
    status = reply_text(await harness.run("ben", "/sprint status"))
    assert "Streak: 0 weeks" in status


@pytest.mark.asyncio
async def test_a_summary_nobody_checked_in_to_reports_no_blockers(harness: Harness) -> None:
    await harness.setup_channels()
    await harness.run("ana", SPRINT)
    await harness.advance_to(datetime(2026, 12, 14, 11, 0, tzinfo=UTC))
    posts = harness.transport.channel("check-ins")
    assert len(posts) == 1
    summary = posts[0].text
    assert "0 of 1 checked in." in summary
    assert "Missed: @Ana" in summary
    assert "Blocked" not in summary
    assert "nice" not in summary


@pytest.mark.asyncio
async def test_journey_dates_run_forward_and_future_sprints_are_planned(
    harness: Harness,
) -> None:
    # Planned for January, abandoned in December before it began.
    await harness.run("ana", SPRINT + " start:2027-01-04")
    await harness.confirmed("ana", "/sprint abandon")
    await harness.run("ana", SPRINT + " start:2027-01-04")
    journey = reply_text(await harness.run("ana", "/journey"))
    first = "#1 Loudness metadata (metadata): planned for 4 Jan 2027 · stopped 30 Nov 2026"
    assert first in journey
    # Its 12 weeks end when the last check-in week (opening Mon 29 Mar) closes.
    assert "#2 Loudness metadata (metadata): 4 Jan 2027 → 5 Apr 2027 · planned" in journey
    assert "Dec 2026" not in journey
