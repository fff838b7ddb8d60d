"""Gig leads end to end through the console: post one, see it in #gigs, edit it, close it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_console import play


@pytest.mark.asyncio
async def test_post_edit_and_close_a_lead_in_the_console(tmp_path: Path) -> None:
    transcript = await play(
        tmp_path / "crossfade.db",
        [
            "/as ana member",
            "/profile timezone:Europe/London",
            '/gig post title:"Spatial mix @everyone" details:"Six episodes <@&123> <!channel>" '
            'skills:"spatial mixing, dolby atmos" pay:"400-600 EUR per day" where:Berlin '
            "when:2027-01-15 open-days:10 link:https://example.org/brief",
            '/gig edit gig:1 pay:"£250 per project"',
            "/gig mine",
            "/gig close gig:1 outcome:withdrawn",
        ],
    )
    assert "Gig #1 posted: Spatial mix @everyone" in transcript
    assert "── #gigs" in transcript
    assert "#1 Spatial mix @everyone" in transcript
    # User text is shown literally: the console has no pings, and nothing became a mention.
    assert "Six episodes <@&123> <!channel>" in transcript
    assert "€400–600 per day" in transcript
    assert "Where: Berlin" in transcript
    assert "Fri 15 Jan 2027" in transcript
    assert "Tags: spatial mixing · dolby atmos" in transcript
    assert "I'm interested" in transcript
    assert "Gig #1 edited: Spatial mix @everyone" in transcript
    assert "(message updated)" in transcript
    assert "£250 per project" in transcript
    assert "Open until Thu 10 Dec 2026 08:00 GMT · edited" in transcript
    assert "#1 Spatial mix @everyone: open · 0 members interested" in transcript
    assert "Gig #1 closed as withdrawn" in transcript
    assert "Withdrawn: #1 Spatial mix @everyone" in transcript
    assert "Traceback" not in transcript
