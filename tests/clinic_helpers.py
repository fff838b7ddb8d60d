"""Shared steps of the clinic tests: a host with a clinic, and time moving through its jobs.

Until the engine runs feature jobs, the clinic jobs run here at the fake clock's time and
the outbox is delivered right after, as an engine tick would.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from bot.features.clinics import jobs
from bot.messages import Response
from tests.harness import Harness, Sent, reply_text

CREATE = (
    '/clinic create title:"Room calibration" bring:"A room measurement" rule:"first friday" '
    'time:19:00 where:"Studio A"'
)
# The first Friday after the harness's start (Monday 30 Nov 2026), 19:00 in London (GMT).
FIRST = datetime.fromisoformat("2026-12-04T19:00:00+00:00")


async def run_jobs(h: Harness) -> int:
    """Run the clinic jobs now, then deliver what they queued."""
    done = await jobs.run_all(h.store, h.clock.now())
    await h.engine.tick()
    return done


async def advance_to(h: Harness, target: datetime) -> None:
    """Fast-forward to ``target``, stopping at each moment a clinic job or the outbox is due."""
    for _ in range(10_000):
        found = [await jobs.next_due(h.store, h.clock.now()), await h.engine.next_due_at()]
        due = min((t for t in found if t is not None), default=None)
        if due is None or due > target:
            break
        if due > h.clock.now():
            h.clock.set(due)
        await run_jobs(h)
    if target > h.clock.now():
        h.clock.set(target)
    await run_jobs(h)


async def advance(h: Harness, delta: timedelta) -> None:
    """Fast-forward by ``delta`` through every clinic job on the way."""
    await advance_to(h, h.clock.now() + delta)


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


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows straight from the database file."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()
