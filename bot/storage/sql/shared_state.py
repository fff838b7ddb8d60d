"""What a process would otherwise remember in memory: keys seen once, and members' form drafts.

Kept in the database so every process sharing it sees the same (bot/replay.py, bot/drafts.py).
Each table holds only what is still live: rows past their expiry are purged now and then.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from bot.drafts import DraftKey, Stored
from bot.storage.sql.db import Db, SqlBase, fetch_all, ts

_KEY = "community_id = ? AND member_id = ? AND form_id = ?"


def _answers(raw: str) -> dict[str, str]:
    data = json.loads(raw)
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


class SharedStateSql(SqlBase):
    """The replay guard's keys (``seen_once``) and form drafts (``form_drafts``)."""

    async def use_once(self, key: str, until: datetime, now: datetime) -> bool:
        """Remember ``key`` until ``until``: True if it was free (never seen, or expired)."""
        # One statement, atomic by the key's row lock: it needs no write lock, so a Slack
        # request's check never waits behind a decision's transaction.
        async with self._rows_tx() as db:
            rows = await fetch_all(
                db,
                "INSERT INTO seen_once (key, until) VALUES (?, ?) ON CONFLICT (key)"
                " DO UPDATE SET until = excluded.until WHERE seen_once.until <= ? RETURNING key",
                (key, ts(until), ts(now)),
            )
        return bool(rows)

    async def take_turn(self, bucket: str, interval: float, now: datetime) -> float:
        """Take the bucket's turn if it has come (0.0), else the seconds until it comes.

        The send pacer's table (``send_pace``) with a bucket of its own, one turn per
        ``interval`` and no burst, as a steady SharedPacer; but a turn not yet come is
        answered, not waited for (its caller reschedules), and nothing is taken. On the
        core's clock, so every process and store counts turns alike, and a restart keeps them.
        """
        moment = now.timestamp()
        async with self._rows_tx() as db:
            taken = await fetch_all(
                db,
                "INSERT INTO send_pace (bucket, next_slot) VALUES (?, ?) ON CONFLICT (bucket)"
                " DO UPDATE SET next_slot = excluded.next_slot WHERE send_pace.next_slot <= ?"
                " RETURNING next_slot",
                (bucket, moment + interval, moment),
            )
            if taken:
                return 0.0
            rows = await fetch_all(
                db, "SELECT next_slot FROM send_pace WHERE bucket = ?", (bucket,)
            )
        return max(float(rows[0][0]) - moment, 0.0) if rows else 0.0

    async def hold_turns(self, bucket: str, until: datetime) -> None:
        """No turn of the bucket before ``until`` (the platform said to wait)."""
        async with self._rows_tx() as db:
            await db.execute(
                "INSERT INTO send_pace (bucket, next_slot) VALUES (?, ?) ON CONFLICT (bucket)"
                " DO UPDATE SET next_slot = excluded.next_slot"
                " WHERE send_pace.next_slot < excluded.next_slot",
                (bucket, until.timestamp()),
            )

    async def forget_used(self, now: datetime) -> int:
        """Forget the keys whose window closed; how many."""
        async with self._rows_tx() as db:
            cursor = await db.execute("DELETE FROM seen_once WHERE until <= ?", (ts(now),))
            return max(cursor.rowcount, 0)

    async def put_draft(
        self, key: DraftKey, form_json: str, answers: Mapping[str, str], expires_at: datetime
    ) -> None:
        """Keep this draft, replacing any earlier one of the same form."""
        async with self._tx() as db:
            await _put(db, key, form_json, answers, expires_at)

    async def touch_draft(
        self, key: DraftKey, expires_at: datetime, now: datetime
    ) -> Stored | None:
        """The draft if still live, its expiry moved to ``expires_at``; None if gone."""
        async with self._rows_tx() as db:
            rows = await fetch_all(
                db,
                f"UPDATE form_drafts SET expires_at = ? WHERE {_KEY} AND expires_at > ?"
                " RETURNING form, answers",
                (ts(expires_at), *key, ts(now)),
            )
        return (str(rows[0]["form"]), _answers(str(rows[0]["answers"]))) if rows else None

    async def add_to_draft(
        self,
        key: DraftKey,
        form_json: str,
        answers: Mapping[str, str],
        expires_at: datetime,
        now: datetime,
        *,
        keep: bool,
    ) -> Stored:
        """Add answers to the live draft (a new one on ``form_json`` if none), in one
        transaction; the whole draft, kept until ``expires_at``, or taken away unless ``keep``."""
        async with self._tx() as db:
            rows = await fetch_all(
                db,
                f"SELECT form, answers FROM form_drafts WHERE {_KEY} AND expires_at > ?",
                (*key, ts(now)),
            )
            if rows:
                form_json = str(rows[0]["form"])
                answers = {**_answers(str(rows[0]["answers"])), **answers}
            if keep:
                await _put(db, key, form_json, answers, expires_at)
            else:
                await db.execute(f"DELETE FROM form_drafts WHERE {_KEY}", tuple(key))
        return form_json, dict(answers)

    async def purge_drafts(self, now: datetime) -> int:
        """Forget the drafts past their expiry; how many."""
        async with self._rows_tx() as db:
            cursor = await db.execute("DELETE FROM form_drafts WHERE expires_at <= ?", (ts(now),))
            return max(cursor.rowcount, 0)


async def _put(
    db: Db, key: DraftKey, form_json: str, answers: Mapping[str, str], expires_at: datetime
) -> None:
    await db.execute(
        "INSERT INTO form_drafts (community_id, member_id, form_id, form, answers, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (community_id, member_id, form_id) DO UPDATE"
        " SET form = excluded.form, answers = excluded.answers, expires_at = excluded.expires_at",
        (*key, form_json, json.dumps(dict(answers)), ts(expires_at)),
    )
