"""The sprint nudges' storage (bot/features/sprints/jobs.py): their SQL and its queries.

Each nudge is one candidates query yielding ``sprint_id, week, due_at`` for every nudge not
yet decided. The due query keeps the candidates whose ``due_at`` has come and
its next-due moment is their earliest ``due_at``: both read the same query, so nothing that
will never be acted on can hold the schedule. A batch of decisions is then written by
one guarded statement per thousand that re-checks what the candidates query read and
returns which held (bot/storage/sql/batches.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.features.sprints.store import DueNudge, NudgeDecision
from bot.storage.sql.batches import over_values, returned_ids
from bot.storage.sql.checkins import week_from
from bot.storage.sql.db import SqlBase, dt, ts
from bot.storage.sql.identity import all_communities, members_by_id
from bot.storage.sql.outbox import enqueue_many_in
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


# The guarded writes, each for a batch of decisions (d) at once: a decision is recorded only
# if what the candidates query read holds, and the ids returned are the ones recorded.
RECORD_ENDINGS = (
    "INSERT INTO sprint_endings (sprint_id, last_week, created_at, remind_at)"
    " SELECT s.id, s.weeks, ?, d.remind_at FROM d JOIN sprints s ON s.id = d.sprint_id"
    " WHERE s.weeks = d.week AND s.status = 'active' AND s.next_prompt_at IS NULL"
    " ON CONFLICT DO NOTHING RETURNING sprint_id"
)
ENDINGS_VALUES = ("d(sprint_id, week, remind_at)", ("INTEGER", "INTEGER", "TEXT"))
RECORD_ENDING_REMINDERS = (
    "UPDATE sprint_endings SET reminded_at = ? FROM d WHERE sprint_endings.sprint_id ="
    " d.sprint_id AND sprint_endings.last_week = d.week AND sprint_endings.reminded_at IS NULL"
    " AND EXISTS (SELECT 1 FROM sprints s WHERE s.id = sprint_endings.sprint_id"
    " AND s.status = 'active' AND s.weeks = sprint_endings.last_week"
    " AND s.next_prompt_at IS NULL) RETURNING sprint_endings.sprint_id"
)
RECORD_PAUSE_OFFERS = (
    "INSERT INTO pause_offers (sprint_id, week, created_at)"
    " SELECT s.id, d.week, ? FROM d JOIN sprints s ON s.id = d.sprint_id"
    " JOIN members m ON m.id = s.member_id WHERE s.status = 'active' AND m.paused = 0"
    " AND EXISTS (SELECT 1 FROM checkin_weeks w WHERE w.sprint_id = s.id AND w.week = d.week"
    " AND w.status = 'open') ON CONFLICT DO NOTHING RETURNING sprint_id"
)
SPRINT_WEEK = ("d(sprint_id, week)", ("INTEGER", "INTEGER"))
# Then each recorded nudge is linked to its message (the id queued under its key).
LINK_ENDINGS = (
    "UPDATE sprint_endings SET outbox_id = d.outbox_id FROM d"
    " WHERE sprint_endings.sprint_id = d.sprint_id AND sprint_endings.last_week = d.week"
)
LINK_PAUSE_OFFERS = (
    "UPDATE pause_offers SET outbox_id = d.outbox_id FROM d"
    " WHERE pause_offers.sprint_id = d.sprint_id"
)
LINK_VALUES = ("d(sprint_id, week, outbox_id)", ("INTEGER", "INTEGER", "INTEGER"))


def _once(decided: Sequence[NudgeDecision]) -> list[NudgeDecision]:
    """The decisions, each sprint's first only (a batch may name one twice)."""
    chosen: dict[int, NudgeDecision] = {}
    for item in decided:
        chosen.setdefault(item.due.sprint.id, item)
    return list(chosen.values())


def _links(items: Sequence[NudgeDecision], ids: dict[str, int]) -> list[tuple[int, int, int]]:
    """Each recorded decision's sprint and week with the id its message was queued under."""
    rows = []
    for item in items:
        key = item.message.dedupe_key
        assert key is not None, "a nudge's message is keyed, so it is queued once"
        rows.append((item.due.sprint.id, item.due.week.week, ids[key]))
    return rows


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
        items = _once(decided)
        rows = []
        for item in items:
            assert item.remind_at is not None
            rows.append((item.due.sprint.id, item.due.week.week, ts(item.remind_at)))
        async with self._tx() as db:
            ended = await returned_ids(db, RECORD_ENDINGS, *ENDINGS_VALUES, rows, (ts(now),))
            recorded = [i for i in items if i.due.sprint.id in ended]
            ids = await enqueue_many_in(db, [i.message for i in recorded], now)
            await over_values(db, LINK_ENDINGS, *LINK_VALUES, _links(recorded, ids))
        return len(recorded)

    async def due_ending_reminders(self, now: datetime, limit: int = 1000) -> list[DueNudge]:
        """Sprint endings whose one reminder is due (still active, not extended)."""
        return await self._due_nudges(ending_reminders(now), now, limit)

    async def next_ending_reminder_at(self, now: datetime) -> datetime | None:
        """When the next ending reminder is due."""
        return await self._next_nudge(ending_reminders(now))

    async def record_ending_reminders(self, decided: Sequence[NudgeDecision], now: datetime) -> int:
        """Record each ending's reminder with its DM, if the sprint is still waiting."""
        items = _once(decided)
        rows = [(i.due.sprint.id, i.due.week.week) for i in items]
        async with self._tx() as db:
            reminded = await returned_ids(
                db, RECORD_ENDING_REMINDERS, *SPRINT_WEEK, rows, (ts(now),)
            )
            recorded = [i for i in items if i.due.sprint.id in reminded]
            await enqueue_many_in(db, [i.message for i in recorded], now)
        return len(recorded)

    async def due_pause_offers(self, now: datetime, limit: int = 1000) -> list[DueNudge]:
        """Sprints whose third missed week in a row has closed, not yet asked to pause."""
        return await self._due_nudges(pause_offers(now), now, limit)

    async def next_pause_offer_at(self, now: datetime) -> datetime | None:
        """When the next pause question is due."""
        return await self._next_nudge(pause_offers(now))

    async def record_pause_offers(self, decided: Sequence[NudgeDecision], now: datetime) -> int:
        """Record each pause question with its DM, once per sprint, if still unanswered."""
        items = _once(decided)
        rows = [(i.due.sprint.id, i.due.week.week) for i in items]
        async with self._tx() as db:
            asked = await returned_ids(db, RECORD_PAUSE_OFFERS, *SPRINT_WEEK, rows, (ts(now),))
            recorded = [i for i in items if i.due.sprint.id in asked]
            ids = await enqueue_many_in(db, [i.message for i in recorded], now)
            await over_values(db, LINK_PAUSE_OFFERS, *LINK_VALUES, _links(recorded, ids))
        return len(recorded)
