"""Posting a lead, the posting limit, editing it in place, closing, deleting and /gig mine."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.messages import Message, plain
from tests.gig_helpers import (
    POST,
    channels,
    fields,
    gig_posts,
    latest_edit_of,
    mark_interested,
    posted,
    rows,
    written,
)
from tests.harness import Harness, reply_text
from tests.stores import Database

DB = "crossfade.db"


@pytest.mark.asyncio
async def test_a_lead_is_posted_with_pay_place_dates_tags_and_both_buttons(
    harness: Harness,
) -> None:
    await channels(harness)
    reply = await posted(harness, POST + " link:https://example.org/brief")
    assert "Gig #1 posted: Spatial mix for a podcast" in reply_text(reply)
    (post,) = gig_posts(harness)
    message = post.message
    assert message.title == "#1 Spatial mix for a podcast"
    assert plain(message.body) == "Six episodes, binaural, stems ready"
    assert fields(message) == {
        "Pay": "€400–600 per day",
        "Where": "Remote",
        "When": "Ongoing",
        "Link": "https://example.org/brief",
    }
    assert message.tags == ("spatial mixing", "dolby atmos")
    assert [b.label for b in message.buttons] == ["I'm interested", "Report"]
    assert "Open until" in plain(message.footer)
    (row,) = await rows(
        harness.database, "SELECT status, published_at IS NOT NULL, post_id FROM gigs"
    )
    assert row[:2] == ("open", 1)
    assert row[2] is not None


@pytest.mark.asyncio
async def test_leads_are_numbered_per_community_and_posted_to_announcements_without_a_gigs_channel(
    harness: Harness,
) -> None:
    await harness.setup_channels()
    await posted(harness)
    await posted(harness, POST.replace("Spatial mix", "Atmos mix"), who="kim")
    titles = [s.message.title for s in harness.transport.channel("announcements")]
    assert titles[-2:] == ["#1 Spatial mix for a podcast", "#2 Atmos mix for a podcast"]


@pytest.mark.asyncio
async def test_user_text_never_pings(harness: Harness) -> None:
    await channels(harness)
    loud = '/gig post title:"@everyone <@&123> gig" details:"<!channel> @here call me" '
    await posted(harness, loud + 'skills:mixing pay:unpaid where:"<#42> studio"')
    (post,) = gig_posts(harness)
    stored = json.loads(
        (await rows(harness.database, "SELECT payload FROM outbox WHERE purpose = 'gigs'"))[0][0]
    )
    # Every part of user text is a plain string: adapters escape those, none is a mention.
    assert stored["title"] == "#1 @everyone <@&123> gig"
    assert stored["body"] == ["<!channel> @here call me"]
    assert all(isinstance(p, str) for f in stored["fields"] for p in f["value"])
    assert Message.from_dict(stored).body == ("<!channel> @here call me",)
    assert fields(post.message)["Where"] == "<#42> studio"


@pytest.mark.asyncio
async def test_the_limit_counts_deleted_leads_and_says_when_a_slot_frees_up(
    harness: Harness, database: Database
) -> None:
    await channels(harness)
    await harness.run("ana", "/profile timezone:America/New_York")
    for n in range(3):
        await posted(harness, POST.replace("podcast", f"podcast {n}"))
        await harness.advance(timedelta(hours=1))
    deleted = await harness.run("ana", "/gig delete gig:2")
    assert "deleted" in reply_text(deleted)
    before = await written(database)
    refused = reply_text(await harness.run("ana", POST))
    # The first lead went at 08:00 UTC on Monday 30 Nov: its slot frees 7 days on (New York).
    assert "You've posted 3 leads in the last 7 days (deleted ones count too)" in refused
    assert "Mon 07 Dec 2026 03:00 EST" in refused
    assert await written(database) == before
    # Others aren't held by Ana's limit, and Ana may post again once the slot frees.
    await posted(harness, POST, who="kim")
    await harness.advance_to(datetime(2026, 12, 7, 7, 59, tzinfo=UTC))
    assert "You've posted 3" in reply_text(await harness.run("ana", POST))
    await harness.advance_to(datetime(2026, 12, 7, 8, 0, 1, tzinfo=UTC))
    await posted(harness)


@pytest.mark.asyncio
async def test_admins_set_the_limit_and_membership_age(harness: Harness) -> None:
    await channels(harness)
    said = reply_text(
        await harness.run("boss", "/admin gigs posts-per-week:1 min-member-days:3", admin=True)
    )
    assert "Posts per member per 7 days: 1" in said
    too_new = reply_text(await harness.run("ana", POST))
    assert "Members post leads after 3 days here" in too_new
    await harness.advance(timedelta(days=3, minutes=1))
    await posted(harness)
    assert "You've posted 1 lead in the last 7 days" in reply_text(await harness.run("ana", POST))
    refused = reply_text(await harness.run("ana", "/admin gigs posts-per-week:5"))
    assert "for community admins only" in refused


@pytest.mark.asyncio
async def test_a_valid_edit_updates_the_post_in_place_marked_edited(harness: Harness) -> None:
    await channels(harness)
    await posted(harness)
    (post,) = gig_posts(harness)
    said = reply_text(
        await harness.run("ana", '/gig edit gig:1 pay:"500 EUR per day" where:Berlin')
    )
    assert "Gig #1 edited" in said
    edited = latest_edit_of(harness, post)
    assert fields(edited)["Pay"] == "€500 per day"
    assert fields(edited)["Where"] == "Berlin"
    assert edited.title == "#1 Spatial mix for a podcast"
    assert plain(edited.footer).endswith("· edited")
    assert len(gig_posts(harness)) == 1
    (version,) = (await rows(harness.database, "SELECT version FROM gigs"))[0]
    assert version == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("change", "said"),
    [
        ('pay:"100-900 EUR per day"', "at most 3× its minimum"),
        ("link:http://example.org", "not http://"),
        ('skills:"a, b, c, d, e, f"', "at most 5 skills"),
        ("when:2026-01-01", "in the past"),
    ],
)
async def test_an_edit_breaking_a_rule_changes_nothing(
    harness: Harness, database: Database, change: str, said: str
) -> None:
    await channels(harness)
    await posted(harness)
    before = await written(database)
    row = await rows(database, "SELECT * FROM gigs")
    edits = len(harness.transport.edits())
    assert said in reply_text(await harness.run("ana", f"/gig edit gig:1 title:New {change}"))
    assert await written(database) == before
    assert await rows(database, "SELECT * FROM gigs") == row
    assert len(harness.transport.edits()) == edits


@pytest.mark.asyncio
async def test_nobody_edits_closes_or_extends_someone_elses_lead(
    harness: Harness, database: Database
) -> None:
    await channels(harness)
    await posted(harness)
    before = await written(database)
    for line in (
        "/gig edit gig:1 title:Mine",
        "/gig close gig:1 outcome:withdrawn",
        "/gig extend gig:1",
        "/gig delete gig:1",
    ):
        said = reply_text(await harness.run("kim", line))
        assert "Only" in said, said
        assert "gig #1" in said, said
    assert await written(database) == before


@pytest.mark.asyncio
async def test_closing_as_filled_thanks_the_interested_and_records_the_hire_on_the_journey(
    harness: Harness,
) -> None:
    await channels(harness)
    await posted(harness)
    for name in ("kim", "lee"):
        await harness.run(name, "/profile timezone:Europe/London")
    await mark_interested(harness.database, 1, "kim", "lee")
    said = reply_text(await harness.run("ana", "/gig close gig:1 outcome:filled hired:kim"))
    assert "closed as filled" in said
    # The hired member is congratulated, not thanked for their interest.
    assert "1 other interested member will hear it is filled" in said
    (hired,) = harness.transport.dms("kim")
    assert hired.message.title == "You got gig #1: Spatial mix for a podcast"
    assert "Congratulations" in plain(hired.message.body)
    assert "Thanks for saying you were interested" not in plain(hired.message.body)
    (dm,) = harness.transport.dms("lee")
    assert "Gig #1 is filled" in dm.message.title
    assert "Thanks" in plain(dm.message.body)
    (post,) = gig_posts(harness)
    closed = latest_edit_of(harness, post)
    assert closed.title == "Filled: #1 Spatial mix for a podcast"
    assert closed.buttons == ()
    journey = reply_text(await harness.run("lee", "/journey member:kim"))
    assert "Gigs: Spatial mix for a podcast (November 2026)" in journey
    assert "gig: " not in journey
    # Closing again says so and sends nothing.
    sent = len(harness.transport.sent)
    assert "is closed already" in reply_text(
        await harness.run("ana", "/gig close gig:1 outcome:filled")
    )
    assert len(harness.transport.sent) == sent


@pytest.mark.asyncio
async def test_the_hire_may_be_a_name_from_outside_the_community(harness: Harness) -> None:
    await channels(harness)
    await posted(harness)
    said = reply_text(await harness.run("ana", '/gig close gig:1 outcome:filled hired:"Jo Bloggs"'))
    assert "Recorded that Jo Bloggs got it." in said
    assert await rows(harness.database, "SELECT hired_member_id, hired_name FROM gigs") == [
        (None, "Jo Bloggs")
    ]


@pytest.mark.asyncio
async def test_mine_lists_the_posters_leads_with_interest_counts(harness: Harness) -> None:
    await channels(harness)
    assert "None yet" in reply_text(await harness.run("ana", "/gig mine"))
    await posted(harness)
    await posted(harness, POST.replace("Spatial mix", "Room tuning"))
    await harness.run("ana", "/gig close gig:1 outcome:withdrawn")
    mine = reply_text(await harness.run("ana", "/gig mine"))
    assert "#2 Room tuning for a podcast: open · 0 members interested · open until" in mine
    assert "#1 Spatial mix for a podcast: closed · 0 members interested · withdrawn" in mine


@pytest.mark.asyncio
async def test_a_poster_hiring_themself_gets_no_congratulation(harness: Harness) -> None:
    await channels(harness)
    await posted(harness)
    await harness.run("kim", "/profile timezone:Europe/London")
    await mark_interested(harness.database, 1, "kim")
    said = reply_text(await harness.run("ana", "/gig close gig:1 outcome:filled hired:ana"))
    assert "1 interested member will hear it is filled" in said
    assert harness.transport.dms("ana") == []
    (dm,) = harness.transport.dms("kim")
    assert "Gig #1 is filled" in dm.message.title
