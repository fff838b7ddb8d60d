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
