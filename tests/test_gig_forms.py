"""The /gig post form, the ``gig:`` type-ahead, typed approval and an admin's delete."""

from __future__ import annotations

import pytest

from tests.gig_helpers import POST, channels, gig_posts, posted, reviews, rows, written
from tests.harness import Harness, reply_text
from tests.stores import Database


@pytest.mark.asyncio
async def test_a_bare_gig_post_opens_the_form_and_its_fields_keep_the_rules(
    harness: Harness, database: Database
) -> None:
    await channels(harness)
    opened = await harness.core.run_line(harness.actor("ana"), "/gig post")
    assert opened.form is not None
    assert [f.name for f in opened.form.fields] == [
        "title", "details", "skills", "pay", "where", "when", "open-days", "link",
    ]  # fmt: skip
    values = {
        "title": "Calibration audit",
        "details": "Two rooms, one day",
        "skills": "room calibration",
        "pay": "900 GBP per project",
        "link": "http://example.org",
    }
    before = await written(database)
    refused = await harness.core.submit_form(harness.actor("ana"), opened.form.form_id, values)
    # A handler's rule about one field goes beside that field, and nothing is saved.
    assert list(refused.field_errors) == ["link"]
    assert "not http://" in refused.field_errors["link"]
    assert await written(database) == before
    values["link"] = "https://example.org/audit"
    done = await harness.core.submit_form(harness.actor("ana"), opened.form.form_id, values)
    await harness.engine.tick()
    assert "Gig #1 posted: Calibration audit" in reply_text(done)
    (post,) = gig_posts(harness)
    assert post.message.title == "#1 Calibration audit"


@pytest.mark.asyncio
async def test_gig_type_ahead_offers_open_leads_by_number_and_title(harness: Harness) -> None:
    await channels(harness)
    await posted(harness)
    await posted(harness, POST.replace("Spatial mix", "Room tuning"))
    await harness.run("ana", "/gig close gig:2 outcome:withdrawn")
    command = harness.core.registry.get("gig edit")
    assert command is not None
    found = await harness.core.suggest(harness.actor("kim"), command, "gig", "spat")
    assert [(c.value, c.label) for c in found] == [("1", "#1 Spatial mix for a podcast")]
    assert await harness.core.suggest(harness.actor("kim"), command, "gig", "room") == []


@pytest.mark.asyncio
async def test_gig_refs_take_a_title_and_typed_approval_works(harness: Harness) -> None:
    await channels(harness)
    await harness.run("boss", "/admin gigs approval:yes", admin=True)
    await posted(harness)
    assert len(reviews(harness)) == 1
    said = reply_text(await harness.run("kim", '/gig approve gig:"Spatial mix for a podcast"'))
    assert "for community admins only" in said
    said = reply_text(
        await harness.run("boss", '/gig approve gig:"spatial mix for a podcast"', admin=True)
    )
    assert "Gig #1 approved" in said
    assert len(gig_posts(harness)) == 1
    again = reply_text(await harness.run("boss", "/gig approve gig:1", admin=True))
    assert "another admin decided already" in again
    assert len(gig_posts(harness)) == 1


@pytest.mark.asyncio
async def test_an_admin_deletes_any_lead_and_its_poster_is_told(harness: Harness) -> None:
    await channels(harness)
    await posted(harness)
    said = reply_text(await harness.run("boss", "/gig delete gig:1", admin=True))
    assert "Gig #1 deleted" in said
    assert await rows(harness.database, "SELECT status FROM gigs") == [("deleted",)]
    (told,) = harness.transport.dms("ana")
    assert "An admin removed your lead" in told.message.title
    gone = reply_text(await harness.run("ana", "/gig edit gig:1 title:Again"))
    assert "There is no gig #1" in gone
