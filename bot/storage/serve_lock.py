"""One serving process per database file: an OS advisory lock held for the life of a run.

Two bots on one file would each send everything. The lock is ``flock`` on a file beside the
database; the OS drops it when the process ends however it ends (kill -9 included), so it is
never stale. The lock file stays in place: removing it would let a newcomer lock a fresh
file while an old process still holds the removed one.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path
from types import TracebackType

from bot.errors import StartupError
from bot.storage import sqlite_problems as problems


def lock_path(db_path: Path) -> Path:
    """The lock file of a database, beside it."""
    return db_path.with_name(db_path.name + ".lock")


class ServeLock:
    """Held while this process serves ``db_path``; a second server is refused with a line."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.path = lock_path(db_path)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise StartupError naming who holds it or why it can't be taken."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise StartupError(self._cannot(exc)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _pid_in(fd)
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise StartupError(
                    f"Another Crossfade process{holder} is already serving the database "
                    f"{self.db_path}; a second one would send every message twice. Stop it "
                    "first, or point CROSSFADE_DB at another file (crossfade health and "
                    "crossfade demo work beside it)."
                ) from None
            raise StartupError(self._cannot(exc)) from None
        # Who holds it, for the line a second process prints.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        """Let another process serve the database."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _cannot(self, exc: OSError) -> str:
        found = problems.unwritable(self.db_path) if exc.errno != errno.ENOLCK else None
        if found is not None:
            return found
        return (
            f"Cannot lock {self.path} ({exc.strerror}), which keeps a second Crossfade from "
            "serving the same database. Keep the database on a local disk the bot's user may "
            "write to."
        )

    def __enter__(self) -> ServeLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _pid_in(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return f" (pid {text})" if text.isdigit() else ""
