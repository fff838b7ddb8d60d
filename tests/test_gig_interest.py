"""I'm interested: the poster's private intro, once; refusals that write nothing; the count."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.messages import Mention, plain
from tests.gig_helpers import POST, count, posted, rows, set_status, sprint
from tests.harness import Harness, Sent, reply_text
from tests.stores import Database

DB = "crossfade.db"
KIM = (
    '/profile role:"FOH engineer" heading:"spatial mixing consultant" '
    'skills:"Spatial Mixing, live sound"'
)


async def lead_and_kim(h: Harness) -> int:
    """Ana's lead, sent to Kim (profile, a delivered sprint); the lead's id."""
    await h.setup_channels()
    await h.run("admin", "/admin channel purpose:gigs", admin=True, channel="gigs")
    await h.run("ana", "/profile skills:mastering")
    await h.run("kim", KIM)
    await sprint(h, "kim", "spatial mixing", link="https://example.org/kim-atmos-mix")
    await sprint(h, "kim", "podcast editing")  # active: not a deliverable yet
    await posted(h, POST.replace("spatial mixing, dolby atmos", "spatial mixing, mastering"))
    gig = await h.store.gig_by_number(1, 1)
    assert gig is not None
    return gig.id


def post_edits(h: Harness) -> list[Sent]:
    return [s for s in h.transport.edits() if s.target.channel_id == "gigs"]


@pytest.mark.asyncio
async def test_interest_sends_the_poster_one_private_intro(
    harness: Harness, database: Database
) -> None:
    h = harness
    gig_id = await lead_and_kim(h)
    (alert,) = h.transport.dms("kim")
    answer = await h.press("kim", alert.message.buttons[0].action)
    assert answer.public is False
    assert reply_text(answer).startswith("Intro sent: #1 Spatial mix for a podcast")
    assert "Ana got your name, role, matching skills and portfolio privately" in reply_text(answer)
    (intro,) = h.transport.dms("ana")
    card = intro.message
    assert card.title == "Interested in #1 Spatial mix for a podcast: Kim"
    assert card.body[0] == Mention("kim", "Kim", ping=False)
    fields = {f.name: plain(f.value) for f in card.fields}
    assert fields == {
        "Role → heading": "FOH engineer → spatial mixing consultant",
        "Matching skills": "spatial mixing",
        "Portfolio": "• A workshop on spatial mixing (spatial mixing): "
        "https://example.org/kim-atmos-mix",
    }
    # The post's count, in place; never who.
    (post,) = h.transport.channel("gigs")
    (edit,) = post_edits(h)
    assert plain(edit.message.footer).startswith("1 member interested · Open until ")
    assert "Kim" not in edit.text + plain(edit.message.footer)
    assert edit.message.title == "#1 Spatial mix for a podcast"
    assert edit.receipt == post.receipt
    assert await count(database, "gig_interest") == 1
    # Pressing again sends nothing more, and says so.
    outbox = await count(database, "outbox")
    again = await h.press("kim", f"gig.interested:{gig_id}")
    assert reply_text(again).startswith("Already sent: #1 Spatial mix for a podcast")
    assert "nothing more was sent" in reply_text(again)
    assert len(h.transport.dms("ana")) == 1
    assert len(post_edits(h)) == 1
    assert (await count(database, "outbox"), await count(database, "gig_interest")) == (outbox, 1)


@pytest.mark.asyncio
async def test_the_command_twin_counts_a_second_member(harness: Harness) -> None:
    await lead_and_kim(harness)
    await harness.press("kim", "gig.interested:1")
    answer = await harness.run("lee", "/gig interested gig:#1")
    assert reply_text(answer).startswith("Intro sent"), reply_text(answer)
    by_title = await harness.run("max", '/gig interested gig:"spatial MIX for a podcast"')
    assert reply_text(by_title).startswith("Intro sent"), reply_text(by_title)
    assert [s.message.title.rsplit(": ", 1)[1] for s in harness.transport.dms("ana")] == [
        "Kim",
        "Lee",
        "Max",
    ]
    lee = harness.transport.dms("ana")[1].message
    # Lee gave no role, holds none of its skills and has no portfolio: none of it is shown.
    assert lee.fields == ()
    assert "Ana got your name privately." in reply_text(answer)
    assert plain(post_edits(harness)[-1].message.footer).startswith("3 members interested")


async def close(h: Harness) -> None:
    await h.run("ana", "/gig close gig:1 outcome:filled")


async def expire(h: Harness) -> None:
    await h.advance(timedelta(days=15))


async def hide(h: Harness) -> None:
    for name in ("xan", "yul", "zed"):
        await h.run(name, '/gig report gig:1 reason:"Not a real job"')


@pytest.mark.parametrize(
    ("change", "status", "line"),
    [
        (expire, "expired", "Gig #1 has expired, so it takes no more interest."),
        (close, "closed", "Gig #1 was filled, so it takes no more interest."),
        (hide, "hidden", "Gig #1 is hidden while admins look at reports about it."),
    ],
)
@pytest.mark.asyncio
async def test_interest_in_a_lead_that_is_not_open_is_refused_and_writes_nothing(
    harness: Harness, database: Database, change: object, status: str, line: str
) -> None:
    gig_id = await lead_and_kim(harness)
    await change(harness)  # type: ignore[operator]
    assert await rows(database, "SELECT status FROM gigs") == [(status,)]
    before = (await count(database, "outbox"), await count(database, "gig_interest"))
    for answer in (
        await harness.press("kim", f"gig.interested:{gig_id}"),
        await harness.run("kim", "/gig interested gig:1"),
    ):
        assert reply_text(answer).startswith(line), reply_text(answer)
    assert (await count(database, "outbox"), await count(database, "gig_interest")) == before
    assert [
        s for s in harness.transport.dms("ana") if s.message.title.startswith("Interested")
    ] == []


@pytest.mark.asyncio
async def test_interest_refused_on_a_lead_set_aside_by_storage(
    harness: Harness, database: Database
) -> None:
    """Whatever moved a lead on (here straight in storage), interest reads it as it is now."""
    gig_id = await lead_and_kim(harness)
    gig = await harness.store.get_gig(gig_id)
    assert gig is not None
    await set_status(harness, gig, "hidden")
    before = await count(database, "outbox")
    answer = await harness.press("kim", f"gig.interested:{gig_id}")
    assert reply_text(answer).startswith("Gig #1 is hidden")
    assert (await count(database, "outbox"), await count(database, "gig_interest")) == (before, 0)


@pytest.mark.asyncio
async def test_a_lead_past_its_time_takes_no_interest_before_the_expiry_job_marks_it(
    harness: Harness, database: Database
) -> None:
    gig_id = await lead_and_kim(harness)
    harness.clock.advance(timedelta(days=15))
    before = await count(database, "outbox")
    answer = await harness.core.press(harness.actor("kim"), f"gig.interested:{gig_id}")
    assert reply_text(answer).startswith("Gig #1 has expired")
    assert (await count(database, "outbox"), await count(database, "gig_interest")) == (before, 0)


@pytest.mark.asyncio
async def test_the_poster_cannot_be_interested_in_their_own_lead(
    harness: Harness, database: Database
) -> None:
    gig_id = await lead_and_kim(harness)
    before = await count(database, "outbox")
    answer = await harness.press("ana", f"gig.interested:{gig_id}")
    assert reply_text(answer).startswith("Gig #1 is your own lead")
    unknown = await harness.run("kim", "/gig interested gig:9")
    assert reply_text(unknown).startswith("There is no gig #9")
    stale = await harness.press("kim", "gig.interested:99999")
    assert "That button is out of date" in reply_text(stale)
    assert (await count(database, "outbox"), await count(database, "gig_interest")) == (before, 0)
