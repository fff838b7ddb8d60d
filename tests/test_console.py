"""Sprints and check-ins end to end through the console adapter, on a real SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.console.lines import ScriptSource, completions
from adapters.console.session import parse_duration
from adapters.console.wiring import build_session
from bot.app import build_registry
from bot.clock import FakeClock
from bot.storage.sqlite import SqliteStore

MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


async def play(path: Path, lines: list[str], start: datetime = MONDAY) -> str:
    """Run a console session over a script and return everything it printed."""
    out: list[str] = []
    store = await SqliteStore.open(path)
    try:
        session = build_session(
            store, FakeClock(start), ScriptSource(lines, out.append), out.append
        )
        await session.run()
    finally:
        await store.close()
    return "\n".join(out)


@pytest.mark.asyncio
async def test_sprint_and_weekly_checkins_end_to_end(tmp_path: Path) -> None:
    db = tmp_path / "crossfade.db"
    transcript = await play(
        db,
        [
            "/as alice",
            "/profile timezone:Europe/London",
            '/sprint start goal:"Mix a binaural podcast pilot" skill:"spatial mixing" '
            'deliverable:workshop deliverable-note:"A 45-minute workshop on binaural monitoring"',
            "/sprint status",
            "/advance 7d3h",
            # The prompt's first button is "Check in": the form asks field by field.
            "/press 1",
            "Set up the head-tracked monitoring chain",
            "",
            "9",
            "4",
            "3",
            "/sprint status",
        ],
    )
    assert "Sprint started: Mix a binaural podcast pilot" in transcript
    assert "First check-in: Mon 07 Dec 2026 10:00 GMT" in transcript
    # The announcement lands in the announcements channel.
    assert "── #announcements" in transcript
    assert "alice started a 12-week sprint" in transcript
    # The weekly prompt is a DM at 10:00 London time with its buttons.
    assert "── DM to alice · Mon 07 Dec 10:00 GMT ──" in transcript
    assert "Weekly check-in · week 1 of 12" in transcript
    assert "[1] Check in   [2] Skip this week" in transcript
    # The form re-asks a bad field with the rule it broke, then saves.
    assert "✗ Confidence must be between 1 and 5." in transcript
    assert "✓ Checked in for week 1 of 12" in transcript
    # The prompt is edited in place to show it's done.
    assert "DM to alice (message updated)" in transcript
    assert "week 1 of 12 · done ✓" in transcript
    assert "Check-ins: 1 done · 0 skipped · 0 missed" in transcript
    assert "Latest confidence: 4/5" in transcript

    # Everything is in the file: a new session on the same database sees it.
    again = await play(db, ["/as alice", "/sprint status"], start=datetime(2026, 12, 8, tzinfo=UTC))
    assert "Mix a binaural podcast pilot · spatial mixing" in again
    assert "Streak: 1 week" in again


@pytest.mark.asyncio
async def test_summary_reaches_the_checkins_channel(tmp_path: Path) -> None:
    transcript = await play(
        tmp_path / "c.db",
        [
            "/as bea",
            "/profile share-blockers:yes",
            '/sprint start goal:"Low-latency streaming rig" skill:streaming deliverable:other '
            'deliverable-note:"A public latency test"',
            "/as cy",
            '/sprint start goal:"Teach a metadata course" skill:metadata '
            'deliverable:video-series deliverable-note:"Three videos"',
            "/advance 7d3h",
            "/as bea",
            '/checkin progress:"Measured 12 ms round trip" blockers:"Need a second interface" '
            "confidence:4",
            "/advance 7d",
        ],
    )
    assert "── #check-ins" in transcript
    assert "Weekly check-ins · week of Mon 07 Dec 2026" in transcript
    assert "1 of 2 checked in." in transcript
    assert "Missed: @cy" in transcript
    assert "@bea: Need a second interface" in transcript
    assert "Confidence: 4.0 / 5" in transcript


@pytest.mark.asyncio
async def test_missing_required_option_offers_the_form_and_cancel_saves_nothing(
    tmp_path: Path,
) -> None:
    db = tmp_path / "f.db"
    transcript = await play(
        db, ["/as dee", "/sprint start goal:Atmos", "/cancel", "/sprint status"]
    )
    assert "/sprint start needs skill, deliverable, deliverable-note" in transcript
    assert "Usage: /sprint start goal:<text> skill:<text>" in transcript
    assert "Cancelled; nothing was saved." in transcript
    assert "You have no active sprint." in transcript


def test_durations_and_completion() -> None:
    assert parse_duration("7d") == timedelta(days=7)
    assert parse_duration("1w2d3h") == timedelta(days=9, hours=3)
    assert parse_duration("soon") is None
    registry = build_registry()
    assert "/sprint" in list(completions(registry, "/spr"))
    assert "start" in list(completions(registry, "/sprint st"))
    assert "timezone:Europe/London" in list(completions(registry, "/profile timezone:Europe/Lon"))
    assert "deliverable:workshop" in list(completions(registry, "/sprint start deliverable:wo"))


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env["CROSSFADE_DB"] = str(tmp_path / "cli.db")
    return env


def test_crossfade_command_runs_the_console_on_piped_input(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "adapters.cli"],
        input="/as eve\n/sprint frobnicate\n/profile timezone:kolkata\n/quit\n",
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "I don't know the command /sprint frobnicate" in done.stdout
    assert "Time zone: Asia/Kolkata" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert (tmp_path / "cli.db").exists()


def test_crossfade_demo_plays_and_exits_zero(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "demo"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    assert "Weekly check-ins · week of" in done.stdout
    assert "✗" not in done.stdout
