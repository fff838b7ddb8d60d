"""Bad input: a friendly one-line message naming what to fix, the usage, and nothing written."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import StartupError
from bot.messages import Tone
from bot.storage.sqlite import SqliteStore
from bot.storage.sqlite_schema import APPLICATION_ID
from tests.harness import Harness, reply_text
from tests.stores import Database, snapshot

START_SPRINT = (
    '/sprint start goal:"Spatial mix a short film" skill:"spatial mixing" '
    'deliverable:workshop deliverable-note:"A public workshop"'
)


CASES = [
    ("/frobnicate", "I don't know the command /frobnicate. Type /help", None),
    ("/sprint frobnicate", "I don't know the command /sprint frobnicate. /sprint has: start", None),
    ("/sprint start gaol:x", "/sprint start has no option 'gaol'. Did you mean 'goal'?", None),
    (
        '/sprint start goal:"Atmos" skill:mixing deliverable:workshop',
        "Deliverable in one sentence is required.",
        "Usage: /sprint start goal:<text>",
    ),
    (
        "/profile timezone:Mars/Olympus",
        "'Mars/Olympus' is not a time zone I know.",
        "Usage: /profile",
    ),
    ("/profile timezone:Europe/Lond", "Did you mean Europe/London?", None),
    ("/profile timezone:new", "Did you mean America/New_York", None),
    (
        START_SPRINT + " start:someday-soon",
        "I couldn't read 'someday-soon' as a date. Use YYYY-MM-DD",
        "Usage: /sprint start",
    ),
    (START_SPRINT + " start:2026-01-05", "Start date 2026-01-05 is in the past", "Usage:"),
    (
        "/sprint start goal:" + "x" * 201 + " skill:a deliverable:other deliverable-note:b",
        "Goal is 201 characters; keep it to 200 or fewer.",
        "Usage: /sprint start",
    ),
    ("/sprint status", "You have no active sprint. Start one with /sprint start.", None),
    ("/sprint complete link:https://example.org/w", "You have no active sprint.", None),
    ("/checkin progress:x confidence:3", "You have no active sprint.", None),
    ("/checkin skip", "You have no active sprint.", None),
    ("/admin schedule day:friday", "/admin schedule is for community admins only.", None),
    (
        "/sprint start weeks:99 goal:a skill:b deliverable:other deliverable-note:c",
        "Weeks must be between 1 and 26.",
        None,
    ),
    ('/sprint start goal:"unclosed', "A quote is not closed.", None),
    ("/checkin pause extra", "I don't know what 'extra' is for.", "Usage: /checkin pause"),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("line", "expected", "usage"), CASES)
async def test_bad_input_is_explained_and_changes_nothing(
    harness: Harness, database: Database, line: str, expected: str, usage: str | None
) -> None:
    await harness.run("kim", "/profile")  # the member exists before the bad command
    before = await snapshot(database)
    response = await harness.run("kim", line)
    assert response.message is not None
    assert response.message.tone is Tone.ERROR
    shown = reply_text(response)
    assert expected in shown
    assert "Traceback" not in shown
    assert len(shown.splitlines()) <= 2  # the message, and the usage line
    if usage:
        assert usage in shown
    assert await snapshot(database) == before


@pytest.mark.asyncio
async def test_second_active_sprint_is_refused(harness: Harness, database: Database) -> None:
    await harness.run("kim", START_SPRINT)
    before = await snapshot(database)
    response = await harness.run("kim", START_SPRINT)
    assert "You already have an active sprint" in reply_text(response)
    assert await snapshot(database) == before


@pytest.mark.asyncio
async def test_a_form_submission_with_a_bad_field_names_the_field(harness: Harness) -> None:
    await harness.run("kim", START_SPRINT)
    actor = harness.actor("kim")
    response = await harness.core.submit_form(
        actor, "cmd:checkin.submit", {"progress": "Routed the monitor mix", "confidence": "7"}
    )
    assert response.field_errors == {"confidence": "Confidence must be between 1 and 5."}
    assert await harness.store.outbox_counts() == {"pending": 1}  # only the start announcement


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.asyncio
async def test_corrupt_database_stops_startup_and_is_left_untouched(tmp_path: Path) -> None:
    db = tmp_path / "broken.db"
    db.write_bytes(b"this is not a database, it is a mix note" * 200)
    before = digest(db)
    with pytest.raises(StartupError, match="not a readable Crossfade database"):
        await SqliteStore.open(db)
    assert digest(db) == before
    assert not (tmp_path / "broken.db-wal").exists()


@pytest.mark.asyncio
async def test_newer_schema_stops_startup_and_is_left_untouched(tmp_path: Path) -> None:
    db = tmp_path / "future.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE future (x)")
    # A newer Crossfade stamps its files with the application id, as this one does.
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    before = digest(db)
    with pytest.raises(StartupError, match="schema version 99, newer than this Crossfade"):
        await SqliteStore.open(db)
    assert digest(db) == before


def run_cli(tmp_path: Path, **env_vars: str) -> subprocess.CompletedProcess[str]:
    """`crossfade` as a person runs it, with no platform tokens but those given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli"],
        input="",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


def test_cli_reports_a_corrupt_database_without_a_traceback(tmp_path: Path) -> None:
    db = tmp_path / "broken.db"
    db.write_bytes(b"\x00garbage" * 512)
    done = run_cli(tmp_path, CROSSFADE_DB=str(db))
    assert done.returncode == 2
    assert "not a readable Crossfade database" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_reports_bad_configuration_clearly(tmp_path: Path) -> None:
    done = run_cli(tmp_path, SLACK_BOT_TOKEN="not-a-token", DISCORD_GUILD_ID="my-server")
    assert done.returncode == 2
    assert "SLACK_BOT_TOKEN must be a bot token starting with xoxb-." in done.stderr
    assert "DISCORD_GUILD_ID must be the server's numeric id." in done.stderr
    assert "not-a-token" not in done.stderr


def test_cli_refuses_bad_shard_settings_in_one_line(tmp_path: Path) -> None:
    done = run_cli(tmp_path, DISCORD_SHARD_COUNT="2", DISCORD_SHARD_IDS="1,2")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    (line,) = [ln for ln in done.stderr.splitlines() if "DISCORD_SHARD_IDS" in ln]
    assert "below DISCORD_SHARD_COUNT (2), such as 0,2-3." in line


@pytest.mark.asyncio
async def test_a_huge_number_is_refused_politely(harness: Harness) -> None:
    response = await harness.run("kim", "/sprint status sprint:99999999999999999999")
    assert "Sprint is far too large." in reply_text(response)
