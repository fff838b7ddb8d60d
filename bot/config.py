"""Settings from environment variables (and an optional .env), checked at start."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.errors import StartupError

DEFAULT_DB = "./data/crossfade.db"


@dataclass(frozen=True)
class Settings:
    """Crossfade's configuration; secrets live only here and in the environment."""

    db_path: Path
    log_level: str = "INFO"
    discord_token: str | None = None
    discord_guild_id: int | None = None
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    slack_port: int = 3000

    @property
    def wants_discord(self) -> bool:
        """Discord is configured."""
        return self.discord_token is not None

    @property
    def wants_slack(self) -> bool:
        """Slack is configured."""
        return self.slack_bot_token is not None

    def secrets(self) -> list[str]:
        """Every secret value, so logs can hide them."""
        values = [
            self.discord_token,
            self.slack_bot_token,
            self.slack_app_token,
            self.slack_signing_secret,
        ]
        return [v for v in values if v]


def load_dotenv_file(path: str | Path = ".env") -> None:
    """Read a .env file if there is one; real environment variables win."""
    from dotenv import load_dotenv

    load_dotenv(path, override=False)


def _clean(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the environment, listing every problem at once."""
    env = os.environ if env is None else env
    problems: list[str] = []
    level = (_clean(env, "CROSSFADE_LOG_LEVEL") or "INFO").upper()
    if level not in logging.getLevelNamesMapping():
        problems.append(f"CROSSFADE_LOG_LEVEL '{level}' is not a log level (try INFO or DEBUG).")
    guild: int | None = None
    raw_guild = _clean(env, "DISCORD_GUILD_ID")
    if raw_guild is not None:
        if raw_guild.isdigit():
            guild = int(raw_guild)
        else:
            problems.append("DISCORD_GUILD_ID must be the server's numeric id.")
    port = 3000
    raw_port = _clean(env, "SLACK_PORT")
    if raw_port is not None:
        if raw_port.isdigit() and 0 < int(raw_port) < 65536:
            port = int(raw_port)
        else:
            problems.append("SLACK_PORT must be a port number between 1 and 65535.")
    bot_token = _clean(env, "SLACK_BOT_TOKEN")
    app_token = _clean(env, "SLACK_APP_TOKEN")
    secret = _clean(env, "SLACK_SIGNING_SECRET")
    if bot_token is not None and not bot_token.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb-.")
    if app_token is not None and not app_token.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN must be an app-level token starting with xapp-.")
    if bot_token is not None and app_token is None and secret is None:
        problems.append(
            "With SLACK_BOT_TOKEN, set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET "
            "(HTTP)."
        )
    if bot_token is None and (app_token or secret):
        problems.append("SLACK_APP_TOKEN/SLACK_SIGNING_SECRET need SLACK_BOT_TOKEN too.")
    discord = _clean(env, "DISCORD_TOKEN")
    if discord is not None and (len(discord) < 50 or re.search(r"\s", discord)):
        problems.append(
            "DISCORD_TOKEN doesn't look like a bot token (copy it from the "
            "Developer Portal's Bot page)."
        )
    if problems:
        raise StartupError("Configuration problems:\n  - " + "\n  - ".join(problems))
    return Settings(
        db_path=Path(_clean(env, "CROSSFADE_DB") or DEFAULT_DB),
        log_level=level,
        discord_token=discord,
        discord_guild_id=guild,
        slack_bot_token=bot_token,
        slack_app_token=app_token,
        slack_signing_secret=secret,
        slack_port=port,
    )
