"""One `crossfade run` per database file: a second is refused, read-only commands still work."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.errors import StartupError
from tests.startup_env import TIMEOUT, crossfade, env_for, one_line


@contextmanager
def serving(db: Path) -> Iterator[subprocess.Popen[str]]:
    """A running `crossfade run` (the console, waiting for input) on ``db``."""
    with subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for(db),
        cwd=db.parent,
    ) as bot:
        try:
            assert bot.stdout is not None
            # It prints this once the database is open and the console reads its input.
            assert bot.stdout.readline().startswith("Crossfade console on"), bot.stderr
            yield bot
        finally:
            if bot.poll() is None:
                bot.kill()
            bot.wait(timeout=TIMEOUT)


def test_a_second_run_on_the_same_file_is_refused_while_others_work(tmp_path: Path) -> None:
    db = tmp_path / "crossfade.db"
    with serving(db) as first:
        line = one_line(crossfade(db, "run", input="/quit\n", cwd=str(tmp_path)))
        assert f"pid {first.pid}" in line
        assert f"is already serving the database {db}" in line
        health = crossfade(db, "health", cwd=str(tmp_path))
        assert (health.returncode, health.stdout.strip()) == (0, "healthy")
        demo = crossfade(db, "demo", cwd=str(tmp_path))
        assert demo.returncode == 0, demo.stderr
        assert "Weekly check-ins" in demo.stdout
        manifest = crossfade(db, "slack-manifest", cwd=str(tmp_path))
        assert manifest.returncode == 0
        assert first.poll() is None  # the first bot kept running through all of this


def test_a_killed_bot_leaves_no_stale_lock(tmp_path: Path) -> None:
    db = tmp_path / "crossfade.db"
    with serving(db) as first:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=TIMEOUT)
    again = crossfade(db, "run", input="/whoami\n/quit\n", cwd=str(tmp_path))
    assert again.returncode == 0, again.stderr
    assert "host (admin) in #general" in again.stdout


def test_the_lock_is_released_when_a_run_ends(tmp_path: Path) -> None:
    from bot.storage.serve_lock import ServeLock

    db = tmp_path / "crossfade.db"
    with ServeLock(db), pytest.raises(StartupError, match="already serving"):
        ServeLock(db).acquire()
    with ServeLock(db):
        pass
