"""`crossfade demo`: a short scripted tour in fast-forwarded time, on a throwaway database."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from adapters.console.lines import ScriptSource
from adapters.console.wiring import build_session
from bot.clock import FakeClock
from bot.storage.sqlite import SqliteStore

# Monday 2 March 2026: the tour crosses the US clock change (8 Mar), so Alice's prompts stay at
# 10:00 New York time while their UTC time moves.
DEMO_START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

SCRIPT = [
    "/help",
    "/admin schedule day:monday time:10:00 reminder-hours:24",
    "/as alice",
    '/profile timezone:America/New_York skills:"live sound, spatial mixing" '
    'role:"FOH engineer" heading:"spatial mixing consultant" share-blockers:yes',
    '/sprint start goal:"Calibrate and mix a 7.1.4 demo room" skill:"spatial mixing" '
    'deliverable:sample-calibration deliverable-note:"A public calibration profile pack for '
    'small studios" weeks:12',
    "/as ravi",
    "/profile timezone:Asia/Kolkata skills:metadata",
    '/sprint start goal:"Author loudness and chapter metadata for podcasts" skill:metadata '
    'deliverable:video-series deliverable-note:"Three short videos on podcast metadata"',
    # A week on: both members get their prompt at 10:00 in their own zone.
    "/advance 7d8h",
    "/as alice",
    "/press 3",
    "Tuned the room EQ and measured RT60 in three positions",
    "Waiting on a loaner pair of height speakers",
    "4",
    "6",
    "/as ravi",
    '/checkin progress:"Drafted the chapter-marker guide" confidence:3 hours:4',
    "/advance 7d",
    "/as alice",
    '/checkin progress:"Height speakers arrived; first Atmos test mix" confidence:5 hours:8',
    "/as ravi",
    "/checkin skip reason:holiday",
    "/advance 7d",
    "/as alice",
    "/sprint status",
    "/journey",
]


async def run_demo(write: Callable[[str], None]) -> bool:
    """Play the tour; True if it reached the weekly summary."""
    seen: list[str] = []

    def out(line: str) -> None:
        seen.append(line)
        write(line)

    with tempfile.TemporaryDirectory() as folder:
        store = await SqliteStore.open(Path(folder) / "demo.db")
        try:
            session = build_session(store, FakeClock(DEMO_START), ScriptSource(SCRIPT, out), out)
            write("Crossfade demo: three weeks of a learning sprint, fast-forwarded.\n")
            await session.run()
        finally:
            await store.close()
    return any("Weekly check-ins" in line for line in seen)
