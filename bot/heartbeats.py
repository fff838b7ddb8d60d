"""Each running process's own heartbeat file, beside the database: named by machine and pid.

Several `crossfade run` processes may share one CROSSFADE_DB folder (PostgreSQL shared by
several processes, or containers sharing a volume), so each writes
``<db>.heartbeat.<host>.<pid>``: `crossfade health` checks the processes of its own machine
(in a container, its own: the hostname is the container's), and a file whose process is
gone is recognised as stale. A process removes its file when it stops, and at start the
files its machine's dead processes left (and its own pid's, from a previous life).
"""

from __future__ import annotations

import logging
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Heartbeat:
    """One process's heartbeat file: where it is and which process of this machine wrote it."""

    path: Path
    pid: int


def this_host() -> str:
    """This machine's (or container's) name as heartbeat files carry it: no dots, no slashes."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "localhost"


def heartbeat_path(db_path: Path, pid: int | None = None) -> Path:
    """Where process ``pid`` of this machine (default: this process) writes its status record."""
    return db_path.with_name(_prefix(db_path) + str(os.getpid() if pid is None else pid))


def heartbeats(db_path: Path) -> list[Heartbeat]:
    """The heartbeat files this machine's processes wrote beside ``db_path``, by pid."""
    prefix = _prefix(db_path)
    try:
        names = [entry.name for entry in db_path.parent.iterdir()]
    except OSError:
        return []
    found = [
        Heartbeat(db_path.with_name(name), int(name[len(prefix) :]))
        for name in names
        if name.startswith(prefix) and name[len(prefix) :].isdigit()
    ]
    return sorted(found, key=lambda beat: beat.pid)


def running(pid: int) -> bool:
    """Whether a process with this id runs on this machine (signal 0 only asks)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it runs, as another user
    except OSError:
        return False
    return True


def clear_stale(db_path: Path) -> None:
    """Remove the heartbeats of this machine's processes that are gone (and this pid's old one)."""
    for beat in heartbeats(db_path):
        if beat.pid == os.getpid() or not running(beat.pid):
            try:
                beat.path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("could not remove the stale heartbeat %s: %s", beat.path, exc)


def _prefix(db_path: Path) -> str:
    return f"{db_path.name}.heartbeat.{this_host()}."
