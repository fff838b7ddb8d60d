"""Admins' approval of new leads, members' reports, and Keep / Remove of a hidden lead."""

from __future__ import annotations

import asyncio

import pytest

from bot.messages import plain
from tests.gig_helpers import (
    POST,
    channels,
    gig_posts,
    latest_edit_of,
    posted,
    press,
    reviews,
    rows,
    submit,
    written,
)
from tests.harness import Harness, reply_text
from tests.stores import Database

DB = "crossfade.db"


async def pending(h: Harness) -> str:
    """Approval on and a lead posted: its review card's Approve action."""
    await channels(h)
    await h.run("boss", "/admin gigs approval:yes", admin=True)
    said = reply_text(await h.run("ana", POST))
    assert "Gig #1 waits for approval" in said, said
    (card,) = reviews(h)
    assert [b.label for b in card.message.buttons] == ["Approve", "Reject"]
    return card.message.buttons[0].action


@pytest.mark.asyncio
async def test_with_approval_on_nothing_reaches_members_until_an_admin_approves(
    harness: Harness,
) -> None:
    approve = await pending(harness)
    (card,) = reviews(harness)
    assert "Posted by Ana" in plain(card.message.body)
    assert card.message.tags == ("spatial mixing", "dolby atmos")
    assert gig_posts(harness) == []
    assert [s for s in harness.transport.sent if s.target.user_id] == []
    assert await rows(harness.database, "SELECT status, published_at, post_id FROM gigs") == [
        ("pending", None, None)
    ]
    # A member can't approve it (the core checks the button's permission).
    assert "for community admins only" in reply_text(await press(harness, "kim", approve))
    assert gig_posts(harness) == []
    said = reply_text(await press(harness, "boss", approve, admin=True))
    assert "Gig #1 approved" in said
    (post,) = gig_posts(harness)
    assert post.message.title == "#1 Spatial mix for a podcast"
    assert [b.label for b in post.message.buttons] == ["I'm interested", "Report"]
    (status, published, post_id) = (
        await rows(harness.database, "SELECT status, published_at, post_id FROM gigs")
    )[0]
    assert status == "open"
    assert published == harness.clock.now().isoformat()
    assert post_id is not None
    decided = latest_edit_of(harness, card)
    assert "Approved by Boss." in plain(decided.body)
    assert decided.buttons == ()
    (told,) = harness.transport.dms("ana")
    assert told.message.title == "Your lead is posted: #1 Spatial mix for a podcast"


@pytest.mark.asyncio
async def test_two_admins_approving_at_once_publish_once(harness: Harness) -> None:
    approve = await pending(harness)
    answers = await asyncio.gather(
        harness.core.press(harness.actor("boss", admin=True), approve),
        harness.core.press(harness.actor("max", admin=True), approve),
    )
    await harness.engine.tick()
    said = sorted(reply_text(a) for a in answers)
    assert sum("approved" in s for s in said) == 1, said
    assert any("decided" in s for s in said), said
    assert len(gig_posts(harness)) == 1
    assert len(harness.transport.dms("ana")) == 1
    assert await rows(harness.database, "SELECT version FROM gigs") == [(1,)]


@pytest.mark.asyncio
async def test_reject_asks_the_reason_and_tells_the_poster(harness: Harness) -> None:
    await pending(harness)
    (card,) = reviews(harness)
    reject = card.message.buttons[1].action
    form = await press(harness, "boss", reject, admin=True)
    assert form.form is not None
    assert [f.name for f in form.form.fields] == ["gig", "reason"]
    assert form.form.fields[0].value == "1"
    done = await submit(harness, "boss", form, {"reason": "Pay below the going rate"}, admin=True)
    assert "Gig #1 rejected" in reply_text(done)
    (told,) = harness.transport.dms("ana")
    assert "not approved" in told.message.title
    assert "Pay below the going rate" in plain(told.message.body)
    assert "Rejected by Boss: Pay below the going rate" in plain(latest_edit_of(harness, card).body)
    assert gig_posts(harness) == []
    assert await rows(harness.database, "SELECT status, reason FROM gigs") == [
        ("rejected", "Pay below the going rate")
    ]
    # A member can't open the Reject form.
    assert "for community admins only" in reply_text(await press(harness, "kim", reject))


@pytest.mark.asyncio
async def test_admin_gigs_says_where_reviews_go_when_no_channel_is_set(harness: Harness) -> None:
    said = reply_text(await harness.run("boss", "/admin gigs approval:yes", admin=True))
    assert "New leads wait for an admin's approval: yes" in said
    assert "/admin channel purpose:gig-review" in said


@pytest.mark.asyncio
async def test_reports_go_to_admins_once_per_member_and_three_hide_the_lead(
    harness: Harness, database: Database
) -> None:
    await channels(harness)
    await posted(harness)
    (post,) = gig_posts(harness)
    said = reply_text(await harness.run("kim", '/gig report gig:1 reason:"Looks like a scam"'))
    assert "admins have your report" in said
    (first,) = reviews(harness)
    assert first.message.title == "Report on gig #1: Spatial mix for a podcast"
    assert "Kim reported it: Looks like a scam" in plain(first.message.body)
    assert first.message.buttons == ()
    before = await written(database)
    again = reply_text(await harness.run("kim", "/gig report gig:1 reason:again"))
    assert "You reported gig #1 already" in again
    own = reply_text(await harness.run("ana", "/gig report gig:1 reason:oops"))
    assert "That is your own lead" in own
    assert await written(database) == before
    # The Report button opens a form asking the reason.
    form = await press(harness, "lee", post.message.buttons[1].action)
    assert form.form is not None
    # Only the reason: the lead is known from the button.
    assert [f.name for f in form.form.fields] == ["reason"]
    assert form.form.title == "Report gig #1"
    await submit(harness, "lee", form, {"reason": "Unpaid in disguise <!channel> @everyone"})
    assert all(isinstance(p, str) for p in reviews(harness)[-1].message.body)
    pressed_again = reply_text(await press(harness, "lee", post.message.buttons[1].action))
    assert "You reported gig #1 already" in pressed_again
    assert reviews(harness)[-1].message.buttons == ()
    assert await rows(harness.database, "SELECT status FROM gigs") == [("open",)]
    await harness.run("max", "/gig report gig:1 reason:Spam")
    assert await rows(harness.database, "SELECT status FROM gigs") == [("hidden",)]
    hidden = latest_edit_of(harness, post)
    assert "hidden while admins look at reports" in plain(hidden.body)
    assert hidden.buttons == ()
    card = reviews(harness)[-1]
    assert "3 reports so far" in plain(card.message.body)
    assert [b.label for b in card.message.buttons] == ["Keep", "Remove"]
    assert "for community admins only" in reply_text(
        await press(harness, "kim", card.message.buttons[0].action)
    )
    kept = reply_text(await press(harness, "boss", card.message.buttons[0].action, admin=True))
    assert "Kept by Boss" in kept
    assert await rows(harness.database, "SELECT status FROM gigs") == [("open",)]
    shown = latest_edit_of(harness, post)
    assert [b.label for b in shown.buttons] == ["I'm interested", "Report"]
    assert "Kept by Boss." in plain(latest_edit_of(harness, card).body)


@pytest.mark.asyncio
async def test_remove_takes_a_hidden_lead_down_and_tells_its_poster(harness: Harness) -> None:
    await channels(harness)
    await posted(harness)
    (post,) = gig_posts(harness)
    for name in ("kim", "lee", "max"):
        await harness.run(name, "/gig report gig:1 reason:Spam")
    remove = reviews(harness)[-1].message.buttons[1].action
    said = reply_text(await press(harness, "boss", remove, admin=True))
    assert "Removed by Boss" in said
    assert await rows(harness.database, "SELECT status FROM gigs") == [("deleted",)]
    assert "This lead was removed." in plain(latest_edit_of(harness, post).body)
    (told,) = harness.transport.dms("ana")
    assert "Your lead was removed" in told.message.title
    # Pressing again after the decision changes nothing.
    again = reply_text(await press(harness, "max", remove, admin=True))
    assert "was removed" in again


@pytest.mark.asyncio
async def test_a_rejected_lead_is_named_rejected_to_admins_and_its_poster_only(
    harness: Harness, database: Database
) -> None:
    h = harness
    await pending(h)
    await h.run("boss", "/gig reject gig:1 reason:Vague", admin=True)
    before = await written(database)
    again = reply_text(await h.run("boss", "/gig reject gig:1 reason:Still vague", admin=True))
    assert again.startswith("Gig #1 was rejected already"), again
    approve = reply_text(await h.run("max", "/gig approve gig:1", admin=True))
    assert approve.startswith("Gig #1 was rejected already"), approve
    edit = reply_text(await h.run("ana", "/gig edit gig:1 title:Clearer"))
    assert "Gig #1 was rejected" in edit, edit
    # Anyone else: no such lead, by number or by title.
    for line in ("/gig interested gig:1", '/gig interested gig:"Spatial mix for a podcast"'):
        said = reply_text(await h.run("kim", line))
        assert "There is no gig #1" in said or "No gig is called" in said, said
        assert "rejected" not in said, said
        assert "approv" not in said, said
    assert await written(database) == before


@pytest.mark.asyncio
async def test_a_pending_lead_is_no_such_gig_for_members(harness: Harness) -> None:
    await pending(harness)
    for line in ("/gig interested gig:1", '/gig interested gig:"Spatial mix for a podcast"'):
        said = reply_text(await harness.run("kim", line))
        assert "There is no gig #1" in said or "No gig is called" in said, said
        assert "approval" not in said, said
    # Its poster and admins still find it.
    mine = reply_text(await harness.run("ana", "/gig interested gig:1"))
    assert "Gig #1 is your own lead" in mine
    admin = reply_text(await harness.run("boss", "/gig interested gig:1", admin=True))
    assert "waiting for an admin's approval" in admin


@pytest.mark.asyncio
async def test_a_pending_lead_withdrawn_by_its_poster_says_so(harness: Harness) -> None:
    approve = await pending(harness)
    said = reply_text(await harness.run("ana", "/gig close gig:1 outcome:withdrawn"))
    assert "Its post is updated" not in said
    assert "It was never posted" in said
    late = reply_text(await press(harness, "boss", approve, admin=True))
    assert late.startswith("Gig #1 was withdrawn by its poster; there is nothing to approve."), late


@pytest.mark.asyncio
async def test_keep_pressed_twice_says_it_is_kept_already(harness: Harness) -> None:
    await channels(harness)
    await posted(harness)
    for name in ("kim", "lee", "max"):
        await harness.run(name, "/gig report gig:1 reason:Spam")
    keep = reviews(harness)[-1].message.buttons[0].action
    assert "Kept by Boss" in reply_text(await press(harness, "boss", keep, admin=True))
    again = reply_text(await press(harness, "boss", keep, admin=True))
    assert again.startswith("Gig #1 is kept already: it is shown again."), again


@pytest.mark.asyncio
async def test_a_rejected_lead_gives_its_weekly_slot_back(harness: Harness) -> None:
    h = harness
    await pending(h)
    await h.run("boss", "/admin gigs posts-per-week:1", admin=True)
    await h.run("boss", "/gig reject gig:1 reason:Vague", admin=True)
    (told,) = h.transport.dms("ana")
    assert "You may post it again with the change" in plain(told.message.body)
    said = reply_text(await h.run("ana", POST))
    assert said.startswith("Gig #2 waits for approval"), said
    # A deleted one still counts.
    await h.run("ana", "/gig delete gig:2")
    full = reply_text(await h.run("ana", POST))
    assert "You've posted 1 lead in the last 7 days" in full
