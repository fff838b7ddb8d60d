"""The console's forms and meta-commands as a new user meets them (issue 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from adapters.console.lines import LineSource, PromptSource
from adapters.console.wiring import build_session
from bot.app import build_registry
from bot.clock import FakeClock
from bot.storage.sqlite import SqliteStore
from tests.test_console import MONDAY, play

SPRINT = (
    '/sprint start goal:"Mix a binaural pilot" skill:"spatial mixing" deliverable:workshop '
    'deliverable-note:"A workshop on binaural monitoring"'
)
CTRL_C = "\x03"


async def play_terminal(path: Path, keys: str, history: Path) -> str:
    """A console session on a real prompt_toolkit terminal fed these keystrokes."""
    out: list[str] = []
    store = await SqliteStore.open(path)
    try:
        with create_pipe_input() as keyboard:
            keyboard.send_text(keys)
            keyboard.close()  # after the keys, the terminal ends (EOF)
            source: LineSource = PromptSource(
                build_registry(),
                history,
                terminal_input=keyboard,
                terminal_output=DummyOutput(),
            )
            session = build_session(store, FakeClock(MONDAY), source, out.append)
            await session.run()
    finally:
        await store.close()
    return "\n".join(out)


@pytest.mark.asyncio
async def test_ctrl_c_at_a_form_prompt_cancels_the_form(tmp_path: Path) -> None:
    answers = ["/sprint start", "Mix a pilot", "spatial mixing", "workshop", "A workshop"]
    # Ctrl-C at the start-date prompt, Ctrl-C again at the command prompt, then a status.
    keys = "".join(f"{a}\r" for a in answers) + CTRL_C + CTRL_C + "/sprint status\r"
    transcript = await play_terminal(tmp_path / "c.db", keys, tmp_path / "history")
    assert "Cancelled; nothing was saved." in transcript
    assert "Sprint started" not in transcript
    assert "You have no active sprint." in transcript
    store = await SqliteStore.open(tmp_path / "c.db")
    try:
        assert await store.outbox_counts() == {}  # nothing announced
    finally:
        await store.close()


@pytest.mark.asyncio
async def test_a_command_typed_at_a_form_prompt_cancels_the_form_and_runs(
    tmp_path: Path,
) -> None:
    transcript = await play(
        tmp_path / "f.db",
        ["/as dee", "/sprint start", "Mix a pilot", "/help", "/sprint status"],
    )
    assert "Cancelled; nothing was saved." in transcript
    assert "Crossfade commands" in transcript  # /help ran instead of becoming the skill
    assert "You have no active sprint." in transcript


@pytest.mark.asyncio
async def test_press_names_the_buttons_that_exist(tmp_path: Path) -> None:
    transcript = await play(
        tmp_path / "p.db",
        ["/press 99", "/as ann", SPRINT, "/advance 7d3h", "/press 99", "/press x"],
    )
    assert "There is no button [99]: no message has shown a button yet." in transcript
    assert "There is no button [99]. The buttons shown so far are [1]–[2]." in transcript
    assert "Usage: /press <number>" in transcript


@pytest.mark.asyncio
async def test_advancing_too_far_is_a_friendly_line(tmp_path: Path) -> None:
    transcript = await play(
        tmp_path / "a.db",
        ["/advance 3000000d", "/advance 99999999999999999999999w", "/advance 53w", "/whoami"],
    )
    assert transcript.count("/advance goes at most 52 weeks at a time") == 3
    assert "host (admin) in #general" in transcript  # the console is still running


@pytest.mark.asyncio
async def test_a_broken_link_in_a_form_is_asked_again(tmp_path: Path) -> None:
    transcript = await play(
        tmp_path / "l.db",
        [
            "/as ann",
            SPRINT,
            "/sprint complete",
            "http://[::1",
            "https://example.org/<script>",
            "https://example.org/workshop",
        ],
    )
    assert transcript.count("✗ Link to your deliverable must be a web link") == 2
    # The third answer is taken: the form closes and the completion goes on with it.
    assert "Cancelled" not in transcript
    assert transcript.count("https://example.org/workshop") >= 2  # typed, then in the reply


@pytest.mark.asyncio
async def test_edit_forms_say_enter_keeps_the_current_value(tmp_path: Path) -> None:
    transcript = await play(
        tmp_path / "e.db",
        [
            "/as ann",
            SPRINT + " weeks:8",
            "/sprint edit",
            "",  # goal kept
            "binaural mixing",
            "",
            "",
            "10",
            "/advance 7d3h",
            '/checkin progress:"Built the rig" confidence:4 hours:5.5',
            "/press 1",  # the prompt's "Check in" opens the filled-in form
            "",
            "",
            "",
            "/cancel",
        ],
    )
    assert "Goal (up to 200 characters; Enter keeps: Mix a binaural pilot): " in transcript
    assert "Sprint updated: Mix a binaural pilot" in transcript
    assert "Week: 1 of 10" in transcript
    assert "Hours spent (0–168; Enter keeps: 5.5): " in transcript
    assert "What is blocking you? (up to 1000 characters; optional, Enter skips): " in transcript
    assert "optional, Enter skips; Enter keeps" not in transcript
