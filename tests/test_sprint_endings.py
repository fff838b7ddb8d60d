"""/sprint complete and /sprint abandon ask for a confirmation button before ending anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.discord.custom_ids import button_id
from tests.harness import Harness, reply_text

SPRINT = (
    '/sprint start goal:"Dolby Atmos podcast" skill:"spatial mixing" deliverable:workshop '
    'deliverable-note:"A workshop on Atmos for podcasts"'
)
WEEK_1 = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
# A real link can be long; the buttons must still fit Discord's 100-character custom_id.
LONG_LINK = "https://example.org/" + "atmos-podcast-workshop/" * 12


async def status(h: Harness, who: str) -> str:
    return reply_text(await h.run(who, "/sprint status"))


@pytest.mark.asyncio
async def test_abandon_waits_for_its_button_and_cancel_keeps_the_sprint(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    asked = await harness.run("ana", "/sprint abandon reason:" + "moving house " * 20)
    assert asked.message is not None
    assert asked.message.title == "Stop “Dolby Atmos podcast”?"
    assert [b.label for b in asked.message.buttons] == ["Stop sprint", "Keep going"]
    assert "Week: 1 of 12" in await status(harness, "ana")  # nothing ended yet

    kept = await harness.press("ana", asked.message.buttons[1].action)
    assert kept.replace_source
    assert "Still going: Dolby Atmos podcast" in reply_text(kept)
    # A cancelled request can't be confirmed later.
    late = await harness.press("ana", asked.message.buttons[0].action)
    assert "Nothing to confirm" in reply_text(late)
    assert "Week: 1 of 12" in await status(harness, "ana")

    again = await harness.run("ana", "/sprint abandon")
    assert again.message is not None
    stopped = await harness.press("ana", again.message.buttons[0].action)
    assert "Sprint stopped: Dolby Atmos podcast" in reply_text(stopped)
    assert "no active sprint" in await status(harness, "ana")
    await harness.advance(timedelta(weeks=2))
    assert harness.transport.dms("ana") == []


@pytest.mark.asyncio
async def test_complete_is_confirmed_once_and_announced_once(harness: Harness) -> None:
    await harness.setup_channels()
    await harness.run("ana", SPRINT)
    await harness.advance_to(WEEK_1)
    await harness.run("ana", "/checkin progress:Mixed confidence:4")
    announced = len(harness.transport.channel("announcements"))

    asked = await harness.run("ana", f"/sprint complete link:{LONG_LINK}")
    assert asked.message is not None
    assert asked.message.title == "Complete “Dolby Atmos podcast”?"
    assert "1 check-in so far" in reply_text(asked)
    assert [b.label for b in asked.message.buttons] == ["Complete sprint", "Cancel"]
    for button in asked.message.buttons:
        assert button_id("123456789012345678", button.action) is not None
    assert len(harness.transport.channel("announcements")) == announced

    # Someone else can't press Ana's button.
    other = await harness.press("ben", asked.message.buttons[0].action)
    assert "someone else's" in reply_text(other)
    assert "Week: 1 of 12" in await status(harness, "ana")

    done = await harness.press("ana", asked.message.buttons[0].action)
    assert "Congratulations: “Dolby Atmos podcast” is complete" in reply_text(done)
    twice = await harness.press("ana", asked.message.buttons[0].action)
    assert "Nothing to confirm" in reply_text(twice)
    posts = harness.transport.channel("announcements")[announced:]
    assert len(posts) == 1
    assert "Ana finished “Dolby Atmos podcast”" in posts[0].text
    assert LONG_LINK in posts[0].text
    journey = reply_text(await harness.run("ana", "/journey"))
    assert "completed" in journey
    assert LONG_LINK in journey


@pytest.mark.asyncio
async def test_completing_without_any_checkin_says_so(harness: Harness) -> None:
    await harness.setup_channels()
    await harness.run("ana", SPRINT)
    announced = len(harness.transport.channel("announcements"))
    asked = await harness.run("ana", "/sprint complete link:https://example.org/atmos")
    assert asked.message is not None
    assert "haven't checked in once" in reply_text(asked)
    assert [b.label for b in asked.message.buttons] == [
        "Complete anyway",
        "Abandon instead",
        "Cancel",
    ]
    done = await harness.press("ana", asked.message.buttons[0].action)
    reply = reply_text(done)
    assert "Congratulations" not in reply
    assert "No check-ins were recorded" in reply
    posts = harness.transport.channel("announcements")[announced:]
    assert len(posts) == 1
    assert posts[0].message.title == "Deliverable shared"
    assert "Ana shared the deliverable of “Dolby Atmos podcast”" in posts[0].text
    assert "finished" not in posts[0].text


@pytest.mark.asyncio
async def test_a_sprint_without_checkins_can_be_abandoned_instead(harness: Harness) -> None:
    await harness.setup_channels()
    await harness.run("ana", SPRINT)
    announced = len(harness.transport.channel("announcements"))
    asked = await harness.run("ana", "/sprint complete link:https://example.org/atmos")
    assert asked.message is not None
    stopped = await harness.press("ana", asked.message.buttons[1].action)
    assert "Sprint stopped" in reply_text(stopped)
    assert harness.transport.channel("announcements")[announced:] == []
    assert "· stopped" in reply_text(await harness.run("ana", "/journey"))


@pytest.mark.asyncio
async def test_a_day_old_confirmation_has_expired(harness: Harness) -> None:
    await harness.run("ana", SPRINT)
    asked = await harness.run("ana", "/sprint abandon")
    assert asked.message is not None
    await harness.advance(timedelta(hours=25))
    late = await harness.press("ana", asked.message.buttons[0].action)
    assert "more than a day old; run /sprint abandon again" in reply_text(late)
    assert "Week: 1 of 12" in await status(harness, "ana")
