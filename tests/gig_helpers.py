"""Shared steps of the gig tests: channels set, a lead posted, and counting what was written.

``open_gig`` writes a lead the way publishing does (status open, ``published_at`` set, its
channel post queued as an outbox row with ``post_id`` set, in one transaction on the store's
own connection), for matching tests that need many leads or exact skills without the
posting limits in the way; ``sprint`` gives a member an active or completed sprint.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from bot.features.gigs.cards import gig_card
from bot.features.gigs.models import GIGS, NAME, Gig, GigDraft, Pay, Per
from bot.messages import Message, Response, plain
from bot.models import Destination, NewOutbox, Sprint, SprintStatus
from bot.progress import first_prompt_at
from bot.storage.sql.db import inserted_id
from bot.storage.sql.gig_rows import GIG_COLUMNS, draft_values, gig_from
from bot.storage.sql.outbox import enqueue_in
from bot.storage.sqlite.connection import ts
from tests.harness import Harness, Sent, reply_text
from tests.stores import Database, query, write

POST = (
    '/gig post title:"Spatial mix for a podcast" details:"Six episodes, binaural, stems ready" '
    'skills:"spatial mixing, dolby atmos" pay:"400-600 EUR per day" where:remote when:ongoing'
)


async def channels(h: Harness) -> None:
    """An admin points the gigs and gig-review purposes at their channels."""
    await h.run("boss", "/admin channel purpose:gigs", admin=True, channel="gigs")
    await h.run("boss", "/admin channel purpose:gig-review", admin=True, channel="gig-review")


async def posted(h: Harness, line: str = POST, who: str = "ana") -> Response:
    """A lead posted by ``who``; the reply must say so."""
    reply = await h.run(who, line)
    said = reply_text(reply)
    assert re.match(r"Gig #\d+ (posted|waits for approval): ", said), said
    return reply


def gig_posts(h: Harness) -> list[Sent]:
    """Posts (not edits) in the gigs channel."""
    return h.transport.channel("gigs")


def reviews(h: Harness) -> list[Sent]:
    """Posts in the admins' gig-review channel."""
    return h.transport.channel("gig-review")


def latest_edit_of(h: Harness, sent: Sent) -> Message:
    """The newest edit of an earlier post (the post itself if it was never edited)."""
    edits = [s for s in h.transport.edits() if s.receipt == sent.receipt]
    return edits[-1].message if edits else sent.message


def fields(message: Message) -> dict[str, str]:
    """A message's fields by name, as plain text."""
    return {f.name: plain(f.value) for f in message.fields}


async def count(database: Database, table: str) -> int:
    """Rows in a table of the database."""
    return int((await query(database, f"SELECT COUNT(*) FROM {table}"))[0][0])


async def written(database: Database) -> tuple[int, int, int]:
    """How many gigs, outbox rows and reports the database holds."""
    return (
        await count(database, "gigs"),
        await count(database, "outbox"),
        await count(database, "gig_reports"),
    )


async def rows(
    database: Database, sql: str, params: Sequence[object] = ()
) -> list[tuple[object, ...]]:
    """Rows straight from the database."""
    return await query(database, sql, params)


async def mark_interested(database: Database, number: int, *members: str) -> None:
    """Members said they are interested in lead ``number`` (as the interest button records it)."""
    for ext in members:
        await write(
            database,
            "INSERT INTO gig_interest (gig_id, member_id, created_at)"
            " SELECT g.id, m.id, g.created_at FROM gigs g, members m"
            " WHERE g.number = ? AND m.ext_id = ?",
            (number, ext),
        )


async def press(h: Harness, name: str, action: str, *, admin: bool = False) -> Response:
    """Press a button as a member (or an admin), then deliver what it queued."""
    response = await h.core.press(h.actor(name, admin=admin), action)
    await h.engine.tick()
    return response


async def submit(h: Harness, name: str, form: Response, values: dict[str, str],
                 *, admin: bool = False) -> Response:  # fmt: skip
    """Fill in the form a response opened, as it shows, with ``values`` added."""
    assert form.form is not None, form
    filled = {f.name: f.value for f in form.form.fields} | values
    response = await h.core.submit_form(h.actor(name, admin=admin), form.form.form_id, filled)
    await h.engine.tick()
    return response


DAY_RATE = Pay(Decimal(400), Decimal(600), "EUR", Per.DAY)


def draft(
    title: str = "Spatial mix for a podcast",
    skills: Sequence[str] = ("spatial mixing",),
    *,
    pay: Pay = DAY_RATE,
    place: str = "",
    details: str = "Ten episodes of a narrative podcast, mixed in Dolby Atmos.",
) -> GigDraft:
    """A lead as its poster describes it."""
    return GigDraft(title, details, tuple(skills), pay, place, None, None, None)


async def open_gig(
    h: Harness,
    poster: str,
    title: str = "Spatial mix for a podcast",
    skills: Sequence[str] = ("spatial mixing",),
    *,
    days: int = 14,
    **fields: object,
) -> Gig:
    """A lead published now by ``poster``: open, its post queued, alerts not decided yet."""
    now = h.clock.now()
    _, member = await h.store.ensure_member(h.actor(poster), now)
    lead = draft(title, skills, **fields)  # type: ignore[arg-type]
    async with h.store._tx() as db:
        gig_id = await inserted_id(
            db,
            "INSERT INTO gigs (community_id, number, poster_id, title, details, skills, pay_min,"
            " pay_max, currency, pay_per, place, starts_on, ends_on, link, status, created_at,"
            " published_at, expires_at) VALUES (?,"
            " (SELECT COALESCE(MAX(number), 0) + 1 FROM gigs WHERE community_id = ?),"
            " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?) RETURNING id",
            (
                member.community_id,
                member.community_id,
                member.id,
                *draft_values(lead),
                ts(now),
                ts(now),
                ts(now + timedelta(days=days)),
            ),
        )
        assert gig_id is not None
        row = await (
            await db.execute(f"SELECT {GIG_COLUMNS} FROM gigs g WHERE g.id = ?", (gig_id,))
        ).fetchone()
        assert row is not None
        post = NewOutbox(
            community_id=member.community_id,
            destination=Destination.channel(GIGS),
            payload=json.dumps(gig_card(gig_from(row), 0).to_dict()),
            dedupe_key=f"gig-post:{gig_id}",
            feature=NAME,
        )
        post_id = await enqueue_in(db, post, now)
        await db.execute("UPDATE gigs SET post_id = ? WHERE id = ?", (post_id, gig_id))
    gig = await h.store.get_gig(gig_id)
    assert gig is not None
    return gig


async def set_status(h: Harness, gig: Gig, status: str) -> None:
    """Move a lead on as closing, hiding or expiring it would (status and version)."""
    async with h.store._tx() as db:
        await db.execute(
            "UPDATE gigs SET status = ?, version = version + 1,"
            " outcome = CASE WHEN ? = 'closed' THEN 'filled' END WHERE id = ?",
            (status, status, gig.id),
        )


async def sprint(h: Harness, name: str, skill: str, *, link: str | None = None) -> Sprint:
    """An active sprint on ``skill``, as /sprint start stores it; with ``link``, completed."""
    now = h.clock.now()
    community, member = await h.store.ensure_member(h.actor(name), now)
    zone = member.zone(community)
    start = now.astimezone(zone).date()
    made = await h.store.create_sprint(
        Sprint(
            id=0,
            member_id=member.id,
            goal=f"Get good at {skill}",
            skill=skill,
            deliverable_kind="workshop",
            deliverable=f"A workshop on {skill}",
            start_date=start,
            weeks=12,
            status=SprintStatus.ACTIVE,
            created_at=now,
            next_week=1,
            next_prompt_at=first_prompt_at(start, now, community, zone),
        )
    )
    if link is not None:
        assert await h.store.end_sprint(made, SprintStatus.COMPLETED, now, outcome_url=link)
    return made


async def member_id(h: Harness, name: str) -> int:
    """A test member's id (known from now on)."""
    _, member = await h.store.ensure_member(h.actor(name), h.clock.now())
    return member.id
