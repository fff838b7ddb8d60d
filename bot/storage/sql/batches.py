"""Writes for a whole batch in a few statements, on both stores.

Rows go in as multi-row ``INSERT … VALUES (…), (…)``: one statement per chunk, where a
statement per row costs most of the time on PostgreSQL (an executor start and a round
trip each, pipelined or not) and gains nothing on SQLite.

A batch's decisions go in as a ``VALUES`` list (``WITH d(…) AS (VALUES …)``) that one
``UPDATE … FROM d … RETURNING`` joins: each row changes only if it still is as its decision
read it, and the ids it returns say exactly which decisions held, in one round trip per
chunk rather than a statement (and on PostgreSQL a round trip) per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.storage.sql.db import Db

# Parameters per statement: inside both servers' limits (SQLite 32,766, PostgreSQL 32,767),
# so a chunk is as many rows as fit (a whole batch of 5,000 decisions at six columns).
PARAMETERS = 30_000


def _chunks(rows: Sequence[Sequence[object]], width: int) -> list[Sequence[Sequence[object]]]:
    size = max(1, PARAMETERS // max(1, width))
    return [rows[start : start + size] for start in range(0, len(rows), size)]


def values(name: str, types: Sequence[str], rows: int) -> str:
    """``WITH name AS (VALUES …)`` with ``rows`` rows of parameters of these SQL types.

    The first row's casts type each column (PostgreSQL would read the parameters as text).
    """
    first = "(" + ", ".join(f"CAST(? AS {kind})" for kind in types) + ")"
    rest = "(" + ", ".join("?" for _ in types) + ")"
    return f"WITH {name} AS (VALUES {', '.join([first, *[rest] * (rows - 1)])})"


async def over_values(
    db: Db,
    sql: str,
    name: str,
    types: Sequence[str],
    rows: Sequence[Sequence[object]],
    after: Sequence[object] = (),
) -> list[Any]:
    """Run ``sql`` after a ``values`` CTE of ``rows``, in chunks: every row it returned.

    ``after`` are the parameters that follow the VALUES list in the statement.
    """
    found: list[Any] = []
    for part in _chunks(rows, len(types)):
        params = [value for row in part for value in row]
        cursor = await db.execute(f"{values(name, types, len(part))} {sql}", (*params, *after))
        found += await cursor.fetchall()
    return found


async def returned_ids(
    db: Db,
    sql: str,
    name: str,
    types: Sequence[str],
    rows: Sequence[Sequence[object]],
    after: Sequence[object] = (),
) -> set[int]:
    """The ids an ``UPDATE … FROM d … RETURNING id`` returned over ``rows`` (over_values)."""
    return {int(r[0]) for r in await over_values(db, sql, name, types, rows, after)}


async def changed_rows(
    db: Db,
    sql: str,
    name: str,
    types: Sequence[str],
    rows: Sequence[Sequence[object]],
    after: Sequence[object] = (),
    *,
    before: Sequence[object] = (),
) -> int:
    """How many rows ``sql`` (an ``UPDATE … FROM {rows} …``, no RETURNING) changed.

    ``before`` and ``after`` are the parameters before and after the list in the statement.

    ``{rows}`` becomes the ``values`` list as a subquery named like it: the statement still
    starts with UPDATE, so both drivers report its count (sqlite3 counts only statements
    that start with their verb), and no row is sent back just to be counted.
    """
    changed = 0
    for part in _chunks(rows, len(types)):
        params = [value for row in part for value in row]
        listed = listing(sql, name, types, len(part))
        cursor = await db.execute(listed, (*before, *params, *after))
        changed += cursor.rowcount
    return changed


def listing(sql: str, name: str, types: Sequence[str], rows: int) -> str:
    """``sql`` with its ``{rows}`` as a subquery of a ``values`` list, named like the list."""
    alias = name.split("(", 1)[0]
    return sql.format(rows=f"({values(name, types, rows)} SELECT * FROM {alias}) AS {alias}")


async def insert_rows(db: Db, sql: str, row: str, rows: Sequence[Sequence[object]]) -> list[Any]:
    """Run ``sql`` (an INSERT whose ``{rows}`` is its VALUES list) over ``rows`` in chunks.

    ``row`` is one row's pattern, such as ``(?, ?, NULL)``; each row fills its ``?``.
    Returns the rows a ``RETURNING`` gave back.
    """
    found: list[Any] = []
    for part in _chunks(rows, row.count("?")):
        params = [value for one in part for value in one]
        cursor = await db.execute(sql.format(rows=", ".join([row] * len(part))), params)
        found += await cursor.fetchall()
    return found
