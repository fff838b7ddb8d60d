"""The SQL of the check-ins' jobs: prompts, reminders and summaries (bot/features/checkins/jobs.py).

Each job's candidates are one query; its due query keeps the candidates whose moment has
come and its next-due moment is their earliest, so both read the very same conditions and
nothing that will never be acted on can hold the schedule.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from bot.features.checkins.store import DuePrompt, DueReminder, SummaryRow, WeekOpening
from bot.models import NewOutbox
from bot.storage.sql.batches import insert_rows, returned_ids
from bot.storage.sql.checkins import week_from
from bot.storage.sql.db import SqlBase, dt, fetch_all, ts
from bot.storage.sql.identity import all_communities, members_by_id
from bot.storage.sql.outbox import enqueue_in, enqueue_many_in
from bot.storage.sql.sprints import sprints_by_id

# Weeks that closed longer ago than this get no summary (after a long outage it'd be stale
# news), which also keeps the summary queries off old history.
SUMMARY_HORIZON = timedelta(days=28)

# Sprints (s) with a next week slot: due at next_prompt_at.
PROMPTS = "s.status = 'active' AND s.next_prompt_at IS NOT NULL"
# Open, unanswered weeks of active sprints with a reminder still to decide while the week is
# open (parameter: now): due at remind_at.
REMINDERS_FROM = " FROM checkin_weeks w JOIN sprints s ON s.id = w.sprint_id"
REMINDERS_WHERE = (
    " WHERE w.status = 'open' AND w.reminded_at IS NULL AND w.remind_at IS NOT NULL"
    " AND w.closes_at > ? AND s.status = 'active'"
)

# A batch of week slots' decisions (d): each sprint moves on only as its decision read it
# (active, week counter, length, prompt time, and whether the slot's week was recorded
# ahead, skipped), so a week is decided once even if two ticks race, and never from a
# schedule a command changed meanwhile. The ids returned are the sprints that moved.
ADVANCE = (
    "UPDATE sprints SET next_week = sprints.next_week + 1, next_prompt_at = d.next_at FROM d"
    " WHERE sprints.id = d.id AND sprints.status = 'active' AND sprints.next_week = d.week"
    " AND sprints.weeks = d.weeks AND sprints.next_prompt_at IS NOT DISTINCT FROM d.read_at"
    # A filter, not an equality: PostgreSQL would hash every active sprint on it.
    " AND CASE WHEN d.ahead = 1 THEN EXISTS ({AHEAD}) ELSE NOT EXISTS ({AHEAD}) END"
    " RETURNING sprints.id"
).format(
    AHEAD="SELECT 1 FROM checkin_weeks w WHERE w.sprint_id = sprints.id"
    " AND w.week = sprints.next_week"
)
ADVANCE_VALUES = (
    "d(id, week, weeks, read_at, next_at, ahead)",
    ("INTEGER",) * 3 + ("TEXT",) * 2 + ("INTEGER",),
)
# Then the week is recorded, linked to its prompt by the prompt's dedupe key.
# Then the weeks are recorded, each linked to its prompt (the id queued under its key).
INSERT_WEEKS = (
    "INSERT INTO checkin_weeks (sprint_id, community_id, week, status, opens_at, closes_at,"
    " community_week, remind_at, prompt_outbox_id, skip_reason) VALUES {rows}"
)
WEEK_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
# A batch of reminder decisions (d): each recorded only while its week still is what
# due_reminders read, and its member paused (no message) or not as decided.
REMIND = (
    "UPDATE checkin_weeks SET reminded_at = ? FROM d WHERE checkin_weeks.id = d.id"
    " AND checkin_weeks.status = 'open' AND checkin_weeks.reminded_at IS NULL"
    " AND checkin_weeks.closes_at > ? AND EXISTS (SELECT 1 FROM sprints s"
    " JOIN members m ON m.id = s.member_id WHERE s.id = checkin_weeks.sprint_id"
    " AND s.status = 'active' AND m.paused = d.paused) RETURNING checkin_weeks.id"
)
REMIND_VALUES = ("d(id, paused)", ("INTEGER", "INTEGER"))


class _Stamps(dict[datetime, str]):
    """Moments as stored, each worked out once per batch (thousands share a few)."""

    def __missing__(self, moment: datetime) -> str:
        self[moment] = stamp = ts(moment)
        return stamp


def _week_row(item: WeekOpening, stamps: _Stamps, ids: dict[str, int]) -> tuple[object, ...]:
    week = item.week
    assert week is not None
    return (
        item.due.sprint_id,
        item.due.community.id,
        item.due.week,
        week.status.value,
        stamps[week.opens_at],
        stamps[week.closes_at],
        week.community_week.isoformat(),
        None if week.remind_at is None else stamps[week.remind_at],
        None if item.prompt is None else ids[item.prompt.dedupe_key or ""],
        week.skip_reason,
    )


def _summaries(now: datetime) -> tuple[str, list[str]]:
    """Community weeks without a summary, due when their last check-in window closes."""
    return (
        # Read the recent weeks by their close first (weeks_by_close covers it): left to
        # itself the planner walks every week ever recorded to group them in order.
        "WITH recent AS MATERIALIZED (SELECT community_id, community_week, closes_at"
        " FROM checkin_weeks WHERE closes_at >= ?)"
        " SELECT w.community_id, w.community_week, MAX(w.closes_at) AS due_at"
        " FROM recent w LEFT JOIN summaries s ON s.community_id = w.community_id"
        " AND s.community_week = w.community_week WHERE s.community_id IS NULL"
        " GROUP BY w.community_id, w.community_week",
        [ts(now - SUMMARY_HORIZON)],
    )


class CheckinJobSql(SqlBase):
    """What the check-ins' jobs read and record."""

    async def due_prompts(self, now: datetime, limit: int = 1000) -> list[DuePrompt]:
        """Active sprints whose next week slot has come, with what deciding them needs."""
        async with self._read() as db:
            rows = await fetch_all(
                db,
                "SELECT s.id, s.goal, s.next_week, s.weeks, s.next_prompt_at, s.member_id,"
                " m.timezone, m.paused, m.community_id, w.id AS ahead_id FROM sprints s"
                " JOIN members m ON m.id = s.member_id"
                " LEFT JOIN checkin_weeks w ON w.sprint_id = s.id AND w.week = s.next_week"
                f" WHERE {PROMPTS} AND s.next_prompt_at <= ?"
                " ORDER BY s.next_prompt_at, s.id LIMIT ?",
                (ts(now), limit),
            )
            communities = await all_communities(db)
        return [
            DuePrompt(
                sprint_id=int(r[0]),
                goal=str(r[1]),
                week=int(r[2]),
                weeks=int(r[3]),
                next_prompt_at=dt(r[4]),
                member_id=int(r[5]),
                timezone=r[6],
                paused=bool(r[7]),
                community=communities[int(r[8])],
                skipped_ahead=r[9] is not None,
            )
            for r in rows
        ]

    async def open_weeks(self, openings: Sequence[WeekOpening], now: datetime) -> int:
        """Advance sprints past one week slot each: record the week, queue its prompt, move on.

        One transaction for the batch and a few statements however many sprints: the
        guarded UPDATE (ADVANCE) moves each sprint only as its decision read it and says
        which moved; only those get their week and prompt. A sprint changed meanwhile is
        left for the next pass. Returns how many moved.
        """
        chosen: dict[int, WeekOpening] = {}
        for item in openings:
            chosen.setdefault(item.due.sprint_id, item)
        stamps = _Stamps()
        decisions = [
            (
                i.due.sprint_id,
                i.due.week,
                i.due.weeks,
                stamps[i.due.next_prompt_at],
                None if i.next_prompt_at is None else stamps[i.next_prompt_at],
                1 if i.week is None else 0,
            )
            for i in chosen.values()
        ]
        async with self._tx() as db:
            moved = await returned_ids(db, ADVANCE, *ADVANCE_VALUES, decisions)
            if not moved:
                return 0
            went = [i for i in chosen.values() if i.due.sprint_id in moved]
            ids = await enqueue_many_in(db, [i.prompt for i in went if i.prompt], now)
            # In sprint order: each week lands next to its sprint's others in the index.
            weeks = sorted(_week_row(i, stamps, ids) for i in went if i.week is not None)
            await insert_rows(db, INSERT_WEEKS, WEEK_ROW, weeks)
        return len(went)

    async def next_prompt_at(self, now: datetime) -> datetime | None:
        """When the next week slot of any sprint comes."""
        row = await self._one(f"SELECT MIN(s.next_prompt_at) FROM sprints s WHERE {PROMPTS}")
        return None if row is None or row[0] is None else dt(row[0])

    async def due_reminders(self, now: datetime, limit: int = 1000) -> list[DueReminder]:
        """Open, unanswered weeks whose reminder time has come and whose window is still open."""
        async with self._read() as db:
            rows = await fetch_all(
                db,
                "SELECT w.id, w.sprint_id, w.week, w.closes_at, s.goal, s.member_id, m.paused,"
                f" m.community_id{REMINDERS_FROM} JOIN members m ON m.id = s.member_id"
                f"{REMINDERS_WHERE} AND w.remind_at <= ? ORDER BY w.remind_at, w.id LIMIT ?",
                (ts(now), ts(now), limit),
            )
            communities = await all_communities(db)
        return [
            DueReminder(
                week_id=int(r[0]),
                sprint_id=int(r[1]),
                week=int(r[2]),
                closes_at=dt(r[3]),
                goal=str(r[4]),
                member_id=int(r[5]),
                paused=bool(r[6]),
                community=communities[int(r[7])],
            )
            for r in rows
        ]

    async def next_reminder_at(self, now: datetime) -> datetime | None:
        """When the next reminder of a week still open is due."""
        row = await self._one(
            f"SELECT MIN(w.remind_at){REMINDERS_FROM}{REMINDERS_WHERE}", (ts(now),)
        )
        return None if row is None or row[0] is None else dt(row[0])

    async def mark_reminded(
        self, decided: Sequence[tuple[DueReminder, NewOutbox | None]], now: datetime
    ) -> int:
        """Record these weeks' reminder decisions, queueing the reminders, in one transaction.

        Only weeks still open, unreminded and of an active sprint whose member is paused or
        not as read (REMIND): a week answered or a member (un)paused meanwhile is left for
        the next pass. Returns how many were recorded.
        """
        # A decision without a message is a paused member's.
        chosen: dict[int, NewOutbox | None] = {}
        for due, reminder in decided:
            chosen.setdefault(due.week_id, reminder)
        rows = [(week_id, 1 if r is None else 0) for week_id, r in chosen.items()]
        async with self._tx() as db:
            marked = await returned_ids(db, REMIND, *REMIND_VALUES, rows, (ts(now), ts(now)))
            reminders = [r for i, r in chosen.items() if i in marked and r is not None]
            await enqueue_many_in(db, reminders, now)
        return len(marked)

    async def due_summaries(self, now: datetime) -> list[tuple[int, date]]:
        """Community weeks whose every check-in window has closed and have no summary yet."""
        sql, params = _summaries(now)
        rows = await self._all(
            f"SELECT community_id, community_week FROM ({sql}) AS due WHERE due_at <= ?"
            " ORDER BY community_week",
            (*params, ts(now)),
        )
        return [(int(r[0]), date.fromisoformat(r[1])) for r in rows]

    async def next_summary_at(self, now: datetime) -> datetime | None:
        """When the next community week without a summary has all its windows closed."""
        sql, params = _summaries(now)
        row = await self._one(f"SELECT MIN(due_at) FROM ({sql}) AS due", params)
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
                "INSERT INTO summaries (community_id, community_week, created_at)"
                " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
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
