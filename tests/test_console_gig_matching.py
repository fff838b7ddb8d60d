"""Gig matching end to end through the console: the alert and the intro show as DMs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_console import play


@pytest.mark.asyncio
async def test_a_posted_lead_reaches_kim_by_dm_and_her_intro_reaches_ana(tmp_path: Path) -> None:
    transcript = await play(
        tmp_path / "crossfade.db",
        [
            "/as kim",
            '/profile timezone:Europe/London role:"FOH engineer" '
            'heading:"spatial mixing consultant" skills:"Spatial-Mixing, live sound"',
            "/as lee",
            "/profile skills:mastering",
            "/as ana",
            "/profile timezone:Europe/London",
            '/gig post title:"Spatial mix for a podcast" details:"Six episodes, binaural" '
            'skills:"spatial mixing, dolby atmos" pay:"400-600 EUR per day"',
            "/as kim",
            "/gig list",
            "/gig interested gig:1",
            "/gig interested gig:1",
        ],
    )
    assert "── DM to kim" in transcript
    assert "Gig lead for you: #1 Spatial mix for a podcast" in transcript
    assert "Fits your skills: spatial mixing" in transcript
    assert "DM to lee" not in transcript
    assert "#1 Spatial mix for a podcast: €400–600 per day · Remote · Ongoing" in transcript
    assert "Intro sent: #1 Spatial mix for a podcast" in transcript
    assert "── DM to ana" in transcript
    assert "Interested in #1 Spatial mix for a podcast: kim" in transcript
    assert "FOH engineer → spatial mixing consultant" in transcript
    assert "1 member interested" in transcript
    assert "Already sent: #1 Spatial mix for a podcast" in transcript
    assert transcript.count("Interested in #1 Spatial mix for a podcast: kim") == 1
    assert "Traceback" not in transcript


@pytest.mark.asyncio
async def test_the_console_shows_the_fixed_wording_of_interest_filling_and_help(
    tmp_path: Path,
) -> None:
    transcript = await play(
        tmp_path / "crossfade.db",
        [
            "/as kim",
            '/profile timezone:Europe/London skills:"spatial mixing"',
            "/as lee",
            '/profile timezone:Europe/London skills:"spatial mixing"',
            "/as ana",
            "/profile timezone:Europe/London",
            '/gig post title:"Podcast spatial mix" details:"Six episodes, binaural" '
            'skills:"spatial mixing" pay:"400-600 EUR per day" open-days:0',
            '/gig post title:"Podcast spatial mix" details:"Six episodes, binaural" '
            'skills:"spatial mixing" pay:"400-600 EUR per day" link:https://bit.ly./x',
            '/gig post title:"Podcast spatial mix" details:"Six episodes, binaural" '
            'skills:"spatial mixing" pay:"400-600 EUR per day"',
            "/as kim",
            "/gig interested gig:1",
            "/as lee",
            "/gig interested gig:1",
            "/as ana",
            "/gig close gig:1 outcome:filled hired:kim",
            "/journey member:kim",
            "/help gig post",
        ],
    )
    assert "give open-days:1 or more" in transcript
    assert "not a shortened one (bit.ly)" in transcript
    # Kim gave no role or portfolio: the intro and her answer leave them out.
    assert "ana got your name and matching skills privately" in transcript.lower()
    assert "role not given" not in transcript
    assert "none of the lead's" not in transcript
    assert "You got gig #1: Podcast spatial mix" in transcript
    assert "1 other interested member will hear it is filled" in transcript
    assert transcript.count("Gig #1 is filled: Podcast spatial mix") == 1
    assert "Gigs: Podcast spatial mix (November 2026)" in transcript
    assert "gig: Podcast spatial mix" not in transcript
    assert "pay: Pay:" not in transcript
    assert "Traceback" not in transcript


@pytest.mark.asyncio
async def test_leads_posted_at_night_reach_the_console_as_one_morning_dm(tmp_path: Path) -> None:
    post = (
        '/gig post title:"{}" details:"Six episodes" skills:"spatial mixing" '
        'pay:"400-600 EUR per day"'
    )
    transcript = await play(
        tmp_path / "crossfade.db",
        [
            "/as kim",
            '/profile timezone:Europe/London skills:"spatial mixing"',
            "/as ana",
            "/advance 14h",
            post.format("Night mix"),
            post.format("Late master"),
            "/gig close gig:2 outcome:withdrawn",
            post.format("Small hours edit"),
            "/advance 11h",
        ],
    )
    assert transcript.count("── DM to kim") == 1
    assert "Gig leads for you overnight: 2" in transcript
    assert "#3 Small hours edit" in transcript
    assert "#1 Night mix" in transcript
    assert "Late master\n" not in transcript.split("── DM to kim")[1].split("──")[0]
    assert "Tue 01 Dec 08:00 GMT" in transcript.split("── DM to kim")[1]
    assert "Traceback" not in transcript
