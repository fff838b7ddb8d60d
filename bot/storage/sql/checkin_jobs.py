"""The SQL of the check-ins' jobs: prompts, reminders and summaries (bot/features/checkins/jobs.py).

Each job's candidates are one query; its due query keeps the candidates whose moment has
come and its next-due moment is their earliest, so both read the very same conditions and
nothing that will never be acted on can hold the schedule.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from bot.features.checkins.store import DuePrompt, DueReminder, SummaryRow, WeekOpening
from bot.models import CheckinWeek, NewOutbox
from bot.storage.sql.checkins import week_from
from bot.storage.sql.db import Db, Row, SqlBase, dt, opt_ts, ts
from bot.storage.sql.identity import all_communities, members_by_id
from bot.storage.sql.outbox import OUTBOX_BY_KEY, enqueue_in, enqueue_many_in
from bot.storage.sql.sprints import AS_READ, as_read, sprint_from, sprints_by_id

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

# A week slot's decision, written for a whole batch at once: the sprint moves on only as
# read, then the week is recorded, linked to its prompt by the prompt's dedupe key.
ADVANCE = "UPDATE sprints SET next_week = next_week + 1, next_prompt_at = ?" + AS_READ
INSERT_WEEK = (
    "INSERT INTO checkin_weeks (sprint_id, community_id, week, status, opens_at, closes_at,"
    " community_week, remind_at, prompt_outbox_id, skip_reason)"
    f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, {OUTBOX_BY_KEY}, ?)"
)
# A reminder is recorded only while its week still is what due_reminders read.
REMIND = (
    "UPDATE checkin_weeks SET reminded_at = ? WHERE id = ? AND status = 'open'"
    " AND reminded_at IS NULL"
)
# Bound on the ids in one IN (...) list.
CHUNK = 500


async def _rows_in(
    db: Db, sql: str, ids: Sequence[int], params: Sequence[object] = ()
) -> list[Row]:
    """``sql`` with ``{ids}`` as an IN list, run over ``ids`` in chunks."""
    wanted = sorted(set(ids))
    rows: list[Row] = []
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        marks = ",".join("?" for _ in part)
        found = await db.execute(sql.format(ids=marks), (*params, *part))
        rows += await found.fetchall()
    return rows


async def _still_due(db: Db, openings: Sequence[WeekOpening]) -> list[WeekOpening]:
    """The openings whose sprint is, inside the write, exactly as their decision read it.

    Read: active, week counter, length, next prompt, and whether the slot's week is already
    recorded (skipped ahead). A decision recording a week needs none there, one recording
    none needs the skipped one; anything else changed meanwhile and is decided again.
    """
    rows = await _rows_in(
        db,
        "SELECT s.id, s.status, s.next_week, s.weeks, s.next_prompt_at, w.id AS ahead_id"
        " FROM sprints s LEFT JOIN checkin_weeks w ON w.sprint_id = s.id"
        " AND w.week = s.next_week WHERE s.id IN ({ids})",
        [item.sprint.id for item in openings],
    )
    now = {
        int(r["id"]): (
            r["status"],
            r["next_week"],
            r["weeks"],
            r["next_prompt_at"],
            r["ahead_id"] is not None,
        )
        for r in rows
    }
    chosen: dict[int, WeekOpening] = {}
    for item in openings:
        sprint = item.sprint
        read = ("active", sprint.next_week, sprint.weeks, opt_ts(sprint.next_prompt_at))
        if sprint.id not in chosen and now.get(sprint.id) == (*read, item.week is None):
            chosen[sprint.id] = item
    return list(chosen.values())


def _week_row(item: WeekOpening) -> tuple[object, ...]:
    week = item.week
    assert week is not None
    return (
        week.sprint_id,
        week.community_id,
        week.week,
        week.status.value,
        ts(week.opens_at),
        ts(week.closes_at),
        week.community_week.isoformat(),
        opt_ts(week.remind_at),
        None if item.prompt is None else item.prompt.dedupe_key,
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

    async def open_weeks(self, openings: Sequence[WeekOpening], now: datetime) -> int:
        """Advance sprints past one week slot each: record the week, queue its prompt, move on.

        One transaction for the batch, a few statements however many sprints: each sprint
        moves only if it still is as its decision read it (week counter, length, prompt
        time, a week skipped ahead), checked inside the write and again by each UPDATE's
        WHERE, so a week is decided once even if two ticks race, and never from a schedule a
        command changed meanwhile (that sprint is left for the next pass). Returns how many
        moved.
        """
        async with self._tx() as db:
            chosen = await _still_due(db, openings)
            if not chosen:
                return 0
            moved = await db.executemany(
                ADVANCE, [(opt_ts(i.next_prompt_at), *as_read(i.sprint)) for i in chosen]
            )
            if moved.rowcount != len(chosen):
                # Nothing else writes inside this transaction: undo it all rather than guess.
                raise RuntimeError("sprints changed inside the week-opening transaction")
            await enqueue_many_in(db, [i.prompt for i in chosen if i.prompt is not None], now)
            await db.executemany(INSERT_WEEK, [_week_row(i) for i in chosen if i.week])
        return len(chosen)

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
    ) -> int:
        """Record these weeks' reminder decisions, queueing the reminders, in one transaction.

        Only weeks still open, unreminded and of an active sprint whose member is paused or
        not as read: a week answered or a member (un)paused meanwhile is left for the next
        pass. Returns how many were recorded.
        """
        async with self._tx() as db:
            rows = await _rows_in(
                db,
                "SELECT w.id, m.paused FROM checkin_weeks w JOIN sprints s ON s.id = w.sprint_id"
                " JOIN members m ON m.id = s.member_id WHERE w.status = 'open'"
                " AND w.reminded_at IS NULL AND w.closes_at > ? AND s.status = 'active'"
                " AND w.id IN ({ids})",
                [week.id for week, _ in decided],
                [ts(now)],
            )
            # A decision without a message is a paused member's.
            still = {int(r["id"]): bool(r["paused"]) for r in rows}
            chosen: dict[int, NewOutbox | None] = {}
            for week, reminder in decided:
                if week.id not in chosen and still.get(week.id) is (reminder is None):
                    chosen[week.id] = reminder
            if not chosen:
                return 0
            marked = await db.executemany(REMIND, [(ts(now), i) for i in chosen])
            if marked.rowcount != len(chosen):
                raise RuntimeError("weeks changed inside the reminders' transaction")
            await enqueue_many_in(db, [r for r in chosen.values() if r is not None], now)
        return len(chosen)

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
