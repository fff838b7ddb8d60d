"""A real PostgreSQL server for the tests, started from the machine's own binaries.

Debian installs the server outside PATH (/usr/lib/postgresql/<major>/bin), and the server
refuses to run as root, so as root it runs as ``nobody`` on a data folder that user owns.
It listens on 127.0.0.1 at a free port and on a socket in its own folder, with a password
(scram-sha-256), and is stopped (fast shutdown) when the tests end. Each pytest-xdist
worker starts a server of its own; a watchdog process stops it even if the worker dies.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HOW_TO_GET_IT = (
    "PostgreSQL's server binaries were not found (initdb, pg_ctl). On Debian or Ubuntu: "
    "sudo apt-get install postgresql; elsewhere put its bin folder on PATH. "
    "CI installs it (.ci/run)."
)
USER = "crossfade"
START_TIMEOUT = 60
# Starts tried, each on a new free port, if the one picked was taken in between.
PORT_TRIES = 3
# The data folder goes in memory where there is room: on a busy disk, copying a database
# for each test took about a second (a checkpoint's writes), on tmpfs 0.08 s.
IN_MEMORY = Path("/dev/shm")
IN_MEMORY_ROOM = 1 << 30
# Run by a process of its own, started with the server: when its stdin closes (the test
# process ended, however: even SIGKILL), stop the server and remove its folder, so a
# crashed pytest worker leaves no server behind. On a clean stop there's nothing left to do.
WATCHDOG = """
import json, shutil, subprocess, sys
sys.stdin.buffer.read()
command, folder = json.loads(sys.argv[1])
subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
shutil.rmtree(folder, ignore_errors=True)
"""


class NoPostgres(Exception):
    """This machine can't run a PostgreSQL server for the tests; the message says why."""


def server_binaries() -> Path:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's newest major version."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    for folder in reversed(candidates):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise NoPostgres(HOW_TO_GET_IT)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    """A running throwaway server: its folder, port and password."""

    folder: Path
    port: int
    password: str
    bin: Path
    prefix: list[str]
    watchdog: subprocess.Popen[bytes] | None = None

    def url(self, database: str = "postgres", *, password: str | None = None) -> str:
        """A postgresql:// address for a database on this server."""
        secret = self.password if password is None else password
        return f"postgresql://{USER}:{secret}@127.0.0.1:{self.port}/{database}"

    async def create_database(self, name: str) -> str:
        """Create an empty database on this server; its address."""
        import asyncpg

        admin = await asyncpg.connect(self.url())
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        return self.url(name)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run one of the server's programs as the server's user."""
        return subprocess.run(
            [*self.prefix, str(self.bin / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
            check=False,
        )

    def stop(self) -> None:
        """Stop the server at once (fast shutdown) and forget its folder."""
        subprocess.run(
            self._stop_command(), capture_output=True, timeout=START_TIMEOUT, check=False
        )
        shutil.rmtree(self.folder, ignore_errors=True)
        if self.watchdog is not None:
            self.watchdog.communicate(timeout=START_TIMEOUT)  # closes its stdin: it ends
            self.watchdog = None

    def _stop_command(self) -> list[str]:
        """The pg_ctl line stopping this server, after the prefix that runs it."""
        data = str(self.folder / "data")
        return [*self.prefix, str(self.bin / "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"]

    def watch(self) -> None:
        """Start the watchdog that stops this server when the test process ends."""
        self.watchdog = subprocess.Popen(
            [
                sys.executable,
                "-I",
                "-c",
                WATCHDOG,
                json.dumps([self._stop_command(), str(self.folder)]),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd="/",
            # Its own session: a Ctrl-C or a signal to the test's process group leaves it
            # alive to clean up after the test process.
            start_new_session=True,
        )


def _as_server_user(folder: Path) -> list[str]:
    """A prefix running the server's programs as a user that isn't root, owning ``folder``."""
    if os.geteuid() != 0:
        return []
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError as exc:
        raise NoPostgres("running as root and there is no 'nobody' user to run it as") from exc
    if shutil.which("setpriv") is None:
        raise NoPostgres("running as root without setpriv to run the server as nobody")
    for path in (folder, *folder.rglob("*")):
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    return ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]


def start() -> PostgresServer:
    """Create a cluster in a new folder and start it; raise NoPostgres if this can't be done.

    The folder is made in memory (/dev/shm) if there is room, else in the system's
    temporary folder; not in pytest's: as root, pytest's folders are closed to the server's
    user.
    """
    binaries = server_binaries()
    folder = Path(tempfile.mkdtemp(prefix="crossfade-pg-", dir=_scratch()))
    try:
        return _start_in(folder, binaries)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _scratch() -> str | None:
    """/dev/shm if it is there, writable and roomy; None (the temporary folder) otherwise."""
    try:
        room = os.statvfs(IN_MEMORY)
    except OSError:
        return None
    if not os.access(IN_MEMORY, os.W_OK | os.X_OK):
        return None
    return str(IN_MEMORY) if room.f_bavail * room.f_frsize >= IN_MEMORY_ROOM else None


def _start_in(folder: Path, binaries: Path) -> PostgresServer:
    """Initialise a cluster in ``folder`` and start it."""
    password = secrets.token_urlsafe(16)
    (folder / "pwfile").write_text(password + "\n")
    prefix = _as_server_user(folder)
    server = PostgresServer(folder, _free_port(), password, binaries, prefix)
    server.watch()
    try:
        _initdb_and_start(server)
    except BaseException:
        server.stop()
        raise
    return server


def _initdb_and_start(server: PostgresServer) -> None:
    """Create the cluster in the server's folder and start it, until it takes connections."""
    folder = server.folder
    data = str(folder / "data")
    init = server.run(
        "initdb", "-D", data, "-U", USER, "--pwfile", str(folder / "pwfile"),
        "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync",
    )  # fmt: skip
    if init.returncode != 0:
        raise NoPostgres(f"initdb failed: {init.stderr.strip()[-400:]}")
    for attempt in range(PORT_TRIES):
        up = server.run(
            "pg_ctl", "-D", data, "-o", _options(server), "-l", str(folder / "log"), "-w",
            "-t", str(START_TIMEOUT), "start",
        )  # fmt: skip
        if up.returncode == 0:
            break
        log = (folder / "log").read_text(errors="replace") if (folder / "log").exists() else ""
        if "could not bind" not in log or attempt == PORT_TRIES - 1:
            raise NoPostgres(f"the server did not start: {(up.stderr + log).strip()[-400:]}")
        # Another program (another worker's server) took the free port first: take another.
        server.port = _free_port()
    _wait_for(server)


def _options(server: PostgresServer) -> str:
    """The server's settings: loopback and its own socket folder; no waiting on the disk."""
    return (
        f"-c listen_addresses=127.0.0.1 -c port={server.port} "
        f"-c unix_socket_directories={server.folder} -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=200"
    )


def _wait_for(server: PostgresServer) -> None:
    """Until the server takes connections (pg_ctl -w has said so; this double-checks TCP)."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise NoPostgres(f"nothing answers on 127.0.0.1:{server.port}") from None
            time.sleep(0.1)
