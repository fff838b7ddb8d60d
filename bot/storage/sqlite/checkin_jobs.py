"""The SQL of the check-ins' jobs: prompts, reminders and summaries (bot/features/checkins/jobs.py).

Each job's candidates are one query; its due query keeps the candidates whose moment has
come and its next-due moment is their earliest, so both read the very same conditions and
nothing that will never be acted on can hold the schedule.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from bot.features.checkins.store import DuePrompt, DueReminder, SummaryRow
from bot.models import CheckinWeek, NewOutbox
from bot.storage.sqlite.checkins import week_from
from bot.storage.sqlite.connection import ConnectionBase, dt, ts
from bot.storage.sqlite.identity import all_communities, members_by_id
from bot.storage.sqlite.outbox import enqueue_in
from bot.storage.sqlite.sprints import sprint_from, sprints_by_id

# Weeks that closed longer ago than this get no summary (after a long outage it'd be stale
# news), which also keeps the summary queries off old history.
SUMMARY_HORIZON = timedelta(days=28)

# Sprints (s) with a next week slot: due at next_prompt_at.
PROMPTS = "s.status = 'active' AND s.next_prompt_at IS NOT NULL"
# Open, unanswered weeks of active sprints with a reminder still to decide while the week is
# open (parameter: now): due at remind_at.
REMINDERS = (
    " FROM checkin_weeks w JOIN sprints s ON s.id = w.sprint_id"
    " WHERE w.status = 'open' AND w.reminded_at IS NULL AND w.remind_at IS NOT NULL"
    " AND w.closes_at > ? AND s.status = 'active'"
)


def _summaries(now: datetime) -> tuple[str, list[str]]:
    """Community weeks without a summary, due when their last check-in window closes."""
    return (
        "SELECT w.community_id, w.community_week, MAX(w.closes_at) AS due_at"
        " FROM checkin_weeks w LEFT JOIN summaries s ON s.community_id = w.community_id"
        " AND s.community_week = w.community_week"
        " WHERE s.community_id IS NULL AND w.closes_at >= ?"
        " GROUP BY w.community_id, w.community_week",
        [ts(now - SUMMARY_HORIZON)],
    )


class CheckinJobSql(ConnectionBase):
    """What the check-ins' jobs read and record."""

    async def due_prompts(self, now: datetime, limit: int = 1000) -> list[DuePrompt]:
        """Active sprints whose next week slot has come, with member and community, in one read."""
        async with self._read() as db:
            rows = list(
                await (
                    await db.execute(
                        "SELECT s.*, w.id AS ahead_id FROM sprints s"
                        " LEFT JOIN checkin_weeks w ON w.sprint_id = s.id AND w.week = s.next_week"
                        f" WHERE {PROMPTS} AND s.next_prompt_at <= ?"
                        " ORDER BY s.next_prompt_at LIMIT ?",
                        (ts(now), limit),
                    )
                ).fetchall()
            )
            members = await members_by_id(db, [int(r["member_id"]) for r in rows])
            communities = await all_communities(db)
        out = []
        for row in rows:
            member = members[int(row["member_id"])]
            community = communities[member.community_id]
            out.append(DuePrompt(sprint_from(row), member, community, row["ahead_id"] is not None))
        return out

    async def next_prompt_at(self, now: datetime) -> datetime | None:
        """When the next week slot of any sprint comes."""
        row = await self._one(f"SELECT MIN(s.next_prompt_at) FROM sprints s WHERE {PROMPTS}")
        return None if row is None or row[0] is None else dt(row[0])

    async def due_reminders(self, now: datetime, limit: int = 1000) -> list[DueReminder]:
        """Open, unanswered weeks whose reminder time has come and whose window is still open."""
        async with self._read() as db:
            rows = list(
                await (
                    await db.execute(
                        "SELECT w.*, s.member_id" + REMINDERS + " AND w.remind_at <= ?"
                        " ORDER BY w.remind_at LIMIT ?",
                        (ts(now), ts(now), limit),
                    )
                ).fetchall()
            )
            members = await members_by_id(db, [int(r["member_id"]) for r in rows])
            sprints = await sprints_by_id(db, [int(r["sprint_id"]) for r in rows])
            communities = await all_communities(db)
        out = []
        for row in rows:
            member = members[int(row["member_id"])]
            week = week_from(row)
            out.append(
                DueReminder(week, member, communities[member.community_id], sprints[week.sprint_id])
            )
        return out

    async def next_reminder_at(self, now: datetime) -> datetime | None:
        """When the next reminder of a week still open is due."""
        row = await self._one("SELECT MIN(w.remind_at)" + REMINDERS, (ts(now),))
        return None if row is None or row[0] is None else dt(row[0])

    async def mark_reminded(
        self, decided: Sequence[tuple[CheckinWeek, NewOutbox | None]], now: datetime
    ) -> None:
        """Record that these weeks' reminders were decided, queueing them, in one transaction."""
        async with self._tx() as db:
            for week, reminder in decided:
                cursor = await db.execute(
                    "UPDATE checkin_weeks SET reminded_at = ? WHERE id = ? AND reminded_at IS NULL",
                    (ts(now), week.id),
                )
                if cursor.rowcount == 1 and reminder is not None:
                    await enqueue_in(db, reminder, now)

    async def due_summaries(self, now: datetime) -> list[tuple[int, date]]:
        """Community weeks whose every check-in window has closed and have no summary yet."""
        sql, params = _summaries(now)
        rows = await self._all(
            f"SELECT community_id, community_week FROM ({sql}) WHERE due_at <= ?"
            " ORDER BY community_week",
            (*params, ts(now)),
        )
        return [(int(r[0]), date.fromisoformat(r[1])) for r in rows]

    async def next_summary_at(self, now: datetime) -> datetime | None:
        """When the next community week without a summary has all its windows closed."""
        sql, params = _summaries(now)
        row = await self._one(f"SELECT MIN(due_at) FROM ({sql})", params)
        return None if row is None or row[0] is None else dt(row[0])

    async def summary_rows(self, community_id: int, community_week: date) -> list[SummaryRow]:
        """Each member's check-in week for a community week, with member and sprint."""
        async with self._read() as db:
            rows = list(
                await (
                    await db.execute(
                        "SELECT w.*, s.member_id FROM checkin_weeks w"
                        " JOIN sprints s ON s.id = w.sprint_id"
                        " WHERE w.community_id = ? AND w.community_week = ?"
                        # Someone who ended their sprint that week is listed only if they
                        # checked in.
                        " AND (s.status = 'active' OR w.status = 'done') ORDER BY w.id",
                        (community_id, community_week.isoformat()),
                    )
                ).fetchall()
            )
            members = await members_by_id(db, [int(r["member_id"]) for r in rows])
            sprints = await sprints_by_id(db, [int(r["sprint_id"]) for r in rows])
        return [
            SummaryRow(week_from(r), members[int(r["member_id"])], sprints[int(r["sprint_id"])])
            for r in rows
        ]

    async def average_confidence(self, community_id: int, community_week: date) -> float | None:
        """The community's average confidence for a week, over done check-ins."""
        row = await self._one(
            "SELECT AVG(confidence) FROM checkin_weeks WHERE community_id = ?"
            " AND community_week = ? AND status = 'done'",
            (community_id, community_week.isoformat()),
        )
        return None if row is None or row[0] is None else float(row[0])

    async def record_summary(
        self, community_id: int, community_week: date, summary: NewOutbox, now: datetime
    ) -> bool:
        """Queue a week's summary once; returns False if it was already decided."""
        async with self._tx() as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO summaries (community_id, community_week, created_at)"
                " VALUES (?, ?, ?)",
                (community_id, community_week.isoformat(), ts(now)),
            )
            if cursor.rowcount != 1:
                return False
            outbox_id = await enqueue_in(db, summary, now)
            await db.execute(
                "UPDATE summaries SET outbox_id = ? WHERE community_id = ? AND community_week = ?",
                (outbox_id, community_id, community_week.isoformat()),
            )
            return True
