"""The sprint nudges' storage (bot/features/sprints/jobs.py): their SQL and its queries.

Each nudge is one candidates query yielding ``sprint_id, week, due_at`` for every nudge not
yet decided. The due query keeps the candidates whose ``due_at`` has come and
its next-due moment is their earliest ``due_at``: both read the same query, so nothing that
will never be acted on can hold the schedule. Each decision is then written by one guarded
statement that re-checks what the candidates query read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.features.sprints.store import DueNudge, NudgeDecision
from bot.storage.sql.checkins import week_from
from bot.storage.sql.db import SqlBase, dt, ts
from bot.storage.sql.identity import all_communities, members_by_id
from bot.storage.sql.outbox import enqueue_in
from bot.storage.sql.sprints import sprints_by_id

# A sprint whose last week closed longer ago than this (the bot was down, or the sprint
# predates these nudges) isn't told any more: stale news, like an old week's summary.
ENDING_HORIZON = timedelta(days=28)

Candidates = tuple[str, list[str]]


def endings(now: datetime) -> Candidates:
    """Active sprints whose last week has closed and that weren't told yet, due at its close."""
    return (
        "SELECT s.id AS sprint_id, s.weeks AS week, w.closes_at AS due_at FROM sprints s"
        " JOIN checkin_weeks w ON w.sprint_id = s.id AND w.week = s.weeks"
        " LEFT JOIN sprint_endings e ON e.sprint_id = s.id AND e.last_week = s.weeks"
        # No next prompt: an extended sprint has one until its new last week opens.
        " WHERE s.status = 'active' AND s.next_prompt_at IS NULL AND e.sprint_id IS NULL"
        " AND w.closes_at >= ?",
        [ts(now - ENDING_HORIZON)],
    )


def ending_reminders(now: datetime) -> Candidates:
    """Endings not yet reminded whose sprint is still active at the same length."""
    return (
        "SELECT e.sprint_id, e.last_week AS week, e.remind_at AS due_at FROM sprint_endings e"
        " JOIN sprints s ON s.id = e.sprint_id"
        " WHERE e.reminded_at IS NULL AND s.status = 'active' AND s.weeks = e.last_week"
        " AND s.next_prompt_at IS NULL",
        [],
    )


def pause_offers(now: datetime) -> Candidates:
    """Sprints whose latest three weeks went unanswered, due when the third closes.

    Only weeks the member was prompted for count ('open' past its close): a week recorded
    as missed while the bot was down isn't theirs to answer for, and skipped (or paused)
    weeks break the run. Asked once per sprint, never while paused, and never about a run
    that ends with the sprint's last week (the ending DM covers that).
    """
    return (
        # CROSS JOIN keeps SQLite on active sprints first rather than on every week ever
        # (its condition is in WHERE: PostgreSQL's CROSS JOIN takes no ON).
        "SELECT s.id AS sprint_id, w3.week, w3.closes_at AS due_at FROM sprints s"
        " CROSS JOIN checkin_weeks w3"
        " JOIN members m ON m.id = s.member_id AND m.paused = 0"
        " JOIN checkin_weeks w2 ON w2.sprint_id = s.id AND w2.week = w3.week - 1"
        " AND w2.status = 'open'"
        " JOIN checkin_weeks w1 ON w1.sprint_id = s.id AND w1.week = w3.week - 2"
        " AND w1.status = 'open'"
        " LEFT JOIN pause_offers p ON p.sprint_id = s.id"
        " WHERE s.status = 'active' AND p.sprint_id IS NULL"
        " AND w3.sprint_id = s.id AND w3.status = 'open'"
        # The open week or the last closed one: earlier weeks are followed by a closed one.
        " AND w3.week >= s.next_week - 2 AND w3.week < s.weeks"
        # Only the latest run: a later week that closed, or was answered or skipped, ends it.
        " AND NOT EXISTS (SELECT 1 FROM checkin_weeks later WHERE later.sprint_id = s.id"
        " AND later.week > w3.week AND (later.closes_at <= ? OR later.status != 'open'))"
        # A sprint told it ended at or after that week was extended since: don't dig it up.
        " AND NOT EXISTS (SELECT 1 FROM sprint_endings e WHERE e.sprint_id = s.id"
        " AND e.last_week >= w3.week)",
        [ts(now)],
    )


# The guarded writes: each records a decision only if what the candidates query read holds.
RECORD_ENDING = (
    "INSERT INTO sprint_endings (sprint_id, last_week, created_at, remind_at)"
    " SELECT id, weeks, ?, ? FROM sprints WHERE id = ? AND weeks = ? AND status = 'active'"
    " AND next_prompt_at IS NULL ON CONFLICT DO NOTHING"
)
LINK_ENDING = "UPDATE sprint_endings SET outbox_id = ? WHERE sprint_id = ? AND last_week = ?"
RECORD_ENDING_REMINDER = (
    "UPDATE sprint_endings SET reminded_at = ? WHERE sprint_id = ? AND last_week = ?"
    " AND reminded_at IS NULL AND EXISTS (SELECT 1 FROM sprints s"
    " WHERE s.id = sprint_endings.sprint_id AND s.status = 'active'"
    " AND s.weeks = sprint_endings.last_week AND s.next_prompt_at IS NULL)"
)
RECORD_PAUSE_OFFER = (
    "INSERT INTO pause_offers (sprint_id, week, created_at)"
    " SELECT s.id, ?, ? FROM sprints s JOIN members m ON m.id = s.member_id"
    " WHERE s.id = ? AND s.status = 'active' AND m.paused = 0"
    " AND EXISTS (SELECT 1 FROM checkin_weeks w WHERE w.sprint_id = s.id AND w.week = ?"
    " AND w.status = 'open') ON CONFLICT DO NOTHING"
)
LINK_PAUSE_OFFER = "UPDATE pause_offers SET outbox_id = ? WHERE sprint_id = ?"


class NudgeSql(SqlBase):
    """Which sprint nudges are due, when the next one is, and recording each once."""

    async def _due_nudges(
        self, candidates: Candidates, now: datetime, limit: int
    ) -> list[DueNudge]:
        sql, params = candidates
        async with self._read() as db:
            rows = list(
                await (
                    await db.execute(
                        f"SELECT w.*, c.due_at, s.member_id FROM ({sql}) c"
                        " JOIN checkin_weeks w ON w.sprint_id = c.sprint_id AND w.week = c.week"
                        " JOIN sprints s ON s.id = c.sprint_id"
                        " WHERE c.due_at <= ? ORDER BY c.due_at, c.sprint_id LIMIT ?",
                        (*params, ts(now), limit),
                    )
                ).fetchall()
            )
            members = await members_by_id(db, [int(r["member_id"]) for r in rows])
            sprints = await sprints_by_id(db, [int(r["sprint_id"]) for r in rows])
            communities = await all_communities(db) if rows else {}
        out = []
        for row in rows:
            member = members[int(row["member_id"])]
            out.append(
                DueNudge(
                    sprints[int(row["sprint_id"])],
                    member,
                    communities[member.community_id],
                    week_from(row),
                    dt(row["due_at"]),
                )
            )
        return out

    async def _next_nudge(self, candidates: Candidates) -> datetime | None:
        sql, params = candidates
        row = await self._one(f"SELECT MIN(due_at) FROM ({sql}) AS due", params)
        return None if row is None or row[0] is None else dt(row[0])

    async def due_sprint_endings(self, now: datetime, limit: int = 1000) -> list[DueNudge]:
        """Active sprints whose last check-in week has closed, not yet told so."""
        return await self._due_nudges(endings(now), now, limit)

    async def next_sprint_ending_at(self, now: datetime) -> datetime | None:
        """When the next sprint ending is due."""
        return await self._next_nudge(endings(now))

    async def record_sprint_endings(self, decided: Sequence[NudgeDecision], now: datetime) -> int:
        """Record each sprint ending with its DM, if the sprint still ended there."""
        recorded = 0
        async with self._tx() as db:
            for item in decided:
                sprint_id, week = item.due.sprint.id, item.due.week.week
                assert item.remind_at is not None
                cursor = await db.execute(
                    RECORD_ENDING, (ts(now), ts(item.remind_at), sprint_id, week)
                )
                if cursor.rowcount != 1:
                    continue
                recorded += 1
                outbox_id = await enqueue_in(db, item.message, now)
                await db.execute(LINK_ENDING, (outbox_id, sprint_id, week))
        return recorded

    async def due_ending_reminders(self, now: datetime, limit: int = 1000) -> list[DueNudge]:
        """Sprint endings whose one reminder is due (still active, not extended)."""
        return await self._due_nudges(ending_reminders(now), now, limit)

    async def next_ending_reminder_at(self, now: datetime) -> datetime | None:
        """When the next ending reminder is due."""
        return await self._next_nudge(ending_reminders(now))

    async def record_ending_reminders(self, decided: Sequence[NudgeDecision], now: datetime) -> int:
        """Record each ending's reminder with its DM, if the sprint is still waiting."""
        recorded = 0
        async with self._tx() as db:
            for item in decided:
                cursor = await db.execute(
                    RECORD_ENDING_REMINDER,
                    (ts(now), item.due.sprint.id, item.due.week.week),
                )
                if cursor.rowcount == 1:
                    recorded += 1
                    await enqueue_in(db, item.message, now)
        return recorded

    async def due_pause_offers(self, now: datetime, limit: int = 1000) -> list[DueNudge]:
        """Sprints whose third missed week in a row has closed, not yet asked to pause."""
        return await self._due_nudges(pause_offers(now), now, limit)

    async def next_pause_offer_at(self, now: datetime) -> datetime | None:
        """When the next pause question is due."""
        return await self._next_nudge(pause_offers(now))

    async def record_pause_offers(self, decided: Sequence[NudgeDecision], now: datetime) -> int:
        """Record each pause question with its DM, once per sprint, if still unanswered."""
        recorded = 0
        async with self._tx() as db:
            for item in decided:
                sprint_id, week = item.due.sprint.id, item.due.week.week
                cursor = await db.execute(RECORD_PAUSE_OFFER, (week, ts(now), sprint_id, week))
                if cursor.rowcount != 1:
                    continue
                recorded += 1
                outbox_id = await enqueue_in(db, item.message, now)
                await db.execute(LINK_PAUSE_OFFER, (outbox_id, sprint_id))
        return recorded
