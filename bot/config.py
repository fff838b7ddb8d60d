"""Settings from environment variables (and an optional .env), checked at start."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.errors import StartupError
from bot.links import DEFAULT_HTTP_PORT, public_base
from bot.secrets_at_rest import SECRET_KEY, parse_keys

DEFAULT_DB = "./data/crossfade.db"
HTTP_PORT = "CROSSFADE_HTTP_PORT"
# The web app's port was Slack's alone before, under this name; it is still read.
OLD_HTTP_PORT = "SLACK_PORT"
_HOST = re.compile(r"[A-Za-z0-9.-]+|[0-9A-Fa-f:.]+")


@dataclass(frozen=True)
class Settings:
    """Crossfade's configuration; secrets live only here and in the environment."""

    db_path: Path
    log_level: str = "INFO"
    # CROSSFADE_DATABASE_URL: a PostgreSQL database instead of the SQLite file at db_path.
    database_url: str | None = None
    discord_token: str | None = None
    discord_guild_id: int | None = None
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    # Distribution (SLACK_CLIENT_ID + SLACK_CLIENT_SECRET): any workspace installs the app
    # through the OAuth flow; each one's bot token is kept, encrypted, in the database.
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    # The web app (/healthz, Slack's Request URL, features' routes): one port for all.
    http_port: int = DEFAULT_HTTP_PORT
    # The variable the port came from (HTTP_PORT or OLD_HTTP_PORT), "" for the default.
    http_port_from: str = ""
    http_host: str | None = None  # None: 127.0.0.1 for the console, 0.0.0.0 otherwise
    public_url: str | None = None  # CROSSFADE_PUBLIC_URL, without its trailing "/"
    # Discord sharding (DISCORD_SHARD_COUNT, DISCORD_SHARD_IDS): None is one connection.
    discord_shard_count: int | None = None
    discord_shard_ids: tuple[int, ...] | None = None  # None with a count: every shard here
    # CROSSFADE_SECRET_KEY: Fernet keys, newest first, that encrypt tokens kept in the database.
    secret_keys: tuple[str, ...] = ()

    @property
    def slack_port(self) -> int:
        """Where Slack's HTTP requests are served: the web app's port."""
        return self.http_port

    def web_host(self, *, console: bool) -> str:
        """The address the web app listens on: only this machine for the console by default."""
        return self.http_host or ("127.0.0.1" if console else "0.0.0.0")

    def notes(self) -> list[str]:
        """What to log once at start about how the settings were read."""
        if self.http_port_from == OLD_HTTP_PORT:
            return [
                f"{OLD_HTTP_PORT} is read as {HTTP_PORT}, its new name: the web app (Slack's "
                f"Request URL, /healthz, calendar feeds) listens on port {self.http_port}."
            ]
        return []

    @property
    def wants_discord(self) -> bool:
        """Discord is configured."""
        return self.discord_token is not None

    @property
    def wants_slack(self) -> bool:
        """Slack is configured (one workspace's token, or distribution)."""
        return self.slack_bot_token is not None or self.slack_distributed

    @property
    def slack_distributed(self) -> bool:
        """Slack is distributed: workspaces install the app through the OAuth flow."""
        return self.slack_client_id is not None and self.slack_client_secret is not None

    def secrets(self) -> list[str]:
        """Every secret value, so logs can hide them."""
        values = [
            self.discord_token,
            self.slack_bot_token,
            self.slack_app_token,
            self.slack_signing_secret,
            self.slack_client_secret,
            self.database_password,
            *self.secret_keys,
        ]
        return [v for v in values if v]

    @property
    def database_password(self) -> str | None:
        """The password inside CROSSFADE_DATABASE_URL, if it has one (hidden in logs)."""
        if self.database_url is None:
            return None
        from urllib.parse import unquote, urlsplit

        secret = urlsplit(self.database_url).password
        return unquote(secret) if secret else None

    @property
    def database_label(self) -> str:
        """The database for messages: the SQLite file, or the PostgreSQL database's place."""
        if self.database_url is None:
            return str(self.db_path)
        from bot.storage.postgres_address import where

        return f"PostgreSQL {where(self.database_url)}"


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
    port, port_from = _http_port(env, problems)
    host = _clean(env, "CROSSFADE_HTTP_HOST")
    if host is not None and not _HOST.fullmatch(host):
        problems.append(
            "CROSSFADE_HTTP_HOST must be an address to listen on, such as 0.0.0.0 (every "
            "interface) or 127.0.0.1 (this machine only)."
        )
    public: str | None = None
    raw_public = _clean(env, "CROSSFADE_PUBLIC_URL")
    if raw_public is not None:
        try:
            public = public_base(raw_public)
        except ValueError as exc:
            problems.append(_public_problem(exc))
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
    client_id = _clean(env, "SLACK_CLIENT_ID")
    client_secret = _clean(env, "SLACK_CLIENT_SECRET")
    distributed = client_id is not None and client_secret is not None
    if distributed:
        problems.extend(_distribution_problems(env, bot_token, app_token, secret, raw_public))
    elif client_id is not None or client_secret is not None:
        problems.append(
            "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together (Basic Information → App "
            "Credentials): set both to distribute the app, or neither."
        )
    elif bot_token is None and (app_token or secret):
        problems.append("SLACK_APP_TOKEN/SLACK_SIGNING_SECRET need SLACK_BOT_TOKEN too.")
    discord = _clean(env, "DISCORD_TOKEN")
    if discord is not None and (len(discord) < 50 or re.search(r"\s", discord)):
        problems.append(
            "DISCORD_TOKEN doesn't look like a bot token (copy it from the "
            "Developer Portal's Bot page)."
        )
    shard_count, shard_ids = discord_shards(env, problems)
    database_url = _clean(env, "CROSSFADE_DATABASE_URL")
    if database_url is not None and not database_url.startswith(("postgresql://", "postgres://")):
        problems.append(
            "CROSSFADE_DATABASE_URL must be a PostgreSQL address such as "
            "postgresql://user:password@host:5432/crossfade (unset it to use the SQLite file)."
        )
    secret_keys = _secret_keys(env, problems)
    if problems:
        raise StartupError("Configuration problems:\n  - " + "\n  - ".join(problems))
    return Settings(
        db_path=Path(_clean(env, "CROSSFADE_DB") or DEFAULT_DB),
        log_level=level,
        database_url=database_url,
        discord_token=discord,
        discord_guild_id=guild,
        slack_bot_token=bot_token,
        slack_app_token=app_token,
        slack_signing_secret=secret,
        slack_client_id=client_id,
        slack_client_secret=client_secret,
        http_port=port,
        http_port_from=port_from,
        http_host=host,
        public_url=public,
        discord_shard_count=shard_count,
        discord_shard_ids=shard_ids,
        secret_keys=secret_keys,
    )


def _public_problem(exc: ValueError) -> str:
    return (
        f"CROSSFADE_PUBLIC_URL {exc}: give the address people open the bot's links at, "
        "e.g. https://crossfade.example.org."
    )


def public_url_from(env: Mapping[str, str]) -> str | None:
    """CROSSFADE_PUBLIC_URL alone (for the Slack manifest), without its trailing "/"."""
    raw = _clean(env, "CROSSFADE_PUBLIC_URL")
    if raw is None:
        return None
    try:
        return public_base(raw)
    except ValueError as exc:
        raise StartupError(_public_problem(exc)) from None


def _distribution_problems(
    env: Mapping[str, str],
    bot_token: str | None,
    app_token: str | None,
    signing_secret: str | None,
    public_url: str | None,
) -> list[str]:
    """What a distributed Slack app (SLACK_CLIENT_ID/SECRET) still lacks or can't have."""
    problems = []
    if bot_token is not None:
        problems.append(
            "SLACK_BOT_TOKEN is one workspace's token; a distributed app (SLACK_CLIENT_ID) gets "
            "each workspace's token when it installs: unset SLACK_BOT_TOKEN."
        )
    if app_token is not None:
        problems.append(
            "A distributed app (SLACK_CLIENT_ID) is served over HTTP, not Socket Mode: unset "
            "SLACK_APP_TOKEN."
        )
    if signing_secret is None:
        problems.append(
            "A distributed app (SLACK_CLIENT_ID) needs SLACK_SIGNING_SECRET (Basic Information "
            "→ App Credentials) to check Slack's requests."
        )
    if public_url is None:
        problems.append(
            "A distributed app (SLACK_CLIENT_ID) needs CROSSFADE_PUBLIC_URL: Slack sends "
            "installers back to <CROSSFADE_PUBLIC_URL>/slack/oauth_redirect."
        )
    if _clean(env, SECRET_KEY) is None:
        problems.append(
            f"A distributed app (SLACK_CLIENT_ID) keeps each workspace's token in the database: "
            f"set {SECRET_KEY} (a Fernet key) to encrypt them."
        )
    return problems


def _secret_keys(env: Mapping[str, str], problems: list[str]) -> tuple[str, ...]:
    raw = _clean(env, SECRET_KEY)
    if raw is None:
        return ()
    try:
        return parse_keys(raw)
    except ValueError as exc:
        problems.append(f"{exc}.")
        return ()


def _port(env: Mapping[str, str], name: str, problems: list[str], lowest: int) -> int | None:
    raw = _clean(env, name)
    if raw is None:
        return None
    if raw.isdigit() and lowest <= int(raw) < 65536:
        return int(raw)
    problems.append(f"{name} must be a port number between {lowest} and 65535.")
    return None


def _http_port(env: Mapping[str, str], problems: list[str]) -> tuple[int, str]:
    """The web app's port and the variable it came from; 0 picks any free port."""
    new = _port(env, HTTP_PORT, problems, 0)
    old = _port(env, OLD_HTTP_PORT, problems, 1)
    if new is not None and old is not None and new != old:
        problems.append(
            f"{HTTP_PORT} ({new}) and {OLD_HTTP_PORT} ({old}) differ: everything is served on "
            f"one port now; keep {HTTP_PORT} and remove {OLD_HTTP_PORT}."
        )
    if new is not None:
        return new, HTTP_PORT
    if old is not None:
        return old, OLD_HTTP_PORT
    return DEFAULT_HTTP_PORT, ""


# -- Discord sharding ---------------------------------------------------------------------

SHARD_COUNT = "DISCORD_SHARD_COUNT"
SHARD_IDS = "DISCORD_SHARD_IDS"
_SHARD_RANGE = re.compile(r"(\d+)(?:-(\d+))?")


def discord_shards(
    env: Mapping[str, str], problems: list[str]
) -> tuple[int | None, tuple[int, ...] | None]:
    """DISCORD_SHARD_COUNT and DISCORD_SHARD_IDS (e.g. "0,2-3"); (None, None) when unset."""
    raw_count, raw_ids = _clean(env, SHARD_COUNT), _clean(env, SHARD_IDS)
    count: int | None = None
    if raw_count is not None:
        if raw_count.isdigit() and int(raw_count) >= 1:
            count = int(raw_count)
        else:
            problems.append(
                f"{SHARD_COUNT} must be a whole number of shards, 1 or more (Discord's "
                "recommendation is on the Developer Portal, or GET /gateway/bot)."
            )
            return None, None
    if raw_ids is None:
        return count, None
    if count is None:
        problems.append(
            f"{SHARD_IDS} needs {SHARD_COUNT} too: set the total number of shards every "
            "process shares."
        )
        return None, None
    ids: set[int] = set()
    for part in raw_ids.split(","):
        found = _SHARD_RANGE.fullmatch(part.strip())
        first = int(found[1]) if found else -1
        last = int(found[2] or found[1]) if found else -1
        if found is None or last < first or last >= count:
            problems.append(
                f"{SHARD_IDS} '{raw_ids}' must list shard ids and ranges below {SHARD_COUNT} "
                f"({count}), such as 0,2-3."
            )
            return None, None
        ids.update(range(first, last + 1))
    return count, tuple(sorted(ids))
