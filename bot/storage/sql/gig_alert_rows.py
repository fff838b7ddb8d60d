"""Gig alerts and digests in SQLite: leads waiting for their alerts, who got which, digests.

Each job's due query sits beside its next-due query. ``GigAlertSql`` is a mixin under
``GigMatchSql``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.features.gigs.match_store import DigestDecision, NewAlert, PendingDigestAlert
from bot.features.gigs.models import AlertMode, Gig
from bot.models import NewOutbox
from bot.storage.sql.db import dt, opt_ts, ts
from bot.storage.sql.gig_held_rows import GigHeldSql
from bot.storage.sql.gig_rows import GIG_COLUMNS, gig_from
from bot.storage.sql.outbox import enqueue_many_in


def _sending(alert: NewAlert, now: datetime) -> tuple[str | None, str | None]:
    """An alert's send_at and sent_at: a digest one neither, an instant one queued or held."""
    if alert.kind is not AlertMode.INSTANT:
        return None, None
    if alert.send_at is None:
        return ts(now), ts(now)
    return ts(alert.send_at), None


class GigAlertSql(GigHeldSql):
    """Deciding and recording alerts and weekly digests."""

    async def gigs_to_match(self, now: datetime, limit: int = 20) -> list[Gig]:
        """Open leads whose alerts are not decided yet, first published first."""
        rows = await self._all(
            f"SELECT {GIG_COLUMNS} FROM gigs g WHERE g.matched_at IS NULL AND g.status = 'open'"
            " AND g.published_at IS NOT NULL AND g.expires_at > ?"
            " ORDER BY g.published_at, g.id LIMIT ?",
            (ts(now), limit),
        )
        return [gig_from(r) for r in rows]

    async def next_gig_match_at(self, now: datetime) -> datetime | None:
        """When the first lead waiting for its alerts was published (``gigs_to_match``' rows)."""
        row = await self._one(
            "SELECT MIN(published_at) FROM gigs WHERE matched_at IS NULL AND status = 'open'"
            " AND published_at IS NOT NULL AND expires_at > ?",
            (ts(now),),
        )
        return None if row is None or row[0] is None else dt(row[0])

    async def gig_alerted(self, gig_id: int) -> set[int]:
        """The members a lead was sent to already (instantly or for a digest)."""
        rows = await self._all("SELECT member_id FROM gig_alerts WHERE gig_id = ?", (gig_id,))
        return {int(r[0]) for r in rows}

    async def record_gig_alerts(
        self, gig: Gig, alerts: Sequence[NewAlert], messages: Sequence[NewOutbox], now: datetime
    ) -> bool:
        """Record a lead's alerts and queue its DMs, once; False if it changed since read.

        Guarded on the lead as read (still open, same version, alerts not decided), so a run
        repeated after a restart, or racing an edit, writes nothing.
        """
        async with self._tx() as db:
            cursor = await db.execute(
                "UPDATE gigs SET matched_at = ? WHERE id = ? AND matched_at IS NULL"
                " AND status = 'open' AND version = ?",
                (ts(now), gig.id, gig.version),
            )
            if cursor.rowcount != 1:
                return False
            # An instant alert held for the morning waits with send_at set and sent_at NULL.
            await db.executemany(
                "INSERT INTO gig_alerts (gig_id, member_id, kind, rank, created_at, digest_at,"
                " send_at, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (gig_id, member_id) DO NOTHING",
                [
                    (
                        gig.id,
                        a.member_id,
                        a.kind.value,
                        a.rank,
                        ts(now),
                        opt_ts(a.digest_at),
                        *_sending(a, now),
                    )
                    for a in alerts
                ],
            )
            # The outbox's rows, in this transaction and in rank order.
            await enqueue_many_in(db, messages, now)
        return True

    async def due_digest_alerts(self, now: datetime) -> list[PendingDigestAlert]:
        """Every lead held for a digest that is due by now and not yet in one."""
        rows = await self._all(
            "SELECT a.member_id, m.community_id, COALESCE(m.timezone, c.default_timezone),"
            " s.alerts, a.gig_id, a.rank, a.digest_at,"
            " (SELECT MAX(d.week) FROM gig_digests d WHERE d.member_id = a.member_id)"
            " FROM gig_alerts a JOIN members m ON m.id = a.member_id"
            " JOIN communities c ON c.id = m.community_id"
            " LEFT JOIN gig_member_settings s ON s.member_id = a.member_id"
            " WHERE a.kind = 'digest' AND a.digest_sent_at IS NULL AND a.digest_at <= ?"
            " ORDER BY a.member_id, a.rank, a.gig_id",
            (ts(now),),
        )
        modes = {None: AlertMode.INSTANT} | {m.value: m for m in AlertMode}
        return [
            PendingDigestAlert(
                member_id=int(r[0]),
                community_id=int(r[1]),
                zone=str(r[2]),
                mode=modes[r[3]],
                gig_id=int(r[4]),
                rank=int(r[5]),
                digest_at=dt(r[6]),
                last_week=None if r[7] is None else date.fromisoformat(r[7]),
            )
            for r in rows
        ]

    async def next_digest_at(self) -> datetime | None:
        """When the next digest with a held lead is due (``due_digest_alerts``' rows)."""
        row = await self._one(
            "SELECT MIN(digest_at) FROM gig_alerts WHERE kind = 'digest' AND digest_sent_at IS NULL"
        )
        return None if row is None or row[0] is None else dt(row[0])

    async def record_digests(self, decided: Sequence[DigestDecision], now: datetime) -> int:
        """Record digests and queue their DMs in one transaction; how many members were decided.

        Every held alert due by now of each member decided is marked done, listed or not (a
        lead no longer open), so nothing due is left to wake the job again.
        """
        if not decided:
            return 0
        sent = [d for d in decided if d.message is not None]
        async with self._tx() as db:
            await db.executemany(
                "UPDATE gig_alerts SET digest_sent_at = ? WHERE member_id = ?"
                " AND kind = 'digest' AND digest_sent_at IS NULL AND digest_at <= ?",
                [(ts(now), d.member_id, ts(now)) for d in decided],
            )
            await db.executemany(
                "INSERT INTO gig_digests (member_id, week, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (member_id, week) DO NOTHING",
                [(d.member_id, d.week.isoformat(), ts(now)) for d in sent],
            )
            await enqueue_many_in(db, [d.message for d in sent if d.message is not None], now)
        return len(decided)

    async def gigs_by_id(self, ids: Sequence[int]) -> dict[int, Gig]:
        """Several leads at once."""
        wanted = sorted(set(ids))
        found: dict[int, Gig] = {}
        for chunk in range(0, len(wanted), 500):
            part = wanted[chunk : chunk + 500]
            marks = ",".join("?" for _ in part)
            rows = await self._all(
                f"SELECT {GIG_COLUMNS} FROM gigs g WHERE g.id IN ({marks})", part
            )
            found.update({g.id: g for g in map(gig_from, rows)})
        return found
