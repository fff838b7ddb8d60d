"""Tokens kept in the database are encrypted with CROSSFADE_SECRET_KEY, and keys rotate."""

from __future__ import annotations

import logging
import sys

import pytest
from cryptography.fernet import Fernet

from bot.config import load_settings
from bot.errors import StartupError
from bot.logs import RedactingFormatter
from bot.secrets_at_rest import TokenCipher, WrongSecretKey

TOKEN = "xoxb-111-222-workspace-secret"


def _key() -> str:
    return Fernet.generate_key().decode()


def test_a_token_is_stored_encrypted_and_reads_back() -> None:
    cipher = TokenCipher([_key()])
    stored = cipher.encrypt(TOKEN)
    assert TOKEN not in stored
    assert cipher.decrypt(stored) == TOKEN


def test_an_old_key_still_decrypts_and_rotate_moves_to_the_new_one() -> None:
    old, new = _key(), _key()
    stored = TokenCipher([old]).encrypt(TOKEN)
    both = TokenCipher.from_setting(f"{new}, {old}")
    assert both.decrypt(stored) == TOKEN
    rotated = both.rotate(stored)
    assert TokenCipher([new]).decrypt(rotated) == TOKEN
    with pytest.raises(WrongSecretKey):
        TokenCipher([old]).decrypt(rotated)


def test_a_wrong_key_says_so_in_one_line_without_the_token() -> None:
    stored = TokenCipher([_key()]).encrypt(TOKEN)
    with pytest.raises(WrongSecretKey) as caught:
        TokenCipher([_key()]).decrypt(stored)
    message = str(caught.value)
    assert "CROSSFADE_SECRET_KEY can't decrypt" in message
    assert "\n" not in message
    assert TOKEN not in message
    with pytest.raises(WrongSecretKey):
        TokenCipher([_key()]).rotate(stored)


def test_settings_read_several_keys_newest_first() -> None:
    new, old = _key(), _key()
    settings = load_settings({"CROSSFADE_SECRET_KEY": f" {new} ,{old}"})
    assert settings.secret_keys == (new, old)
    assert {new, old} <= set(settings.secrets())


@pytest.mark.parametrize(
    ("raw", "names"),
    [("not-a-key", "it is not one"), (f"{Fernet.generate_key().decode()},short", "key 2")],
    # The generated key differs per import: fixed ids keep xdist workers' collections equal.
    ids=["one-bad-key", "bad-second-key"],
)
def test_a_malformed_key_is_a_configuration_problem(raw: str, names: str) -> None:
    with pytest.raises(StartupError) as caught:
        load_settings({"CROSSFADE_SECRET_KEY": raw})
    message = str(caught.value)
    assert "CROSSFADE_SECRET_KEY must be one or more Fernet keys" in message
    assert names in message
    assert "Fernet.generate_key()" in message
    assert raw.split(",")[-1] not in message


def test_the_secret_keys_never_reach_the_logs() -> None:
    key = _key()
    settings = load_settings({"CROSSFADE_SECRET_KEY": key})
    formatter = RedactingFormatter("%(message)s", settings.secrets())
    try:
        raise RuntimeError(f"boom with {key}")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, "f", 1, "key %s", (key,), sys.exc_info())
    assert key not in formatter.format(record)
