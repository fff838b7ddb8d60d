"""Guarded writes for a whole batch in a few statements, on both stores.

A batch's decisions go in as a ``VALUES`` list (``WITH d(…) AS (VALUES …)``) that one
``UPDATE … FROM d … RETURNING`` joins: each row changes only if it still is as its decision
read it, and the ids it returns say exactly which decisions held, in one round trip per
chunk rather than a statement (and on PostgreSQL a round trip) per row.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.storage.sql.db import Db

# Rows per statement: well inside both servers' limits on parameters (SQLite 32,766).
CHUNK = 1000


def values(name: str, types: Sequence[str], rows: int) -> str:
    """``WITH name AS (VALUES …)`` with ``rows`` rows of parameters of these SQL types.

    The first row's casts type each column (PostgreSQL would read the parameters as text).
    """
    first = "(" + ", ".join(f"CAST(? AS {kind})" for kind in types) + ")"
    rest = "(" + ", ".join("?" for _ in types) + ")"
    return f"WITH {name} AS (VALUES {', '.join([first, *[rest] * (rows - 1)])})"


async def returned_ids(
    db: Db,
    sql: str,
    name: str,
    types: Sequence[str],
    rows: Sequence[Sequence[object]],
    after: Sequence[object] = (),
) -> set[int]:
    """Run ``sql`` (after a ``values`` CTE) over ``rows`` in chunks: every id it returned.

    ``after`` are the parameters that follow the VALUES list in the statement.
    """
    found: set[int] = set()
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        params = [value for row in part for value in row]
        cursor = await db.execute(f"{values(name, types, len(part))} {sql}", (*params, *after))
        found.update(int(r[0]) for r in await cursor.fetchall())
    return found
