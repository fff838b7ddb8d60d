"""Recognising a Crossfade database before writing to it: application id, version and schema."""

from __future__ import annotations

import functools
import os
import sqlite3
import stat
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bot.errors import StartupError
from bot.storage import sqlite_problems as problems

MIGRATIONS = "bot.storage.migrations"
# Stamped into every Crossfade file (PRAGMA application_id): the bytes of "XFAD".
APPLICATION_ID = int.from_bytes(b"XFAD", "big")
# How long a read-only look may wait for another process's lock before saying so.
INSPECT_TIMEOUT = 3.0


def migrations() -> list[tuple[int, str]]:
    """The schema migrations shipped with the code, as (version, SQL), in order."""
    found = []
    for entry in resources.files(MIGRATIONS).iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text("utf-8")))
    return sorted(found)


@dataclass(frozen=True)
class Schema:
    """The tables (with their column names) and explicit indexes of a database."""

    tables: dict[str, tuple[str, ...]]
    indexes: frozenset[str]

    def missing_from(self, actual: Schema) -> list[str]:
        """What of this schema ``actual`` lacks, as "table x", "column t.c", "index i"."""
        gone = [f"table {name}" for name in self.tables if name not in actual.tables]
        for name, columns in self.tables.items():
            have = actual.tables.get(name)
            if have is not None:
                gone += [f"column {name}.{col}" for col in columns if col not in have]
        gone += [f"index {name}" for name in sorted(self.indexes - actual.indexes)]
        return gone


def read_schema(conn: sqlite3.Connection) -> Schema:
    """The schema of an open database."""
    names = [
        str(row[0])
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    ]
    columns = "SELECT name FROM pragma_table_info(?)"
    tables = {name: tuple(str(r[0]) for r in conn.execute(columns, (name,))) for name in names}
    explicit = "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    indexes = frozenset(str(row[0]) for row in conn.execute(explicit))
    return Schema(tables, indexes)


@functools.cache
def expected_schema(version: int) -> Schema:
    """The schema our migrations build up to ``version``, built in memory."""
    conn = sqlite3.connect(":memory:")
    try:
        for number, sql in migrations():
            if number <= version:
                conn.executescript(sql)
        return read_schema(conn)
    finally:
        conn.close()


@dataclass(frozen=True)
class FileState:
    """What start-up found in the database file."""

    version: int
    # Carries Crossfade's application id (files from before it existed get it on start).
    stamped: bool


NEW = FileState(version=0, stamped=False)


def _lenient_text(raw: bytes) -> str:
    # Damaged files hold invalid UTF-8; read it as replacement characters, not a traceback.
    return raw.decode("utf-8", "replace")


def _read(path: Path) -> tuple[int, int, Schema]:
    """(application id, user_version, schema) of the file, read-only; raises when damaged."""
    uri = path.absolute().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=INSPECT_TIMEOUT)
    try:
        conn.text_factory = _lenient_text
        found = [str(row[0]) for row in conn.execute("PRAGMA quick_check").fetchall()]
        if found != ["ok"]:
            raise StartupError(problems.damaged(path, found[0] if found else "no answer"))
        app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        return app_id, version, read_schema(conn)
    finally:
        conn.close()


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _foreign(path: Path, why: str) -> StartupError:
    return StartupError(
        f"The file {path} is not a Crossfade database: {why}. Crossfade leaves it untouched; "
        "point CROSSFADE_DB at a new file or at a Crossfade database."
    )


def _missing(path: Path, version: int, gone: list[str]) -> StartupError:
    verb = "is" if len(gone) == 1 else "are"
    return StartupError(
        f"The database {path} is damaged: {_listing(gone)} {verb} missing from its schema "
        f"(version {version}). {problems.RESTORE}"
    )


def inspect_file(path: Path, known_version: int) -> FileState:
    """Look at the database without writing; StartupError when Crossfade must not use it."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return NEW
    except PermissionError:
        raise StartupError(problems.unreachable(path) or problems.unreadable(path)) from None
    if stat.S_ISDIR(info.st_mode):
        raise StartupError(
            f"CROSSFADE_DB points at the folder {path}, not at a database file; "
            f"point it at a file such as {path / 'crossfade.db'}."
        )
    if info.st_size == 0:
        return NEW
    if not os.access(path, os.R_OK):
        raise StartupError(problems.unreadable(path))
    try:
        app_id, version, schema = _read(path)
    except (sqlite3.Error, UnicodeError) as exc:
        raise StartupError(problems.explain(exc, path)) from None
    return _classify(path, app_id, version, schema, known_version)


def _classify(
    path: Path, app_id: int, version: int, schema: Schema, known_version: int
) -> FileState:
    if app_id == APPLICATION_ID:
        if version > known_version:
            raise StartupError(
                f"The database {path} has schema version {version}, newer than this Crossfade "
                f"knows (up to {known_version}). Upgrade Crossfade; the file was left untouched."
            )
        gone = expected_schema(version).missing_from(schema)
        if gone:
            raise _missing(path, version, gone)
        return FileState(version, stamped=True)
    if app_id != 0:
        raise _foreign(path, f"it belongs to another program (SQLite application id {app_id:#x})")
    if version == 0 and not schema.tables and not schema.indexes:
        return NEW  # an empty SQLite file: nothing of anyone's to keep
    if 0 < version <= known_version:
        expected = expected_schema(version)
        gone = expected.missing_from(schema)
        if not gone:
            return FileState(version, stamped=False)  # ours, from before the application id
        # Most of our tables there: a Crossfade file that lost some; otherwise someone else's.
        if 2 * len(set(expected.tables) & set(schema.tables)) > len(expected.tables):
            raise _missing(path, version, gone)
    tables = list(schema.tables)
    if tables:
        raise _foreign(path, f"it holds another program's tables ({_listing(tables)})")
    raise _foreign(path, f"it has schema version {version} but none of Crossfade's tables")


def check_existing_file(path: Path, known_version: int) -> None:
    """Refuse a damaged, foreign or newer database without writing (start-up and health)."""
    inspect_file(path, known_version)
