"""Configuration is validated at start, and secrets never reach the logs."""

from __future__ import annotations

import logging
import sys

import pytest

from bot.config import load_settings
from bot.errors import StartupError
from bot.logs import RedactingFormatter

DISCORD = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"


def test_defaults_run_the_console_on_sqlite() -> None:
    settings = load_settings({})
    assert str(settings.db_path) == "data/crossfade.db"
    assert not settings.wants_slack
    assert not settings.wants_discord


def test_platform_settings() -> None:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
            "SLACK_SIGNING_SECRET": "s3cr3t",
            "DISCORD_TOKEN": DISCORD,
            "DISCORD_GUILD_ID": "123456789",
            "CROSSFADE_DB": "/var/lib/crossfade/c.db",
            "SLACK_PORT": "8080",
        }
    )
    assert settings.wants_slack
    assert settings.wants_discord
    assert settings.discord_guild_id == 123456789
    assert settings.slack_port == 8080
    assert set(settings.secrets()) == {"xoxb-1-2-abc", "s3cr3t", DISCORD}


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(StartupError) as caught:
        load_settings(
            {
                "SLACK_BOT_TOKEN": "xoxp-user-token",
                "SLACK_PORT": "99999",
                "CROSSFADE_LOG_LEVEL": "chatty",
                "DISCORD_TOKEN": "short",
            }
        )
    message = str(caught.value)
    assert "SLACK_BOT_TOKEN must be a bot token starting with xoxb-." in message
    assert "SLACK_PORT must be a port number" in message
    assert "CROSSFADE_LOG_LEVEL 'CHATTY' is not a log level" in message
    assert "DISCORD_TOKEN doesn't look like a bot token" in message
    assert "xoxp-user-token" not in message


def test_secrets_are_redacted_from_logs_and_tracebacks() -> None:
    formatter = RedactingFormatter("%(message)s", ["s3cr3t-signing"])
    try:
        raise RuntimeError(f"bad token {DISCORD}")
    except RuntimeError:
        record = logging.getLogger("t").makeRecord(
            "t",
            logging.ERROR,
            __file__,
            1,
            "token %s and %s and %s",
            ("xoxb-123-456-abcdef", DISCORD, "s3cr3t-signing"),
            sys.exc_info(),
        )
    shown = formatter.format(record)
    assert "xoxb-123" not in shown
    assert DISCORD not in shown
    assert "s3cr3t-signing" not in shown
    assert "RuntimeError: bad token [redacted]" in shown
    assert shown.count("[redacted]") == 4


def test_without_shard_settings_discord_is_one_connection() -> None:
    settings = load_settings({"DISCORD_TOKEN": DISCORD})
    assert (settings.discord_shard_count, settings.discord_shard_ids) == (None, None)


def test_shard_ids_and_ranges() -> None:
    settings = load_settings({"DISCORD_SHARD_COUNT": "6", "DISCORD_SHARD_IDS": "4, 0-1,1"})
    assert settings.discord_shard_count == 6
    assert settings.discord_shard_ids == (0, 1, 4)
    every = load_settings({"DISCORD_SHARD_COUNT": "2"})
    assert (every.discord_shard_count, every.discord_shard_ids) == (2, None)


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"DISCORD_SHARD_COUNT": "0"},
            "DISCORD_SHARD_COUNT must be a whole number of shards, 1 or more",
        ),
        (
            {"DISCORD_SHARD_COUNT": "two"},
            "DISCORD_SHARD_COUNT must be a whole number of shards, 1 or more",
        ),
        ({"DISCORD_SHARD_IDS": "0"}, "DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT too"),
        (
            {"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "0,4"},
            "DISCORD_SHARD_IDS '0,4' must list shard ids and ranges below DISCORD_SHARD_COUNT "
            "(4), such as 0,2-3.",
        ),
        (
            {"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "3-1"},
            "DISCORD_SHARD_IDS '3-1' must list shard ids",
        ),
        (
            {"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "0,,1"},
            "DISCORD_SHARD_IDS '0,,1' must list shard ids",
        ),
    ],
)
def test_bad_shard_settings_are_refused_with_one_line(env: dict[str, str], line: str) -> None:
    with pytest.raises(StartupError) as caught:
        load_settings(env)
    problems = str(caught.value).splitlines()[1:]
    assert len(problems) == 1
    assert line in problems[0]
