"""`crossfade discord-invite`: the link that adds the bot, with only the permissions it uses."""

from __future__ import annotations

import base64
import warnings
from pathlib import Path
from urllib.parse import parse_qs, urlparse, urlsplit

import pytest

from adapters.cli import main

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord

    from adapters.discord.invite import client_id_from_token, invite_url

APP_ID = 1100000000000000001


def token_for(app_id: int) -> str:
    head = base64.b64encode(str(app_id).encode()).decode().rstrip("=")
    return f"{head}.GaBcDe.{'x' * 38}"


def test_the_invite_asks_for_bot_and_commands_and_only_needed_permissions() -> None:
    query = parse_qs(urlparse(invite_url(APP_ID)).query)

    assert query["client_id"] == [str(APP_ID)]
    assert query["scope"] == ["bot applications.commands"]
    granted = discord.Permissions(int(query["permissions"][0]))
    # discord.py names View Channel by its old name, read_messages.
    assert {name for name, on in granted if on} == {
        "read_messages",
        "send_messages",
        "embed_links",
        "attach_files",  # a message's files (issue 8: attachments)
        "read_message_history",
        # Issue 8: sessions mirrored as scheduled events (voice ones need Connect).
        "create_events",
        "connect",
    }


def test_the_client_id_is_read_from_the_token() -> None:
    assert client_id_from_token(token_for(APP_ID)) == APP_ID
    assert client_id_from_token("not a token") is None


@pytest.mark.parametrize(
    ("env", "expected"),
    [({"DISCORD_CLIENT_ID": "42"}, "client_id=42"), ({}, f"client_id={APP_ID}")],
)
def test_cli_prints_the_invite(
    env: dict[str, str],
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("DISCORD_CLIENT_ID", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DISCORD_TOKEN", token_for(APP_ID))
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    assert main(["discord-invite"]) == 0

    out = capsys.readouterr().out.strip()
    link = urlsplit(out)  # printed for the admin to open; nothing here fetches it
    assert (link.scheme, link.netloc, link.path) == ("https", "discord.com", "/oauth2/authorize")
    assert expected in out
    assert token_for(APP_ID) not in out


def test_cli_explains_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("DISCORD_CLIENT_ID", "DISCORD_TOKEN", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    assert main(["discord-invite"]) == 2

    assert "Set DISCORD_CLIENT_ID" in capsys.readouterr().err
