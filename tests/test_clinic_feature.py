"""Clinics as a feature: its channel purpose and fallback, its host role, its type-ahead, its
closed-DM note, and the console end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.messages import plain
from tests.clinic_helpers import CREATE, host_clinic
from tests.harness import Harness, reply_text
from tests.test_console import play


@pytest.mark.asyncio
async def test_announcements_go_to_the_clinics_channel_once_an_admin_sets_one(
    harness: Harness,
) -> None:
    await harness.run("boss", "/admin channel purpose:clinics", admin=True, channel="clinics")
    await host_clinic(harness)
    (post,) = harness.transport.channel("clinics")
    assert post.message.title == "Clinic: Room calibration"
    assert [s.message.title for s in harness.transport.channel("announcements")] == []


@pytest.mark.asyncio
async def test_a_bare_create_by_a_member_who_is_no_host_opens_no_form(harness: Harness) -> None:
    refused = await harness.run("kim", "/clinic create", forms=True)
    assert refused.form is None
    assert reply_text(refused).startswith("Only hosts and admins can create a clinic")
    await harness.run("boss", "/admin host member:kim", admin=True)
    opened = await harness.run("kim", "/clinic create", forms=True)
    assert opened.form is not None
    assert [f.name for f in opened.form.fields][:4] == ["title", "bring", "rule", "time"]


@pytest.mark.asyncio
async def test_clinic_options_suggest_the_communitys_clinics(harness: Harness) -> None:
    await host_clinic(harness)
    await harness.run(
        "ana", '/clinic create title:"Mix review" bring:"A mix" rule:"the 15th" time:12:00'
    )
    command = harness.core.registry.get("clinic.rsvp")
    assert command is not None
    found = await harness.core.suggest(harness.actor("kim"), command, "clinic", "mix")
    assert [(c.value, c.label) for c in found] == [("2", "#2 Mix review")]
    every = await harness.core.suggest(harness.actor("kim"), command, "clinic", "")
    assert [c.value for c in every] == ["1", "2"]


@pytest.mark.asyncio
async def test_a_clinic_dm_that_cant_be_delivered_gets_the_clinics_note(
    harness: Harness,
) -> None:
    await host_clinic(harness, CREATE + " capacity:1")
    await harness.run("kim", "/clinic rsvp clinic:1 answer:going")
    await harness.run("lee", "/clinic rsvp clinic:1 answer:going")
    harness.transport.closed_dms.add("lee")
    await harness.run("kim", "/clinic rsvp clinic:1 answer:cant")
    await harness.engine.tick()  # the note queued by the failed DM
    notes = [s for s in harness.transport.sent if s.message.title == "Direct messages are closed"]
    assert len(notes) == 1
    assert "your clinic reminders and RSVP news are waiting" in plain(notes[0].message.body)
    assert notes[0].target.channel_id == "announcements"  # the clinics purpose's fallback


@pytest.mark.asyncio
async def test_the_console_end_to_end(tmp_path: Path) -> None:
    transcript = await play(
        tmp_path / "crossfade.db",
        [
            "/as ana",
            "/profile timezone:Europe/London",
            "/as boss admin",
            "/admin host member:ana",
            "/as ana",
            '/clinic create title:"Room calibration" bring:"A room measurement" '
            'rule:"first friday" time:19:00 capacity:1',
            "/as kim",
            "/press 1",
            "/as lee",
            "/press 1",
            "/as kim",
            "/advance 3d12h",
            "/press 10",
            "/as lee",
            "/clinic info clinic:1",
        ],
    )
    assert "── #clinics · Mon 30 Nov 08:00 GMT ──" in transcript
    assert "[1] Going   [2] Going and presenting   [3] Can't" in transcript
    assert "✓ You're going: Room calibration" in transcript
    assert "you're #1 on the waitlist" in transcript
    assert "#clinics (message updated)" in transcript
    assert "Seats: 1 of 1 seat taken · 1 on the waitlist" in transcript
    # The day-before reminder, and the host's roster.
    assert "── DM to kim · Thu 03 Dec 19:00 UTC ──" in transcript
    assert "[10] Can't make it" in transcript
    assert "Going: kim" in transcript
    assert "Waitlist: lee" in transcript
    # Kim's "Can't make it" hands the seat to lee, who is told.
    assert "── DM to lee" in transcript
    assert "A seat opened: Room calibration" in transcript
    assert "your answer: going" in transcript.rsplit("/clinic info", 1)[1]
