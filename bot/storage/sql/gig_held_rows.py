"""Instant gig alerts held for the morning in SQLite: due ones re-checked and queued.

``GigHeldSql`` is a mixin under ``GigAlertSql``; its due query sits beside its next-due one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.features.gigs.match_store import HeldAlert, HeldBatch, HeldPlanner
from bot.features.gigs.matching import PROFILE, weight_of
from bot.features.gigs.models import AlertMode
from bot.features.gigs.skills import SkillAlias
from bot.models import SprintStatus
from bot.storage.sql.db import Db, SqlBase, dt, fetch_all, ts
from bot.storage.sql.gig_rows import GIG_COLUMNS, gig_from
from bot.storage.sql.outbox import enqueue_many_in

_DUE = "a.kind = 'instant' AND a.sent_at IS NULL AND a.send_at <= ?"


async def _rows(db: Db, sql: str, ids: Sequence[Any]) -> list[Any]:
    """``sql`` (with ``{marks}``) for ids in chunks of 500."""
    found: list[Any] = []
    for chunk in range(0, len(ids), 500):
        part = list(ids[chunk : chunk + 500])
        marks = ",".join("?" for _ in part)
        found += list(await fetch_all(db, sql.format(marks=marks), part))
    return found


async def _batch(db: Db, now: datetime, members: int) -> HeldBatch:
    """Due held alerts of up to ``members`` members, every one of theirs, and what they name."""
    rows = await fetch_all(
        db,
        "SELECT a.gig_id, a.member_id, m.community_id, a.rank, a.send_at, s.alerts,"
        " EXISTS (SELECT 1 FROM gig_interest i WHERE i.gig_id = a.gig_id"
        " AND i.member_id = a.member_id)"
        " FROM gig_alerts a JOIN members m ON m.id = a.member_id"
        " LEFT JOIN gig_member_settings s ON s.member_id = a.member_id"
        # The members first in line, by their first alert in (send_at, lead, rank) order; a
        # batch of 200 keeps each write short while a morning of thousands goes out.
        f" WHERE {_DUE} AND a.member_id IN (SELECT a.member_id FROM gig_alerts a WHERE {_DUE}"
        # (Fixed-width numbers by adding a power of ten: printf is SQLite's alone.)
        " GROUP BY a.member_id ORDER BY MIN(a.send_at || CAST(1000000000000 + a.gig_id AS TEXT)"
        " || CAST(100000000 + a.rank AS TEXT))"
        " LIMIT ?)"
        " ORDER BY a.send_at, a.gig_id, a.rank",
        (ts(now), ts(now), members),
    )
    modes = {None: AlertMode.INSTANT} | {m.value: m for m in AlertMode}
    batch = HeldBatch(
        alerts=[
            HeldAlert(int(r[0]), int(r[1]), int(r[2]), int(r[3]), dt(r[4]), modes[r[5]], bool(r[6]))
            for r in rows
        ]
    )
    gig_ids = sorted({a.gig_id for a in batch.alerts})
    member_ids = sorted({a.member_id for a in batch.alerts})
    gigs = await _rows(db, f"SELECT {GIG_COLUMNS} FROM gigs g WHERE g.id IN ({{marks}})", gig_ids)
    batch.gigs = {g.id: g for g in map(gig_from, gigs)}
    for r in await _rows(
        db, "SELECT member_id, skill FROM member_skills WHERE member_id IN ({marks})", member_ids
    ):
        batch.skills.setdefault(int(r[0]), []).append((str(r[1]), PROFILE))
    for r in await _rows(
        db,
        "SELECT member_id, skill, status, outcome_url FROM sprints WHERE member_id IN ({marks})"
        " AND status != 'abandoned'",
        member_ids,
    ):
        weight = weight_of(SprintStatus(r[2]), bool(r[3]))
        batch.skills.setdefault(int(r[0]), []).append((str(r[1]), weight))
    communities = sorted({a.community_id for a in batch.alerts})
    for r in await _rows(
        db,
        "SELECT community_id, alias, skill FROM skill_aliases WHERE community_id IN ({marks})",
        communities,
    ):
        batch.aliases.setdefault(int(r[0]), []).append(SkillAlias(str(r[1]), str(r[2])))
    return batch


class GigHeldSql(SqlBase):
    """Held instant alerts: due ones decided at the moment they go out."""

    async def send_held_alerts(self, now: datetime, plan: HeldPlanner, members: int = 200) -> int:
        """Queue what ``plan`` decides of the held alerts due by now; how many were done.

        One transaction reads the alerts, their leads and members as they are now, marks every
        one read as done (sent or no longer due) and queues the DMs, so none goes twice.
        """
        async with self._tx() as db:
            batch = await _batch(db, now, members)
            if not batch.alerts:
                return 0
            messages = plan(batch)
            await db.executemany(
                "UPDATE gig_alerts SET sent_at = ? WHERE gig_id = ? AND member_id = ?"
                " AND sent_at IS NULL",
                [(ts(now), a.gig_id, a.member_id) for a in batch.alerts],
            )
            await enqueue_many_in(db, messages, now)
        return len(batch.alerts)

    async def next_held_alert_at(self) -> datetime | None:
        """When the first held alert is due (``send_held_alerts``' rows)."""
        row = await self._one(
            "SELECT MIN(send_at) FROM gig_alerts WHERE kind = 'instant' AND sent_at IS NULL"
        )
        return None if row is None or row[0] is None else dt(row[0])
