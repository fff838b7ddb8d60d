"""Check-in weeks: answers, skips, and moving sprints to a changed check-in slot.

What the check-ins' jobs read (prompts, reminders, summaries) is in checkin_jobs.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.features.checkins.store import SprintMove
from bot.features.sprints.store import ScheduleChanged
from bot.models import CheckinWeek, Community, Member, NewOutbox, NewWeek, WeekStatus
from bot.storage.sql.db import Db, Row, SqlBase, dt, inserted_id, opt_dt, opt_ts, ts
from bot.storage.sql.identity import save_member
from bot.storage.sql.outbox import enqueue_in
from bot.storage.sql.sprints import AS_READ, as_read


class CheckinSql(SqlBase):
    """The checkin_weeks table, and the schedule moves that change it with the sprints."""

    async def weeks(self, sprint_id: int) -> list[CheckinWeek]:
        """A sprint's check-in weeks in order."""
        rows = await self._all(
            "SELECT * FROM checkin_weeks WHERE sprint_id = ? ORDER BY week", (sprint_id,)
        )
        return [week_from(r) for r in rows]

    async def add_week(self, week: NewWeek) -> CheckinWeek:
        """Record a week ahead of its prompt (a member skipping next week)."""
        async with self._tx() as db:
            week_id = await insert_week(db, week)
        rows = await self._all("SELECT * FROM checkin_weeks WHERE id = ?", (week_id,))
        return week_from(rows[0])

    async def save_checkin(
        self,
        week: CheckinWeek,
        *,
        progress: str,
        blockers: str,
        confidence: int,
        hours: float | None,
        now: datetime,
        outbox: Sequence[NewOutbox] = (),
    ) -> CheckinWeek:
        """Store (or update) a week's check-in answers, with any messages it triggers."""
        async with self._tx() as db:
            # The week as saved comes back with the write: one statement fewer.
            row = await (
                await db.execute(
                    "UPDATE checkin_weeks SET status = 'done', progress = ?, blockers = ?,"
                    " confidence = ?, hours = ?, submitted_at = ?, skip_reason = ''"
                    " WHERE id = ? RETURNING *",
                    (progress, blockers, confidence, hours, ts(now), week.id),
                )
            ).fetchone()
            for item in outbox:
                await enqueue_in(db, item, now)
        assert row is not None
        return week_from(row)

    async def skip_week(
        self, week: CheckinWeek, reason: str, outbox: Sequence[NewOutbox], now: datetime
    ) -> None:
        """Mark an open week as skipped."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE checkin_weeks SET status = 'skipped', skip_reason = ? WHERE id = ?",
                (reason, week.id),
            )
            for item in outbox:
                await enqueue_in(db, item, now)

    async def unskip_week(self, week: CheckinWeek) -> bool:
        """Forget a week skipped ahead, unless its slot has come (the sprint moved past it)."""
        async with self._tx() as db:
            cursor = await db.execute(
                "DELETE FROM checkin_weeks WHERE id = ? AND status = 'skipped' AND EXISTS ("
                " SELECT 1 FROM sprints s WHERE s.id = checkin_weeks.sprint_id"
                " AND s.status = 'active' AND s.next_week = checkin_weeks.week)",
                (week.id,),
            )
            return cursor.rowcount == 1

    async def streak_weeks(self, sprint_ids: Sequence[int]) -> dict[int, list[CheckinWeek]]:
        """Weeks of several sprints at once (for summaries)."""
        if not sprint_ids:
            return {}
        marks = ",".join("?" for _ in sprint_ids)
        rows = await self._all(
            f"SELECT * FROM checkin_weeks WHERE sprint_id IN ({marks}) ORDER BY sprint_id, week",
            list(sprint_ids),
        )
        out: dict[int, list[CheckinWeek]] = {i: [] for i in sprint_ids}
        for row in rows:
            out[int(row["sprint_id"])].append(week_from(row))
        return out

    async def update_schedule(self, community: Community, moves: Sequence[SprintMove]) -> None:
        """Save a community's check-in settings and the sprints they move, in one transaction.

        Raises ScheduleChanged, saving nothing, if any sprint changed since its move was decided.
        """
        async with self._tx() as db:
            await db.execute(
                "UPDATE communities SET checkin_weekday = ?, checkin_time = ?, reminder_hours = ?,"
                " default_timezone = ? WHERE id = ?",
                (
                    community.checkin_weekday,
                    community.checkin_time.strftime("%H:%M"),
                    community.reminder_hours,
                    community.default_timezone,
                    community.id,
                ),
            )
            for move in moves:
                await move_sprint(db, move)

    async def update_member_moving(self, member: Member, move: SprintMove | None) -> None:
        """Save a member's profile and flags (and their moved sprint) in one transaction.

        Raises ScheduleChanged, saving nothing, if the sprint changed since the move was decided.
        """
        async with self._tx() as db:
            await save_member(db, member)
            if move is not None:
                await move_sprint(db, move)


async def insert_week(db: Db, week: NewWeek, prompt_outbox_id: int | None = None) -> int:
    """Record a week inside a transaction; returns its id."""
    new_id = await inserted_id(
        db,
        "INSERT INTO checkin_weeks (sprint_id, community_id, week, status, opens_at,"
        " closes_at, community_week, remind_at, prompt_outbox_id, skip_reason)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            week.sprint_id,
            week.community_id,
            week.week,
            week.status.value,
            ts(week.opens_at),
            ts(week.closes_at),
            week.community_week.isoformat(),
            opt_ts(week.remind_at),
            prompt_outbox_id,
            week.skip_reason,
        ),
    )
    assert new_id is not None
    return new_id


async def move_sprint(db: Db, move: SprintMove) -> None:
    """Move a sprint as decided, if it is still as read; else raise ScheduleChanged."""
    cursor = await db.execute(
        "UPDATE sprints SET next_prompt_at = ?" + AS_READ,
        (opt_ts(move.next_prompt_at), *as_read(move.sprint)),
    )
    if cursor.rowcount != 1:
        raise ScheduleChanged(move.sprint.id)
    for w in move.weeks:
        cursor = await db.execute(
            "UPDATE checkin_weeks SET opens_at = ?, closes_at = ?, community_week = ?"
            " WHERE id = ? AND sprint_id = ? AND status = ? AND opens_at = ? AND closes_at = ?",
            (
                ts(w.opens_at),
                ts(w.closes_at),
                w.community_week.isoformat(),
                w.week.id,
                move.sprint.id,
                w.week.status.value,
                ts(w.week.opens_at),
                ts(w.week.closes_at),
            ),
        )
        if cursor.rowcount != 1:
            raise ScheduleChanged(move.sprint.id)
    for item in move.outbox:
        await enqueue_in(db, item, move.at)


def week_from(row: Row) -> CheckinWeek:
    """A check-in week as stored."""
    return CheckinWeek(
        id=int(row["id"]),
        sprint_id=int(row["sprint_id"]),
        week=int(row["week"]),
        status=WeekStatus(row["status"]),
        opens_at=dt(row["opens_at"]),
        closes_at=dt(row["closes_at"]),
        community_week=date.fromisoformat(row["community_week"]),
        progress=str(row["progress"]),
        blockers=str(row["blockers"]),
        confidence=row["confidence"],
        hours=None if row["hours"] is None else float(row["hours"]),
        submitted_at=opt_dt(row["submitted_at"]),
        remind_at=opt_dt(row["remind_at"]),
        reminded_at=opt_dt(row["reminded_at"]),
        prompt_outbox_id=row["prompt_outbox_id"],
        skip_reason=str(row["skip_reason"]),
    )
