"""Shared steps of the gig tests: channels set, a lead posted, and counting what was written."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from bot.messages import Message, Response, plain
from tests.harness import Harness, Sent, reply_text

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


def count(path: Path, table: str) -> int:
    """Rows in a table of the database file."""
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def written(path: Path) -> tuple[int, int, int]:
    """How many gigs, outbox rows and reports the file holds."""
    return count(path, "gigs"), count(path, "outbox"), count(path, "gig_reports")


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows straight from the database file."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def mark_interested(path: Path, number: int, *members: str) -> None:
    """Members said they are interested in lead ``number`` (as the interest button records it)."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            for ext in members:
                conn.execute(
                    "INSERT INTO gig_interest (gig_id, member_id, created_at)"
                    " SELECT g.id, m.id, g.created_at FROM gigs g, members m"
                    " WHERE g.number = ? AND m.ext_id = ?",
                    (number, ext),
                )
    finally:
        conn.close()


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
