"""Announcements with RSVP buttons, seats and the waitlist, promotion, and the 20-for-5 race."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.messages import plain
from tests.clinic_helpers import (
    CREATE,
    FIRST,
    advance_to,
    announcements,
    host_clinic,
    latest_edit,
    rows,
    run_jobs,
)
from tests.harness import Harness, reply_text
from tests.stores import Database, snapshot

DB = "crossfade.db"
LATER = (
    '/clinic create title:"Room calibration" bring:"A room measurement" rule:"first friday" '
    "time:19:00 start:2027-01-01 capacity:5"
)
# 1 January 2027, 19:00 in London; announced 7 days before.
JANUARY = FIRST.replace(year=2027, month=1, day=1)


async def announced(h: Harness, line: str = CREATE) -> str:
    """A clinic created and its first session announced; the session's RSVP action prefix."""
    await host_clinic(h, line)
    await run_jobs(h)
    posts = announcements(h)
    assert posts, "no announcement went out"
    going = posts[-1].message.buttons[0].action
    return going.rsplit(":", 1)[0]


def fields(sent: object) -> dict[str, str]:
    message = sent.message  # type: ignore[attr-defined]
    return {f.name: plain(f.value) for f in message.fields}


@pytest.mark.asyncio
async def test_the_announcement_goes_out_at_the_lead_time_with_rsvp_buttons(
    harness: Harness,
) -> None:
    await host_clinic(harness, LATER)
    assert await run_jobs(harness) == 0
    assert announcements(harness) == []
    await advance_to(harness, JANUARY - timedelta(days=7, seconds=1))
    assert announcements(harness) == []
    await advance_to(harness, JANUARY - timedelta(days=6))
    (post,) = announcements(harness)
    assert post.at == JANUARY - timedelta(days=7)
    assert [b.label for b in post.message.buttons] == ["Going", "Going and presenting", "Can't"]
    assert fields(post)["Seats"] == "0 of 5 seats taken"
    assert "Hosted by Ana. Bring: A room measurement" in plain(post.message.body)
    # Announced once: running the jobs again sends nothing more.
    assert await run_jobs(harness) == 0
    assert len(announcements(harness)) == 1


@pytest.mark.asyncio
async def test_pressing_going_updates_the_counts_in_place(harness: Harness) -> None:
    action = await announced(harness, CREATE + " capacity:3")
    reply = await harness.press("kim", f"{action}:going")
    assert reply_text(reply).startswith("You're going: Room calibration")
    edit = latest_edit(harness)
    assert edit.receipt == announcements(harness)[0].receipt
    assert fields(edit)["Seats"] == "1 of 3 seats taken"


@pytest.mark.asyncio
async def test_presenting_opens_a_one_line_form_with_the_sprint_deliverable(
    harness: Harness,
) -> None:
    action = await announced(harness)
    await harness.run(
        "kim",
        '/sprint start goal:"Calibrate rooms" skill:"room acoustics" '
        'deliverable:sample-calibration deliverable-note:"A calibrated 7.1.4 room profile"',
    )
    opened = await harness.press("kim", f"{action}:presenting")
    assert opened.form is not None
    values = {f.name: f.value for f in opened.form.fields}
    assert values["bring"] == "A calibrated 7.1.4 room profile"
    assert values["answer"] == "presenting"
    submitted = await harness.core.submit_form(
        harness.actor("kim"), opened.form.form_id, {**values, "bring": "My 7.1.4 room profile"}
    )
    await harness.engine.tick()
    assert "You're presenting: My 7.1.4 room profile" in reply_text(submitted)
    assert fields(latest_edit(harness))["Presenting"] == "Kim: My 7.1.4 room profile"


@pytest.mark.asyncio
async def test_rsvp_by_command_presents_the_active_sprints_deliverable(harness: Harness) -> None:
    await announced(harness)
    await harness.run(
        "lee",
        '/sprint start goal:"Atmos" skill:"spatial mixing" deliverable:workshop '
        'deliverable-note:"A binaural monitoring workshop"',
    )
    reply = await harness.run("lee", "/clinic rsvp clinic:1 answer:presenting")
    assert "You're presenting: A binaural monitoring workshop" in reply_text(reply)
    assert fields(latest_edit(harness))["Presenting"] == "Lee: A binaural monitoring workshop"
    plain_going = await harness.run("max", '/clinic rsvp clinic:"room calibration" answer:going')
    assert reply_text(plain_going).startswith("You're going")


@pytest.mark.asyncio
async def test_capacity_counts_presenters_and_the_waitlist_shows_each_place(
    harness: Harness,
) -> None:
    action = await announced(harness, CREATE + " capacity:2")
    await harness.run("ann", "/clinic rsvp clinic:1 answer:presenting bring:'A mix'")
    await harness.press("bea", f"{action}:going")
    third = await harness.press("cal", f"{action}:going")
    assert "you're #1 on the waitlist" in reply_text(third)
    fourth = await harness.run("dee", "/clinic rsvp clinic:1 answer:presenting bring:Stems")
    assert "you're #2 on the waitlist" in reply_text(fourth)
    # Pressing Going again keeps one's place.
    again = await harness.press("cal", f"{action}:going")
    assert "you're #1 on the waitlist" in reply_text(again)
    assert fields(latest_edit(harness))["Seats"] == "2 of 2 seats taken · 2 on the waitlist"


@pytest.mark.asyncio
async def test_a_cancelled_seat_goes_to_the_first_waitlisted_member_with_a_dm(
    harness: Harness,
) -> None:
    action = await announced(harness, CREATE + " capacity:1")
    await harness.press("ann", f"{action}:going")
    await harness.run("bea", "/clinic rsvp clinic:1 answer:presenting bring:Stems")
    await harness.press("cal", f"{action}:going")
    gone = await harness.press("ann", f"{action}:cant")
    assert reply_text(gone).startswith("Noted: you can't make Room calibration")
    (told,) = harness.transport.dms("bea")
    assert told.message.title == "A seat opened: Room calibration"
    assert "You're off the waitlist and presenting" in plain(told.message.body)
    assert [b.label for b in told.message.buttons] == ["Can't make it"]
    assert harness.transport.dms("cal") == []
    place = await harness.press("cal", f"{action}:going")
    assert "you're #1 on the waitlist" in reply_text(place)
    assert fields(latest_edit(harness))["Presenting"] == "Bea: Stems"
    # The promoted member's "Can't make it" hands the seat on again.
    await harness.press("bea", told.message.buttons[0].action)
    assert [m.message.title for m in harness.transport.dms("cal")] == [
        "A seat opened: Room calibration"
    ]


@pytest.mark.asyncio
async def test_twenty_members_pressing_going_at_once_for_five_seats(
    harness: Harness, database: Database
) -> None:
    action = await announced(harness, CREATE + " capacity:5")
    names = [f"m{n:02d}" for n in range(20)]
    for name in names:
        await harness.run(name, "/profile")
    replies = await asyncio.gather(
        *(harness.core.press(harness.actor(name), f"{action}:going") for name in names)
    )
    await harness.engine.tick()
    said = [reply_text(r) for r in replies]
    assert sum(s.startswith("You're going") for s in said) == 5
    places = sorted(int(s.split("#")[1].split(" ")[0]) for s in said if "waitlist" in s)
    assert places == list(range(1, 16))
    stored = await rows(
        database,
        "SELECT answer, waitlist_order FROM clinic_rsvps ORDER BY answered_at, seq",
    )
    assert [a for a, _ in stored] == ["going"] * 5 + ["waitlist"] * 15
    # The waitlist is in the order the presses were decided.
    assert [o for _, o in stored[5:]] == list(range(1, 16))
    assert fields(latest_edit(harness))["Seats"] == "5 of 5 seats taken · 15 on the waitlist"


@pytest.mark.asyncio
async def test_answers_to_a_cancelled_or_started_session_write_nothing(
    harness: Harness, database: Database
) -> None:
    action = await announced(harness)
    await harness.run("ana", "/clinic cancel clinic:1 date:2026-12-04 reason:'The room is booked'")
    await harness.run("kim", "/profile")
    before = await snapshot(database)
    off = await harness.press("kim", f"{action}:going")
    assert reply_text(off).startswith("That session is cancelled: The room is booked.")
    dated = await harness.run("kim", "/clinic rsvp clinic:1 answer:going date:2026-12-04")
    assert reply_text(dated).startswith("That session is cancelled: The room is booked.")
    assert await snapshot(database) == before
    past = await harness.run("kim", "/clinic rsvp clinic:1 answer:going date:2026-11-06")
    assert "is in the past" in reply_text(past)
    assert await snapshot(database) == before


@pytest.mark.asyncio
async def test_a_started_session_takes_no_answers(harness: Harness, database: Database) -> None:
    action = await announced(harness)
    await advance_to(harness, FIRST + timedelta(minutes=5))
    await harness.run("kim", "/profile")
    before = await snapshot(database)
    late = await harness.press("kim", f"{action}:going")
    assert reply_text(late).startswith("That session has started already")
    assert await snapshot(database) == before
    stale = await harness.press("kim", "clinic.rsvp:999:going")
    assert "That button is out of date" in reply_text(stale)
