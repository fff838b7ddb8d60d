"""The console's fast-forwarded clock is kept with its database and resumes after a restart."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.console.lines import ScriptSource
from adapters.console.wiring import build_session
from bot.clock import FakeClock, OffsetClock
from bot.storage.sqlite import SqliteStore
from tests.startup_env import crossfade

REAL_NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
START = (
    '/sprint start goal:"Atmos pilot" skill:"spatial mixing" deliverable:workshop '
    'deliverable-note:"A workshop"'
)


async def console(db: Path, real: FakeClock, lines: list[str]) -> tuple[OffsetClock, str]:
    """A console session as `crossfade run` starts it, with real time played by ``real``."""
    from adapters.console.wiring import console_clock

    out: list[str] = []
    store = await SqliteStore.open(db)
    try:
        clock = await console_clock(store, base=real)
        await build_session(store, clock, ScriptSource(lines, out.append), out.append).run()
    finally:
        await store.close()
    return clock, "\n".join(out)


@pytest.mark.asyncio
async def test_a_restarted_console_resumes_where_advance_left_its_clock(tmp_path: Path) -> None:
    db = tmp_path / "console.db"
    real = FakeClock(REAL_NOW)
    first, _ = await console(db, real, ["/as ana", START, "/advance 10d"])
    assert first.now() == REAL_NOW + timedelta(days=10)
    real.advance(timedelta(hours=1))  # the console was closed for an hour
    second, transcript = await console(db, real, ["/as ana", "/sprint status"])
    assert second.now() == REAL_NOW + timedelta(days=10, hours=1)
    # The week that opened during the advance is still open, not weeks in the future.
    assert "Week 1 check-in: open" in transcript
    assert "[Thu 10 Dec 09:00] ana@#general> /sprint status" in transcript


@pytest.mark.asyncio
async def test_the_offset_is_kept_before_a_tick_acts_on_it(tmp_path: Path) -> None:
    from adapters.console.wiring import CLOCK_OFFSET

    db = tmp_path / "console.db"
    await console(db, FakeClock(REAL_NOW), ["/advance 3d", "/advance 2h"])
    store = await SqliteStore.open(db)
    try:
        kept = await store.get_setting(CLOCK_OFFSET)
    finally:
        await store.close()
    assert kept == str(int(timedelta(days=3, hours=2).total_seconds()) * 1_000_000)


def _now_line(output: str) -> datetime:
    found = re.findall(r"\u23e9 Now \w+ (\d\d \w+ \d{4} \d\d:\d\d) UTC", output)
    assert found, output
    return datetime.strptime(found[-1], "%d %b %Y %H:%M").replace(tzinfo=UTC)


def test_crossfade_run_keeps_the_fast_forward_across_restarts(tmp_path: Path) -> None:
    db = tmp_path / "console.db"
    first = crossfade(db, "run", input="/advance 30d\n/quit\n", cwd=str(tmp_path))
    assert first.returncode == 0, first.stderr
    second = crossfade(db, "run", input="/advance 1m\n/quit\n", cwd=str(tmp_path))
    assert second.returncode == 0, second.stderr
    assert "The clock resumes 30d 0h 0m ahead of real time" in second.stdout
    assert _now_line(second.stdout) >= _now_line(first.stdout) + timedelta(minutes=1)
