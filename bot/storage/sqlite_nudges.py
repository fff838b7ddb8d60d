"""The SQL of the sprint nudges (bot/sprint_nudges.py), kept together for SqliteStore.

Each nudge is one candidates query yielding ``sprint_id, week, due_at`` for every nudge not
yet decided. The due query keeps the candidates whose ``due_at`` has come and
``next_due_at`` takes their earliest ``due_at``: both read the same query, so nothing that
will never be acted on can hold the schedule. Each decision is then written by one guarded
statement that re-checks what the candidates query read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

# A sprint whose last week closed longer ago than this (the bot was down, or the sprint
# predates these nudges) isn't told any more: stale news, like an old week's summary.
ENDING_HORIZON = timedelta(days=28)

Candidates = tuple[str, list[str]]


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def endings(now: datetime) -> Candidates:
    """Active sprints whose last week has closed and that weren't told yet, due at its close."""
    return (
        "SELECT s.id AS sprint_id, s.weeks AS week, w.closes_at AS due_at FROM sprints s"
        " JOIN checkin_weeks w ON w.sprint_id = s.id AND w.week = s.weeks"
        " LEFT JOIN sprint_endings e ON e.sprint_id = s.id AND e.last_week = s.weeks"
        # No next prompt: an extended sprint has one until its new last week opens.
        " WHERE s.status = 'active' AND s.next_prompt_at IS NULL AND e.sprint_id IS NULL"
        " AND w.closes_at >= ?",
        [_utc(now - ENDING_HORIZON)],
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
        # CROSS JOIN keeps SQLite on active sprints first rather than on every week ever.
        "SELECT s.id AS sprint_id, w3.week, w3.closes_at AS due_at FROM sprints s"
        " CROSS JOIN checkin_weeks w3 ON w3.sprint_id = s.id AND w3.status = 'open'"
        # The open week or the last closed one: earlier weeks are followed by a closed one.
        " AND w3.week >= s.next_week - 2 AND w3.week < s.weeks"
        " JOIN members m ON m.id = s.member_id AND m.paused = 0"
        " JOIN checkin_weeks w2 ON w2.sprint_id = s.id AND w2.week = w3.week - 1"
        " AND w2.status = 'open'"
        " JOIN checkin_weeks w1 ON w1.sprint_id = s.id AND w1.week = w3.week - 2"
        " AND w1.status = 'open'"
        " LEFT JOIN pause_offers p ON p.sprint_id = s.id"
        " WHERE s.status = 'active' AND p.sprint_id IS NULL"
        # Only the latest run: a later week that closed, or was answered or skipped, ends it.
        " AND NOT EXISTS (SELECT 1 FROM checkin_weeks later WHERE later.sprint_id = s.id"
        " AND later.week > w3.week AND (later.closes_at <= ? OR later.status != 'open'))"
        # A sprint told it ended at or after that week was extended since: don't dig it up.
        " AND NOT EXISTS (SELECT 1 FROM sprint_endings e WHERE e.sprint_id = s.id"
        " AND e.last_week >= w3.week)",
        [_utc(now)],
    )


# Every nudge's candidates, for next_due_at.
JOBS: tuple[Callable[[datetime], Candidates], ...] = (endings, ending_reminders, pause_offers)

# The guarded writes: each records a decision only if what the candidates query read holds.
RECORD_ENDING = (
    "INSERT OR IGNORE INTO sprint_endings (sprint_id, last_week, created_at, remind_at)"
    " SELECT id, weeks, ?, ? FROM sprints WHERE id = ? AND weeks = ? AND status = 'active'"
    " AND next_prompt_at IS NULL"
)
LINK_ENDING = "UPDATE sprint_endings SET outbox_id = ? WHERE sprint_id = ? AND last_week = ?"
RECORD_ENDING_REMINDER = (
    "UPDATE sprint_endings SET reminded_at = ? WHERE sprint_id = ? AND last_week = ?"
    " AND reminded_at IS NULL AND EXISTS (SELECT 1 FROM sprints s"
    " WHERE s.id = sprint_endings.sprint_id AND s.status = 'active'"
    " AND s.weeks = sprint_endings.last_week AND s.next_prompt_at IS NULL)"
)
RECORD_PAUSE_OFFER = (
    "INSERT OR IGNORE INTO pause_offers (sprint_id, week, created_at)"
    " SELECT s.id, ?, ? FROM sprints s JOIN members m ON m.id = s.member_id"
    " WHERE s.id = ? AND s.status = 'active' AND m.paused = 0"
    " AND EXISTS (SELECT 1 FROM checkin_weeks w WHERE w.sprint_id = s.id AND w.week = ?"
    " AND w.status = 'open')"
)
LINK_PAUSE_OFFER = "UPDATE pause_offers SET outbox_id = ? WHERE sprint_id = ?"
