"""Running `crossfade` as a person would: as an unprivileged user, or on an odd filesystem.

CI runs as root, which ignores file permissions, so permission cases drop to the `nobody`
user (setpriv or runuser). Read-only and full filesystems are real mounts inside a private
mount namespace (unshare), which vanish with the process.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parent.parent
# A hang (the failure these tests guard against) ends the run instead of stalling it.
TIMEOUT = 30


def digest(path: Path) -> str:
    """The file's content hash, to prove it was left untouched."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def side_files(db: Path) -> list[str]:
    """Traces of a write beside ``db``: a rollback journal, or a WAL with frames in it.

    An empty WAL and its index are what any reader of a WAL-mode file leaves; they hold no
    change.
    """
    found = [s for s in ("-journal",) if Path(f"{db}{s}").exists()]
    wal = Path(f"{db}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        found.append("-wal")
    return found


def env_for(db: Path) -> dict[str, str]:
    """The environment of a `crossfade` run on ``db`` with no platform configured."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DISCORD_")) and k != "CROSSFADE_DATABASE_URL"
    }
    env["CROSSFADE_DB"] = str(db)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def crossfade(
    db: Path, *args: str, prefix: list[str] | None = None, input: str = "", cwd: str = "/"
) -> subprocess.CompletedProcess[str]:
    """Run `crossfade <args>` on ``db`` (after ``prefix``, e.g. dropping privileges)."""
    return subprocess.run(
        [*(prefix or []), sys.executable, "-m", "adapters.cli", *args],
        input=input,
        capture_output=True,
        text=True,
        env=env_for(db),
        cwd=cwd,
        timeout=TIMEOUT,
        check=False,
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The single line a refused start-up printed, checked to be just that."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, (done.returncode, done.stdout[-1000:], done.stderr[-2000:])
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    return lines[0]


def _probe(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=TIMEOUT, check=False, cwd="/"
    )


def unavailable(reason: str) -> NoReturn:
    """Skip locally when this machine can't run the case; in CI (CI set) fail, since CI's
    machine can, and a skipped permission test there would prove nothing."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run this test, but {reason}")
    pytest.skip(reason)


def unprivileged_prefix() -> list[str]:
    """The command prefix that runs a program as a user file permissions apply to."""
    if os.geteuid() != 0:
        return []  # already such a user
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        unavailable("running as root and there is no 'nobody' user to test permissions as")
    if shutil.which("setpriv"):
        prefix = [
            "setpriv",
            f"--reuid={nobody.pw_uid}",
            f"--regid={nobody.pw_gid}",
            "--clear-groups",
        ]
    elif shutil.which("runuser"):
        prefix = ["runuser", "-u", "nobody", "--"]
    else:
        unavailable("running as root with neither setpriv nor runuser to drop privileges")
    probe = _probe([*prefix, sys.executable, "-c", "import adapters.cli"])
    if probe.returncode != 0:
        unavailable(f"user nobody cannot run Crossfade from {ROOT}: {probe.stderr[-300:]}")
    return prefix


def namespace_prefix(folder: Path, setup: str) -> list[str]:
    """A prefix running a program in a private mount namespace after ``setup`` (sh) ran.

    ``{dir}`` in ``setup`` is ``folder``. The program's exit code is kept, and the folder's
    listing is printed after it, so a test can see what was left behind inside the mount.
    """
    script = setup.format(dir=shlex.quote(str(folder)))
    wrapper = f'{script} || exit 97; "$@"; rc=$?; ls -A {shlex.quote(str(folder))}; exit $rc'
    for unshare in (["unshare", "--mount"], ["unshare", "--mount", "--map-root-user"]):
        if shutil.which("unshare") is None:
            break
        probe = _probe([*unshare, "sh", "-c", wrapper, "sh", "true"])
        if probe.returncode == 0:
            return [*unshare, "sh", "-c", wrapper, "sh"]
    unavailable("no private mount namespaces here (unshare/mount not permitted)")


def open_up(folder: Path, mode: int = 0o777) -> None:
    """Let the unprivileged user reach (and by default write in) ``folder``."""
    folder.chmod(mode)


def restore(folder: Path) -> None:
    """Make everything under ``folder`` removable again."""
    folder.chmod(0o700)
    for path in folder.rglob("*"):
        if not path.is_symlink():
            path.chmod(0o700)
