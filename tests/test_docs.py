"""The README's command table and quick start stay true to the code."""

from __future__ import annotations

from pathlib import Path

from bot.app import build_registry

ROOT = Path(__file__).resolve().parent.parent


def test_readme_lists_every_command() -> None:
    readme = (ROOT / "README.md").read_text()
    for command in build_registry():
        assert f"`/{command.name}" in readme or (
            command.name == "checkin submit" and "`/checkin`" in readme
        ), command.name


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
