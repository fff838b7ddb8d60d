"""Why a database file can't be used, in one line that names the real cause and what to do."""

from __future__ import annotations

import errno
import os
import pwd
import shutil
import sqlite3
import stat
from pathlib import Path

UNTOUCHED = "the file was left untouched"
RESTORE = "It was left untouched; restore it from a backup or point CROSSFADE_DB elsewhere."
# Below this much free space an I/O error while writing is most likely a full disk.
NEARLY_FULL = 1 << 20


def _user() -> str:
    uid = os.geteuid()
    try:
        return f"user {pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


def _owner(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return "unknown owner"
    try:
        owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        owner = f"uid {st.st_uid}"
    return f"owner {owner}, mode {stat.S_IMODE(st.st_mode):04o}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _existing_folder(path: Path) -> Path:
    """The nearest folder of ``path`` that exists (where a new file or folder would go)."""
    folder = path.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def _read_only_fs(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def read_only_fs(path: Path) -> str:
    """The database lives on a filesystem mounted read-only."""
    return (
        f"The database {path} is on a read-only filesystem, and Crossfade must write to it. "
        f"Mount it read-write or point CROSSFADE_DB at a writable place; {UNTOUCHED}."
    )


def unreachable(path: Path) -> str | None:
    """A folder on the way to ``path`` that this user may not enter, described; else None."""
    for folder in reversed(path.absolute().parents):
        if folder.is_dir() and not os.access(folder, os.X_OK):
            return (
                f"Permission denied: {_user()} may not enter the folder {folder} "
                f"({_owner(folder)}), which holds the database {path}. Run Crossfade as a user "
                f"who may, or fix the folder's permissions; {UNTOUCHED}."
            )
    return None


def unreadable(path: Path) -> str:
    """This user may not read the database file."""
    return (
        f"Permission denied: {_user()} may not read the database {path} ({_owner(path)}). "
        f"Run Crossfade as the file's owner or fix its permissions; {UNTOUCHED}."
    )


def unwritable(path: Path) -> str | None:
    """Why this user can't write the database and the files SQLite keeps beside it, or None."""
    found = unreachable(path)
    if found is not None:
        return found
    folder = _existing_folder(path)
    if _read_only_fs(folder):
        return read_only_fs(path)
    if path.exists() and not os.access(path, os.W_OK):
        return (
            f"Permission denied: {_user()} may read but not write the database {path} "
            f"({_owner(path)}). Run Crossfade as the file's owner or make it writable; "
            f"{UNTOUCHED}."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        return (
            f"Permission denied: {_user()} may not create files in the folder {folder} "
            f"({_owner(folder)}), where SQLite keeps {path.name}-wal and {path.name}-shm beside "
            f"the database. Make the folder writable for that user; {UNTOUCHED}."
        )
    return None


def locked(path: Path, detail: str) -> str:
    """Another process holds a lock on the database."""
    return (
        f"The database {path} is locked by another process ({_one_line(detail)}). Stop whatever "
        "holds it (another program, a backup, an sqlite3 shell inside a transaction) and start "
        f"again; {UNTOUCHED}."
    )


def full(path: Path, detail: str) -> str:
    """The disk holding the database has no room."""
    return (
        f"The disk holding the database {path} is full ({_one_line(detail)}). Free some space "
        f"and start again; {UNTOUCHED}."
    )


def damaged(path: Path, detail: str) -> str:
    """The file is an SQLite database whose content is broken."""
    return f"The database {path} is damaged ({_one_line(detail)}). {RESTORE}"


def not_a_database(path: Path, detail: str) -> str:
    """The file is not an SQLite database at all."""
    return (
        f"The database {path} is not a readable Crossfade database "
        f"(not an SQLite file: {_one_line(detail)}). {RESTORE}"
    )


def explain(exc: BaseException, path: Path) -> str:
    """One line for an error SQLite or the OS raised while using the database at ``path``."""
    detail = str(exc)
    if isinstance(exc, UnicodeError):
        return damaged(path, "some of its text is not valid UTF-8")
    name = getattr(exc, "sqlite_errorname", "") if isinstance(exc, sqlite3.Error) else ""
    code = exc.errno if isinstance(exc, OSError) else None
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return locked(path, detail)
    if name.startswith("SQLITE_FULL") or code == errno.ENOSPC:
        return full(path, detail)
    if name.startswith("SQLITE_NOTADB"):
        return not_a_database(path, detail)
    if name.startswith("SQLITE_CORRUPT"):
        return damaged(path, detail)
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")) or code in (
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
    ):
        if code == errno.EROFS:
            return read_only_fs(path)
        found = unwritable(path)
        if found is not None:
            return found
    if name.startswith("SQLITE_IOERR") or code == errno.EIO:
        try:
            free = shutil.disk_usage(_existing_folder(path)).free
        except OSError:
            free = NEARLY_FULL
        if free < NEARLY_FULL:
            return full(path, detail)
        return (
            f"Reading or writing the database {path} failed with an I/O error "
            f"({_one_line(detail)}); check the disk. {RESTORE}"
        )
    what = f" ({name})" if name else ""
    return f"Cannot use the database {path}: {_one_line(detail)}{what}; {UNTOUCHED}."
