"""Sprints: starting, reading, editing and ending them, and requests to end one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.features.sprints.store import ActiveSprintExists, ScheduleChanged
from bot.models import EndRequest, Member, NewOutbox, Sprint, SprintStatus
from bot.storage.sql.db import Db, Row, SqlBase, dt, inserted_id, opt_dt, opt_ts, ts
from bot.storage.sql.identity import members_by_id
from bot.storage.sql.outbox import enqueue_in

# A write that moves a sprint's schedule applies only to the sprint as it was read: a week
# opened, an edit or a schedule change in between makes it touch no row.
AS_READ = (
    " WHERE id = ? AND status = 'active' AND next_week = ? AND weeks = ?"
    " AND next_prompt_at IS NOT DISTINCT FROM ?"
)


def as_read(sprint: Sprint) -> tuple[int, int, int, str | None]:
    """The parameters of ``AS_READ`` for a sprint as it was read."""
    return sprint.id, sprint.next_week, sprint.weeks, opt_ts(sprint.next_prompt_at)


class SprintSql(SqlBase):
    """The sprints table and the requests to end one."""

    async def create_sprint(self, sprint: Sprint, outbox: Sequence[NewOutbox] = ()) -> Sprint:
        """Insert a new active sprint with its announcements; raises ActiveSprintExists."""
        try:
            async with self._tx() as db:
                # Numbered within the member's own sequence, in this transaction.
                new_id = await inserted_id(
                    db,
                    "INSERT INTO sprints (member_id, goal, skill, deliverable_kind, deliverable,"
                    " start_date, weeks, status, created_at, next_week, next_prompt_at, number)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?,"
                    " (SELECT COALESCE(MAX(number), 0) + 1 FROM sprints WHERE member_id = ?))"
                    " RETURNING id",
                    (
                        sprint.member_id,
                        sprint.goal,
                        sprint.skill,
                        sprint.deliverable_kind,
                        sprint.deliverable,
                        sprint.start_date.isoformat(),
                        sprint.weeks,
                        ts(sprint.created_at),
                        sprint.next_week,
                        opt_ts(sprint.next_prompt_at),
                        sprint.member_id,
                    ),
                )
                for item in outbox:
                    await enqueue_in(db, item, sprint.created_at)
        except self.integrity_errors:
            raise ActiveSprintExists() from None
        assert new_id is not None
        created = await self.get_sprint(new_id)
        assert created is not None
        return created

    async def get_sprint(self, sprint_id: int) -> Sprint | None:
        """A sprint by id."""
        row = await self._one("SELECT * FROM sprints WHERE id = ?", (sprint_id,))
        return None if row is None else sprint_from(row)

    async def active_sprint(self, member_id: int) -> Sprint | None:
        """The member's active sprint, if any."""
        row = await self._one(
            "SELECT * FROM sprints WHERE member_id = ? AND status = 'active'", (member_id,)
        )
        return None if row is None else sprint_from(row)

    async def member_sprints(self, member_id: int) -> list[Sprint]:
        """All of a member's sprints, oldest first."""
        rows = await self._all(
            "SELECT * FROM sprints WHERE member_id = ? ORDER BY start_date, id", (member_id,)
        )
        return [sprint_from(r) for r in rows]

    async def member_sprint(self, member_id: int, number: int) -> Sprint | None:
        """A member's sprint by its number in their own sequence."""
        row = await self._one(
            "SELECT * FROM sprints WHERE member_id = ? AND number = ?", (member_id, number)
        )
        return None if row is None else sprint_from(row)

    async def active_sprints_in(self, community_id: int) -> list[tuple[Sprint, Member]]:
        """Active sprints of a community with their members, as of one moment."""
        async with self._read() as db:
            rows = list(
                await (
                    await db.execute(
                        "SELECT s.* FROM sprints s JOIN members m ON m.id = s.member_id"
                        " WHERE m.community_id = ? AND s.status = 'active' ORDER BY s.id",
                        (community_id,),
                    )
                ).fetchall()
            )
            members = await members_by_id(db, [int(r["member_id"]) for r in rows])
        return [(sprint_from(r), members[int(r["member_id"])]) for r in rows]

    async def update_sprint(self, sprint: Sprint, *, read: Sprint) -> None:
        """Save an edited sprint (goal, skill, deliverable, length, next prompt).

        Only if it is still as ``read``; otherwise raises ScheduleChanged and writes nothing.
        """
        async with self._tx() as db:
            cursor = await db.execute(
                "UPDATE sprints SET goal = ?, skill = ?, deliverable_kind = ?, deliverable = ?,"
                " weeks = ?, next_prompt_at = ?" + AS_READ,
                (
                    sprint.goal,
                    sprint.skill,
                    sprint.deliverable_kind,
                    sprint.deliverable,
                    sprint.weeks,
                    opt_ts(sprint.next_prompt_at),
                    *as_read(read),
                ),
            )
            if cursor.rowcount != 1:
                raise ScheduleChanged(sprint.id)

    async def end_sprint(
        self,
        sprint: Sprint,
        status: SprintStatus,
        at: datetime,
        *,
        outcome_url: str | None = None,
        reason: str | None = None,
        outbox: Sequence[NewOutbox] = (),
    ) -> bool:
        """Complete or abandon a sprint and queue its announcements in one transaction, once.

        False, with nothing queued, when the sprint had already ended (a second press of a
        confirmation button).
        """
        async with self._tx() as db:
            cursor = await db.execute(
                "UPDATE sprints SET status = ?, ended_at = ?, outcome_url = ?, abandon_reason = ?,"
                " next_prompt_at = NULL WHERE id = ? AND status = 'active'",
                (status.value, ts(at), outcome_url, reason, sprint.id),
            )
            if cursor.rowcount != 1:
                return False
            await db.execute("DELETE FROM sprint_end_requests WHERE sprint_id = ?", (sprint.id,))
            # A week still open when the sprint ends is closed as skipped: no reminder for it.
            await db.execute(
                "UPDATE checkin_weeks SET status = 'skipped', skip_reason = 'sprint ended',"
                " remind_at = NULL WHERE sprint_id = ? AND status = 'open' AND closes_at > ?",
                (sprint.id, ts(at)),
            )
            for item in outbox:
                await enqueue_in(db, item, at)
        return True

    async def request_end(
        self,
        sprint: Sprint,
        status: SprintStatus,
        now: datetime,
        *,
        outcome_url: str | None = None,
        reason: str | None = None,
    ) -> EndRequest:
        """Keep a request to end a sprint until the member confirms or cancels it."""
        async with self._tx() as db:
            new_id = await inserted_id(
                db,
                "INSERT INTO sprint_end_requests (sprint_id, status, outcome_url, reason,"
                " created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                (sprint.id, status.value, outcome_url, reason, ts(now)),
            )
        assert new_id is not None
        return EndRequest(new_id, sprint.id, status, now, outcome_url, reason)

    async def get_end_request(self, request_id: int) -> EndRequest | None:
        """A pending request to end a sprint, by id."""
        row = await self._one("SELECT * FROM sprint_end_requests WHERE id = ?", (request_id,))
        if row is None:
            return None
        return EndRequest(
            id=int(row["id"]),
            sprint_id=int(row["sprint_id"]),
            status=SprintStatus(row["status"]),
            created_at=dt(row["created_at"]),
            outcome_url=row["outcome_url"],
            reason=row["reason"],
        )

    async def drop_end_request(self, request_id: int) -> None:
        """Forget a cancelled request to end a sprint."""
        async with self._tx() as db:
            await db.execute("DELETE FROM sprint_end_requests WHERE id = ?", (request_id,))


async def sprints_by_id(db: Db, ids: Sequence[int]) -> dict[int, Sprint]:
    """Sprints by id, in a few queries however many there are."""
    wanted = sorted(set(ids))
    found: dict[int, Sprint] = {}
    for chunk in range(0, len(wanted), 500):
        part = wanted[chunk : chunk + 500]
        marks = ",".join("?" for _ in part)
        rows = await (
            await db.execute(f"SELECT * FROM sprints WHERE id IN ({marks})", part)
        ).fetchall()
        found.update({int(r["id"]): sprint_from(r) for r in rows})
    return found


def sprint_from(row: Row) -> Sprint:
    """A sprint as stored."""
    return Sprint(
        id=int(row["id"]),
        member_id=int(row["member_id"]),
        goal=str(row["goal"]),
        skill=str(row["skill"]),
        deliverable_kind=str(row["deliverable_kind"]),
        deliverable=str(row["deliverable"]),
        start_date=date.fromisoformat(row["start_date"]),
        weeks=int(row["weeks"]),
        status=SprintStatus(row["status"]),
        created_at=dt(row["created_at"]),
        next_week=int(row["next_week"]),
        next_prompt_at=opt_dt(row["next_prompt_at"]),
        ended_at=opt_dt(row["ended_at"]),
        outcome_url=row["outcome_url"],
        abandon_reason=row["abandon_reason"],
        number=int(row["number"]),
    )
