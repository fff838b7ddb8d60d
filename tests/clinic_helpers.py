"""Shared steps of the clinic tests: a host with a clinic, and time moving through the engine."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.messages import Response
from tests.harness import Harness, Sent, reply_text
from tests.stores import Database, query

CREATE = (
    '/clinic create title:"Room calibration" bring:"A room measurement" rule:"first friday" '
    'time:19:00 where:"Studio A"'
)
# The first Friday after the harness's start (Monday 30 Nov 2026), 19:00 in London (GMT).
FIRST = datetime.fromisoformat("2026-12-04T19:00:00+00:00")


async def run_jobs(h: Harness) -> int:
    """One engine tick now; how many things the clinic jobs acted on."""
    report = await h.engine.tick()
    return sum(n for name, n in report.jobs.items() if name.startswith("clinics."))


async def advance_to(h: Harness, target: datetime) -> None:
    """Fast-forward to ``target`` through every job (clinics' among them) on the way."""
    await h.advance_to(target)


async def advance(h: Harness, delta: timedelta) -> None:
    """Fast-forward by ``delta``."""
    await h.advance(delta)


async def host_clinic(h: Harness, line: str = CREATE, *, host: str = "ana") -> Response:
    """Channels mapped, ``host`` made a host in London, and a clinic created by them."""
    await h.setup_channels()
    await h.run(host, "/profile timezone:Europe/London")
    made = await h.run("boss", f"/admin host member:{host}", admin=True)
    assert "Host added" in reply_text(made), reply_text(made)
    created = await h.run(host, line)
    assert "created" in reply_text(created), reply_text(created)
    return created


def announcements(h: Harness) -> list[Sent]:
    """Posts in the channel clinic announcements go to."""
    return [
        s
        for s in h.transport.channel("announcements")
        if s.message.title.startswith(("Clinic", "Cancelled", "Held"))
    ]


def latest_edit(h: Harness) -> Sent:
    """The newest edit of an earlier post."""
    edits = h.transport.edits()
    assert edits, "nothing was edited"
    return edits[-1]


async def rows(database: Database, sql: str) -> list[tuple[object, ...]]:
    """Rows straight from the database."""
    return await query(database, sql)
