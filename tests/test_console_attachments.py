"""The console writes a message's files beside the database and prints where, never overwriting.

Run through a test-only ``/calendar`` command (tests/attachment_fixtures.py), so no feature is
involved: its reply carries the file, and ``dm:yes`` sends it through the outbox as well.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.console.lines import ScriptSource
from adapters.console.transport import ConsoleTransport
from adapters.console.wiring import build_session
from bot.app import Crossfade
from bot.clock import FakeClock
from bot.delivery import Target
from bot.models import DestinationKind
from bot.storage.sqlite import SqliteStore
from tests.attachment_fixtures import ICS, calendar_message, file_registry

MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
SAVED = re.compile(r"\U0001f4ce clinic\.ics \(text/calendar\) saved to (\S+)")


def contents(path: Path) -> bytes:
    return path.read_bytes()


async def play(db: Path, lines: list[str]) -> str:
    """A console session on ``db`` where /calendar exists; everything it printed."""
    out: list[str] = []
    store = await SqliteStore.open(db)
    try:
        clock = FakeClock(MONDAY)
        session = build_session(store, clock, ScriptSource(lines, out.append), out.append)
        session.core = Crossfade(store, clock, registry=file_registry())
        await session.run()
    finally:
        await store.close()
    return "\n".join(out)


@pytest.mark.asyncio
async def test_a_reply_s_file_is_written_beside_the_database_and_its_path_printed(
    tmp_path: Path,
) -> None:
    db = tmp_path / "crossfade.db"
    transcript = await play(db, ["/as ana", "/calendar"])

    (shown,) = SAVED.findall(transcript)
    assert Path(shown) == tmp_path / "files" / "clinic.ics"
    assert contents(Path(shown)) == ICS
    # The path is part of the rendered card, after its text.
    card = transcript[transcript.index("Room calibration clinic") :]
    assert card.index("Add it to your calendar") < card.index(shown)


@pytest.mark.asyncio
async def test_an_outbox_post_s_file_is_written_too_and_no_file_is_overwritten(
    tmp_path: Path,
) -> None:
    db = tmp_path / "crossfade.db"
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "clinic.ics").write_bytes(b"someone else's calendar")

    transcript = await play(db, ["/as ana", "/calendar dm:yes"])

    # The reply, then the DM the outbox delivered: each its own file, the old one untouched.
    assert "\u2500\u2500 DM to ana" in transcript
    dm = transcript[transcript.index("\u2500\u2500 DM to ana") :]
    paths = [Path(p) for p in SAVED.findall(transcript)]
    assert paths == [folder / "clinic-2.ics", folder / "clinic-3.ics"]
    assert SAVED.findall(dm) == [str(folder / "clinic-3.ics")]
    assert all(contents(p) == ICS for p in paths)
    assert contents(folder / "clinic.ics") == b"someone else's calendar"

    # A new session on the same database keeps numbering past what is there.
    again = await play(db, ["/as ana", "/calendar"])
    assert SAVED.findall(again) == [str(folder / "clinic-4.ics")]


@pytest.mark.asyncio
async def test_a_file_that_cannot_be_written_is_said_and_the_message_still_shown(
    tmp_path: Path,
) -> None:
    db = tmp_path / "crossfade.db"
    (tmp_path / "files").write_text("a file where the folder should be")

    transcript = await play(db, ["/as ana", "/calendar dm:yes"])

    assert transcript.count("Room calibration clinic") == 2  # the reply and the DM
    assert transcript.count("\U0001f4ce clinic.ics could not be saved: can't create") == 2
    assert "Traceback" not in transcript


@pytest.mark.asyncio
async def test_a_transport_without_a_files_folder_says_the_file_was_not_kept() -> None:
    printed: list[str] = []
    transport = ConsoleTransport(FakeClock(MONDAY), printed.append, lambda m: [], lambda: "UTC")
    target = Target("console", DestinationKind.DM, user_id="ana")

    await transport.send(target, calendar_message(), key="cf-1")

    (shown,) = printed
    assert "Room calibration clinic" in shown
    assert "\U0001f4ce clinic.ics could not be saved: this console keeps no folder for files" in (
        shown
    )
