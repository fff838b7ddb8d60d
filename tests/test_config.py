"""Configuration is validated at start, and secrets never reach the logs."""

from __future__ import annotations

import logging

import pytest

from bot.config import load_settings
from bot.errors import StartupError
from bot.logs import RedactSecrets

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


def test_secrets_are_redacted_from_logs(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("crossfade.test")
    redact = RedactSecrets(["s3cr3t-signing"])
    log.addFilter(redact)
    try:
        with caplog.at_level(logging.INFO, logger="crossfade.test"):
            log.info("token %s and %s and %s", "xoxb-123-456-abcdef", DISCORD, "s3cr3t-signing")
    finally:
        log.removeFilter(redact)
    assert "xoxb-123" not in caplog.text
    assert DISCORD not in caplog.text
    assert "s3cr3t-signing" not in caplog.text
    assert caplog.text.count("[redacted]") == 3
