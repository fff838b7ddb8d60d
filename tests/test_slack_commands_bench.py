"""The slash-command benchmark's harness runs: a real process answers every signed command.

A smoke test of benchmarks/slack_commands.py with a dozen commands (its figures are the
benchmark's, never asserted here): every command is signed, acknowledged and answered.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from benchmarks.slack_commands import one_run, report
from tests.postgres_server import PostgresServer


@pytest.mark.asyncio
async def test_the_benchmark_sends_every_command_and_collects_every_answer(
    postgres_server: PostgresServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = argparse.Namespace(commands=12, seconds=1.0, members=3)
    run = await one_run(postgres_server, tmp_path, "slack_commands_smoke", 1, args)

    assert len(run.sent) == 12
    assert {s.status for s in run.sent} == {200}
    assert set(run.answers) == {s.response_url for s in run.sent}
    said = [text for _, text in run.answers.values()]
    assert sum("Sprint started" in text for text in said) == 3 * run.workspaces
    assert report(run, args.seconds) == 0
    assert "errors                              0" in capsys.readouterr().out
