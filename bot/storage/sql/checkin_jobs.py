"""The SQL of the check-ins' jobs: prompts, reminders and summaries (bot/features/checkins/jobs.py).

Each job's candidates are one query; its due query keeps the candidates whose moment has
come and its next-due moment is their earliest, so both read the very same conditions and
nothing that will never be acted on can hold the schedule.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from bot.features.checkins.store import (
    NAME,
    PromptGroup,
    ReminderDecision,
    ReminderGroup,
    SlotDecision,
    SummaryRow,
)
from bot.models import NewOutbox
from bot.payload_templates import SEPARATOR
from bot.storage.sql.batches import changed_rows, over_values
from bot.storage.sql.checkins import week_from
from bot.storage.sql.db import SqlBase, dt, fetch_all, opt_ts, ts
from bot.storage.sql.identity import all_communities, members_by_id
from bot.storage.sql.outbox import enqueue_in, save_templates
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

# A pass's slot decisions (g), one row per group: each statement below finds the group's
# sprints still in it as they are now (at the same slot, community, zone setting and
# length), inside the one transaction that writes them, so a sprint a command changed since
# the groups were read is left for the next pass and a slot is decided once.
SLOT_VALUES = (
    "g(opens, community_id, timezone, weeks, closes_at, community_week, remind_at, missed,"
    " template_id)",
    ("TEXT", "INTEGER", "TEXT", "INTEGER", "TEXT", "TEXT", "TEXT", "INTEGER", "INTEGER"),
)
# A member paused, or their community (the app uninstalled there, bot/communities.py):
# their week slots are skipped ("paused") and get no prompt or reminder.
_PAUSED = (
    "(m.paused = 1 OR EXISTS (SELECT 1 FROM communities c WHERE c.id = m.community_id"
    " AND c.paused_at IS NOT NULL))"
)
# FROM g first: each group's sprints are found by their slot (sprints_due), not by a scan.
GROUP_SPRINTS = (
    " FROM g JOIN sprints s ON s.next_prompt_at = g.opens JOIN members m ON m.id = s.member_id"
    " WHERE s.weeks = g.weeks AND s.status = 'active' AND m.community_id = g.community_id"
    " AND m.timezone IS NOT DISTINCT FROM g.timezone"
)
_AHEAD = "EXISTS (SELECT 1 FROM checkin_weeks w WHERE w.sprint_id = s.id AND w.week = s.next_week)"
# A prompt row's words (bot/payload_templates.py: the last, the goal, is free text).
_WORDS = f"CAST(s.id AS TEXT) || '{SEPARATOR}' || CAST({{week}} AS TEXT) || '{SEPARATOR}' || s.goal"
_KEY = "'{kind}:' || CAST(s.id AS TEXT) || ':' || CAST({week} AS TEXT)"
_OUTBOX = (
    "INSERT INTO outbox (community_id, dest_kind, member_id, purpose, payload, dedupe_key,"
    " edit_of, not_before, created_at, feature, template_id)"
)
# Parameters after g: now (not_before), now (created_at). A key queued before (a restored
# backup) keeps its row, which the week then links to.
QUEUE_PROMPTS = (
    f"{_OUTBOX} SELECT g.community_id, 'dm', s.member_id, NULL,"
    f" {_WORDS.format(week='s.next_week')}, {_KEY.format(kind='prompt', week='s.next_week')},"
    f" NULL, ?, ?, '{NAME}', g.template_id{GROUP_SPRINTS}"
    f" AND g.missed = 0 AND NOT {_PAUSED} AND NOT {_AHEAD}"
    " ON CONFLICT (dedupe_key) DO NOTHING"
)
_PROMPTED = f"g.missed = 0 AND NOT {_PAUSED}"
# Each week not skipped ahead: missed, skipped (paused) or open, linked to its prompt.
INSERT_WEEKS = (
    "INSERT INTO checkin_weeks (sprint_id, community_id, week, status, opens_at, closes_at,"
    " community_week, remind_at, prompt_outbox_id, skip_reason)"
    " SELECT s.id, g.community_id, s.next_week, CASE WHEN g.missed = 1 THEN 'missed'"
    f" WHEN {_PAUSED} THEN 'skipped' ELSE 'open' END, g.opens, g.closes_at,"
    f" g.community_week, CASE WHEN {_PROMPTED} THEN g.remind_at END,"
    f" CASE WHEN {_PROMPTED} THEN (SELECT o.id FROM outbox o WHERE o.dedupe_key ="
    f" {_KEY.format(kind='prompt', week='s.next_week')}) END,"
    f" CASE WHEN g.missed = 0 AND {_PAUSED} THEN 'paused' ELSE '' END{GROUP_SPRINTS}"
    # The week already there (skipped ahead) is kept: a conflict, not a read of the table
    # being written, which SQLite would first copy aside.
    " ON CONFLICT (sprint_id, week) DO NOTHING"
)
# Then each sprint moves on to its next slot (none after its last week); the rows changed
# are the sprints that moved.
ADVANCE = (
    "UPDATE sprints SET next_week = sprints.next_week + 1, next_prompt_at ="
    " CASE WHEN sprints.next_week < sprints.weeks THEN g.closes_at END FROM {rows}, members m"
    " WHERE sprints.next_prompt_at = g.opens AND sprints.weeks = g.weeks"
    " AND sprints.status = 'active' AND m.id = sprints.member_id"
    " AND m.community_id = g.community_id AND m.timezone IS NOT DISTINCT FROM g.timezone"
)
ADVANCE_VALUES = SLOT_VALUES
# A pass's reminder decisions (g): the weeks closing at g.closes_at still open, unanswered
# and due, of active sprints. Parameters after g: now (not_before), now (created_at), then
# now twice (due, still open).
REMIND_VALUES = ("g(closes_at, template_id)", ("TEXT", "INTEGER"))
_DUE_WEEKS = (
    " w.closes_at = g.closes_at AND w.status = 'open' AND w.reminded_at IS NULL"
    " AND w.remind_at IS NOT NULL AND w.remind_at <= ? AND w.closes_at > ?"
)
QUEUE_REMINDERS = (
    f"{_OUTBOX} SELECT w.community_id, 'dm', s.member_id, NULL,"
    f" {_WORDS.format(week='w.week')}, {_KEY.format(kind='reminder', week='w.week')}, NULL,"
    f" ?, ?, '{NAME}', g.template_id FROM g JOIN checkin_weeks w ON w.closes_at = g.closes_at"
    " JOIN sprints s ON s.id = w.sprint_id JOIN members m ON m.id = s.member_id"
    f" WHERE{_DUE_WEEKS} AND s.status = 'active' AND NOT {_PAUSED}"
    " ON CONFLICT (dedupe_key) DO NOTHING"
)
# Then every such week is recorded as reminded, a paused member's too (without a message).
# Parameters: now (reminded_at), then after g: now, now.
REMIND = (
    "UPDATE checkin_weeks SET reminded_at = ? FROM {rows} WHERE checkin_weeks.closes_at ="
    " g.closes_at AND checkin_weeks.status = 'open' AND checkin_weeks.reminded_at IS NULL"
    " AND checkin_weeks.remind_at IS NOT NULL AND checkin_weeks.remind_at <= ?"
    " AND checkin_weeks.closes_at > ? AND EXISTS (SELECT 1 FROM sprints s"
    " WHERE s.id = checkin_weeks.sprint_id AND s.status = 'active')"
)


def _take(groups: list[tuple[Any, int]], limit: int) -> list[Any]:
    """The first groups (read earliest first) until they hold ``limit`` rows: whole groups."""
    taken, held = [], 0
    for group, size in groups:
        if held >= limit:
            break
        taken.append(group)
        held += size
    return taken


def _min(column: str, where: str) -> str:
    return f"(SELECT MIN(x.{column}) FROM checkin_weeks x WHERE {where})"


def _first_community(at: str) -> str:
    return _min("community_id", f"x.closes_at = {at}")


def _first_week(at: str, community: str) -> str:
    return _min("community_week", f"x.closes_at = {at} AND x.community_id = {community}")


# The distinct (closes_at, community_id, community_week) keys of weeks_by_close from a moment
# on, each found from the one before by a few seeks (a skip scan): a few dozen keys a week
# instead of every week row. A key with no key after it ends the walk as a row of NULLs.
_NEXT_WEEK = _min(
    "community_week",
    "x.closes_at = k.closes_at AND x.community_id = k.community_id"
    " AND x.community_week > k.community_week",
)
_NEXT_COMMUNITY = _min(
    "community_id", "x.closes_at = k.closes_at AND x.community_id > k.community_id"
)
_NEXT_CLOSE = _min("closes_at", "x.closes_at > k.closes_at")
_CLOSING_KEYS = (
    "WITH RECURSIVE k(closes_at, community_id, community_week) AS ("
    f"SELECT f.c, {_first_community('f.c')}, {_first_week('f.c', _first_community('f.c'))}"
    " FROM (SELECT MIN(closes_at) AS c FROM checkin_weeks WHERE closes_at >= ?) f"
    " UNION ALL SELECT"
    f" CASE WHEN {_NEXT_WEEK} IS NOT NULL OR {_NEXT_COMMUNITY} IS NOT NULL THEN k.closes_at"
    f" ELSE {_NEXT_CLOSE} END,"
    f" CASE WHEN {_NEXT_WEEK} IS NOT NULL THEN k.community_id"
    f" WHEN {_NEXT_COMMUNITY} IS NOT NULL THEN {_NEXT_COMMUNITY}"
    f" ELSE {_first_community(_NEXT_CLOSE)} END,"
    f" CASE WHEN {_NEXT_WEEK} IS NOT NULL THEN {_NEXT_WEEK}"
    f" WHEN {_NEXT_COMMUNITY} IS NOT NULL THEN {_first_week('k.closes_at', _NEXT_COMMUNITY)}"
    f" ELSE {_first_week(_NEXT_CLOSE, _first_community(_NEXT_CLOSE))} END"
    " FROM k WHERE k.closes_at IS NOT NULL)"
)


def _summaries(now: datetime) -> tuple[str, list[str]]:
    """Community weeks without a summary, due when their last check-in window closes."""
    return (
        # A community week with any window closing since the horizon has its last one
        # among the keys walked: the latest close of its keys is the latest of its rows.
        f"{_CLOSING_KEYS} SELECT k.community_id, k.community_week, MAX(k.closes_at) AS due_at"
        " FROM k LEFT JOIN summaries s ON s.community_id = k.community_id"
        " AND s.community_week = k.community_week"
        " WHERE k.closes_at IS NOT NULL AND s.community_id IS NULL"
        " GROUP BY k.community_id, k.community_week",
        [ts(now - SUMMARY_HORIZON)],
    )


class CheckinJobSql(SqlBase):
    """What the check-ins' jobs read and record."""

    async def due_prompts(self, now: datetime, limit: int = 1000) -> list[PromptGroup]:
        """Active sprints whose next week slot has come, by slot group (whole groups)."""
        async with self._read() as db:
            rows = await fetch_all(
                db,
                "SELECT s.next_prompt_at, m.community_id, m.timezone, s.weeks, COUNT(*)"
                " FROM sprints s JOIN members m ON m.id = s.member_id"
                f" WHERE {PROMPTS} AND s.next_prompt_at <= ?"
                " GROUP BY s.next_prompt_at, m.community_id, m.timezone, s.weeks"
                " ORDER BY s.next_prompt_at, m.community_id, MIN(s.id)",
                (ts(now),),
            )
            communities = await all_communities(db) if rows else {}
        groups = [
            (PromptGroup(dt(r[0]), communities[int(r[1])], r[2], int(r[3]), int(r[4])), int(r[4]))
            for r in rows
        ]
        return _take(groups, limit)

    async def open_weeks(self, decided: Sequence[SlotDecision], now: datetime) -> int:
        """Advance each group's sprints past its slot: record the week, queue its prompt, move on.

        One transaction and a few statements however many sprints (the SQL above): each
        finds the group's sprints as they are now, and the last moves them on. Returns how
        many moved.
        """
        chosen = list({d.group: d for d in decided}.values())
        async with self._tx() as db:
            ids = await save_templates(db, [d.template for d in chosen if d.template], now)
            rows = [
                (
                    ts(d.group.opens),
                    d.group.community.id,
                    d.group.timezone,
                    d.group.weeks,
                    ts(d.closes_at),
                    d.community_week.isoformat(),
                    opt_ts(d.remind_at),
                    1 if d.missed else 0,
                    None if d.template is None else ids[d.template.digest],
                )
                for d in chosen
            ]
            stamp = ts(now)
            await over_values(db, QUEUE_PROMPTS, *SLOT_VALUES, rows, (stamp, stamp))
            await over_values(db, INSERT_WEEKS, *SLOT_VALUES, rows)
            return await changed_rows(db, ADVANCE, *SLOT_VALUES, rows)

    async def next_prompt_at(self, now: datetime) -> datetime | None:
        """When the next week slot of any sprint comes."""
        row = await self._one(f"SELECT MIN(s.next_prompt_at) FROM sprints s WHERE {PROMPTS}")
        return None if row is None or row[0] is None else dt(row[0])

    async def due_reminders(self, now: datetime, limit: int = 1000) -> list[ReminderGroup]:
        """Open, unanswered weeks whose reminder time has come, by closing moment."""
        rows = await self._all(
            f"SELECT w.closes_at, COUNT(*){REMINDERS_FROM}{REMINDERS_WHERE}"
            " AND w.remind_at <= ? GROUP BY w.closes_at ORDER BY MIN(w.remind_at), w.closes_at",
            (ts(now), ts(now)),
        )
        return _take([(ReminderGroup(dt(r[0]), int(r[1])), int(r[1])) for r in rows], limit)

    async def next_reminder_at(self, now: datetime) -> datetime | None:
        """When the next reminder of a week still open is due."""
        row = await self._one(
            f"SELECT MIN(w.remind_at){REMINDERS_FROM}{REMINDERS_WHERE}", (ts(now),)
        )
        return None if row is None or row[0] is None else dt(row[0])

    async def mark_reminded(self, decided: Sequence[ReminderDecision], now: datetime) -> int:
        """Queue the groups' reminders and record their weeks reminded, in one transaction.

        Only weeks still open, unanswered, due and of an active sprint, as they are now (the
        SQL above): a week answered meanwhile is left out, and a member paused meanwhile has
        theirs recorded without a message. Returns how many weeks were recorded.
        """
        chosen = list({d.group: d for d in decided}.values())
        stamp = ts(now)
        async with self._tx() as db:
            ids = await save_templates(db, [d.template for d in chosen], now)
            rows = [(ts(d.group.closes_at), ids[d.template.digest]) for d in chosen]
            due = (stamp, stamp)
            await over_values(db, QUEUE_REMINDERS, *REMIND_VALUES, rows, (stamp, stamp, *due))
            return await changed_rows(db, REMIND, *REMIND_VALUES, rows, due, before=(stamp,))

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
