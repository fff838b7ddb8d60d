"""The durable outbox: every message the bot decided to post, until the platform has it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.models import Destination, DestinationKind, NewOutbox, OutboxItem, OutboxStatus
from bot.payload_templates import Template, render
from bot.storage.base import OUTBOX_LEASE, DueOutbox
from bot.storage.sql.batches import insert_rows
from bot.storage.sql.db import Db, Row, SqlBase, dt, fetch_all, inserted_id, ts

# A row queued from a template (bot/payload_templates.py) is read with its template's pattern.
TEMPLATE = "(SELECT pattern FROM outbox_templates t WHERE t.id = outbox.template_id) AS template"
# What mark_delivered, reschedule and fail set: the row is nobody's to send any more.
NO_LEASE = "lease_owner = NULL, lease_until = NULL"


class OutboxSql(SqlBase):
    """Queueing, claiming, delivering and retrying messages.

    Claims, leases and marks touch only outbox rows by id, so on PostgreSQL they run
    without the database-wide write lock (``_rows_tx``): row locks keep them apart, and
    the decisions that queue rows stay serialised under the write lock.
    """

    async def enqueue(self, items: Sequence[NewOutbox], now: datetime) -> list[int]:
        """Queue messages on their own (a command's announcement)."""
        async with self._tx() as db:
            return [await enqueue_in(db, item, now) for item in items]

    async def due_outbox(
        self, now: datetime, platforms: Sequence[str], limit: int = 200
    ) -> list[DueOutbox]:
        """Lease the messages ready to send on these platforms to this process, oldest first.

        A paused community's rows are held: neither leased nor sent until it resumes.

        One statement claims the batch: rows another process holds under a live lease are
        passed over (on PostgreSQL, rows another claim has locked are skipped, not waited
        for), and a row whose lease ran out is a dead process's to take over. Rows this
        store leased before come back: one pass runs at a time, so no send holds them.
        """
        if not platforms:
            return []
        marks = ",".join("?" for _ in platforms)
        # Another live lease passes a row by; on a store one process serves (SQLite) any
        # lease left is an earlier run's, so there is none to respect.
        free, free_params = (
            (
                " AND (o.lease_until IS NULL OR o.lease_until <= ? OR o.lease_owner = ?)",
                (ts(now), self.owner),
            )
            if self.shared
            else ("", ())
        )
        async with self._rows_tx() as db:
            rows = await fetch_all(
                db,
                "UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE id IN ("
                " SELECT o.id FROM outbox o JOIN communities c ON c.id = o.community_id"
                " WHERE o.status IN ('pending', 'sending') AND o.not_before <= ?"
                f"{free} AND c.platform IN ({marks}) AND c.paused_at IS NULL"
                f" ORDER BY o.not_before, o.id LIMIT ?{self.skip_locked})"
                f" RETURNING *, {TEMPLATE},"
                " (SELECT platform FROM communities WHERE id = outbox.community_id) AS platform,"
                " (SELECT ext_id FROM communities WHERE id = outbox.community_id)"
                " AS community_ext",
                (
                    self.owner,
                    ts(now + OUTBOX_LEASE),
                    ts(now),
                    *free_params,
                    *platforms,
                    limit,
                ),
            )
        due = [DueOutbox(outbox_from(r), str(r["platform"]), str(r["community_ext"])) for r in rows]
        return sorted(due, key=lambda d: (d.item.not_before, d.item.id))

    async def get_outbox(self, outbox_id: int) -> OutboxItem | None:
        """A queued or delivered message by id."""
        row = await self._one(f"SELECT *, {TEMPLATE} FROM outbox WHERE id = ?", (outbox_id,))
        return None if row is None else outbox_from(row)

    async def claim_outbox(self, outbox_id: int, now: datetime, *, attempt: bool = True) -> bool:
        """Mark a leased message as being sent, extending the lease; False if not ours to send.

        Only while this process holds the row's lease: one that ran out may already be
        another's. 'sending' shows a crash mid-send to whoever takes the row over. An
        ``attempt`` is noted (its time bounds a later lookup); without one, the try counts
        and the last attempt's time stays. Never once its community is paused: a row leased
        before the pause stays held.
        """
        noted = ", attempted_at = ?, lookup_cursor = NULL" if attempt else ""
        async with self._rows_tx() as db:
            cursor = await db.execute(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1, lease_until = ?"
                f"{noted} WHERE id = ? AND status IN ('pending', 'sending')"
                " AND lease_owner = ? AND lease_until > ? AND NOT EXISTS (SELECT 1 FROM"
                " communities c WHERE c.id = outbox.community_id AND c.paused_at IS NOT NULL)",
                (
                    ts(now + OUTBOX_LEASE),
                    *((ts(now),) if attempt else ()),
                    outbox_id,
                    self.owner,
                    ts(now),
                ),
            )
            return cursor.rowcount == 1

    async def mark_delivered(
        self, outbox_id: int, channel_ref: str | None, message_ref: str | None, now: datetime
    ) -> None:
        """Record a successful delivery."""
        async with self._rows_tx() as db:
            await db.execute(
                "UPDATE outbox SET status = 'delivered', channel_ref = ?, message_ref = ?,"
                f" delivered_at = ?, last_error = NULL, {NO_LEASE} WHERE id = ?",
                (channel_ref, message_ref, ts(now), outbox_id),
            )

    async def reschedule_outbox(
        self,
        outbox_id: int,
        not_before: datetime,
        error: str,
        *,
        count_attempt: bool = True,
        unsure: bool = False,
        lookup_cursor: str | None = None,
    ) -> None:
        """Put a message back in the queue to retry later (optionally not counting this try).

        ``lookup_cursor``: where its unfinished lookup reads on (None starts it afresh).
        """
        # One that may have reached the platform stays 'sending': its next try looks first.
        async with self._rows_tx() as db:
            await db.execute(
                "UPDATE outbox SET status = ?, not_before = ?, last_error = ?,"
                f" attempts = attempts - ?, lookup_cursor = ?, {NO_LEASE}"
                " WHERE id = ? AND status IN ('pending', 'sending')",
                (
                    "sending" if unsure else "pending",
                    ts(not_before),
                    error[:500],
                    0 if count_attempt else 1,
                    lookup_cursor if unsure else None,
                    outbox_id,
                ),
            )

    async def fail_outbox(self, outbox_id: int, error: str) -> None:
        """Give up on a message for good."""
        async with self._rows_tx() as db:
            await db.execute(
                f"UPDATE outbox SET status = 'failed', last_error = ?, {NO_LEASE} WHERE id = ?",
                (error[:500], outbox_id),
            )

    async def release_waiting(self, now: datetime) -> int:
        """Make every message waiting to retry due now (at start, after an admin's fix)."""
        async with self._tx() as db:
            cursor = await db.execute(
                "UPDATE outbox SET not_before = ? WHERE status IN ('pending', 'sending')"
                " AND not_before > ? AND last_error IS NOT NULL",
                (ts(now), ts(now)),
            )
            return cursor.rowcount

    async def outbox_counts(self) -> dict[str, int]:
        """How many queued messages are in each state."""
        rows = await self._all("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        return {str(r[0]): int(r[1]) for r in rows}

    async def next_send_at(self, platforms: Sequence[str], now: datetime) -> datetime | None:
        """When the outbox next has something to send on these platforms (due_outbox's rows).

        Where several processes share the store, a row leased to one is due again when its
        lease runs out (a takeover).
        """
        marks = ",".join("?" for _ in platforms) or "''"
        moment = (
            "CASE WHEN o.lease_until > o.not_before THEN o.lease_until ELSE o.not_before END"
            if self.shared
            else "o.not_before"
        )
        row = await self._one(
            f"SELECT MIN({moment})"
            " FROM outbox o JOIN communities c ON c.id = o.community_id"
            f" WHERE o.status IN ('pending', 'sending') AND c.platform IN ({marks})"
            " AND c.paused_at IS NULL",
            list(platforms),
        )
        return None if row is None or row[0] is None else dt(row[0])


async def enqueue_in(db: Db, item: NewOutbox, now: datetime) -> int:
    """Queue one message inside a transaction; returns its id (the earlier row's, if repeated).

    It goes out at ``item.not_before`` when that is later than now.
    """
    dest = item.destination
    send_at = now if item.not_before is None else max(now, item.not_before)
    new_id = await inserted_id(
        db,
        "INSERT INTO outbox (community_id, dest_kind, member_id, purpose, payload, dedupe_key,"
        " edit_of, not_before, created_at, feature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        (
            item.community_id,
            dest.kind.value,
            dest.member_id,
            dest.purpose,
            item.payload,
            item.dedupe_key,
            item.edit_of,
            ts(send_at),
            ts(now),
            item.feature,
        ),
    )
    if new_id is not None:
        if item.edit_of is not None:
            # An edit replaces the whole message: older edits not yet sent are pointless.
            # Only older rows go, so a row id is never handed out again.
            await db.execute(
                "DELETE FROM outbox WHERE edit_of = ? AND status = 'pending' AND id < ?",
                (item.edit_of, new_id),
            )
        return new_id
    row = await (
        await db.execute("SELECT id FROM outbox WHERE dedupe_key = ?", (item.dedupe_key,))
    ).fetchone()
    assert row is not None
    return int(row[0])


async def enqueue_many_in(db: Db, items: Sequence[NewOutbox], now: datetime) -> dict[str, int]:
    """Queue many new messages inside a transaction, a statement per few thousand, in order.

    The same rows as ``enqueue_in`` for each item (a repeated dedupe key is skipped), for a
    decision that queues thousands (a week's prompts, a gig lead's alerts). Edits go
    through ``enqueue_in``, which also drops the older edits they replace. Returns the id
    under each dedupe key given: the new row's, or the earlier one's.
    """
    if any(item.edit_of is not None for item in items):
        raise ValueError("edits are queued one by one with enqueue_in")
    stamp = ts(now)
    inserted = await insert_rows(
        db,
        "INSERT INTO outbox (community_id, dest_kind, member_id, purpose, payload, dedupe_key,"
        " edit_of, not_before, created_at, feature) VALUES {rows}"
        " ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key, id",
        "(?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)",
        [
            (
                item.community_id,
                item.destination.kind.value,
                item.destination.member_id,
                item.destination.purpose,
                item.payload,
                item.dedupe_key,
                stamp if item.not_before is None else ts(max(now, item.not_before)),
                stamp,
                item.feature,
            )
            for item in items
        ],
    )
    ids = {str(r[0]): int(r[1]) for r in inserted if r[0] is not None}
    # Keys queued before (rare: a restored backup, a repeated decision) keep their rows.
    earlier = sorted({i.dedupe_key for i in items if i.dedupe_key and i.dedupe_key not in ids})
    for start in range(0, len(earlier), 500):
        part = earlier[start : start + 500]
        marks = ",".join("?" for _ in part)
        rows = await fetch_all(
            db, f"SELECT dedupe_key, id FROM outbox WHERE dedupe_key IN ({marks})", part
        )
        ids.update({str(r[0]): int(r[1]) for r in rows})
    return ids


async def save_templates(db: Db, templates: Sequence[Template], now: datetime) -> dict[str, int]:
    """Store these templates (each pattern once) inside a transaction: each one's id by digest."""
    if not templates:
        return {}
    unique = {t.digest: t for t in templates}
    await insert_rows(
        db,
        "INSERT INTO outbox_templates (digest, pattern, created_at) VALUES {rows}"
        " ON CONFLICT (digest) DO NOTHING",
        "(?, ?, ?)",
        [(t.digest, t.pattern, ts(now)) for t in unique.values()],
    )
    marks = ",".join("?" for _ in unique)
    rows = await fetch_all(
        db, f"SELECT digest, id FROM outbox_templates WHERE digest IN ({marks})", list(unique)
    )
    return {str(r[0]): int(r[1]) for r in rows}


def outbox_from(row: Row) -> OutboxItem:
    """A queued message as stored (a template's row read with TEMPLATE, filled in again)."""
    kind = DestinationKind(row["dest_kind"])
    destination = (
        Destination.dm(int(row["member_id"]))
        if kind is DestinationKind.DM
        else Destination.channel(str(row["purpose"]))
        if row["purpose"] is not None
        else Destination.community()
    )
    return OutboxItem(
        id=int(row["id"]),
        community_id=int(row["community_id"]),
        destination=destination,
        payload=(
            str(row["payload"])
            if row["template_id"] is None
            else render(str(row["template"]), str(row["payload"]))
        ),
        dedupe_key=row["dedupe_key"],
        edit_of=row["edit_of"],
        status=OutboxStatus(row["status"]),
        attempts=int(row["attempts"]),
        not_before=dt(row["not_before"]),
        created_at=dt(row["created_at"]),
        channel_ref=row["channel_ref"],
        message_ref=row["message_ref"],
        last_error=row["last_error"],
        feature=str(row["feature"]),
        attempted_at=None if row["attempted_at"] is None else dt(row["attempted_at"]),
        lookup_cursor=row["lookup_cursor"],
    )
