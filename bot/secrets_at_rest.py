"""Secrets kept in the database (platform tokens), encrypted with CROSSFADE_SECRET_KEY."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

SECRET_KEY = "CROSSFADE_SECRET_KEY"
MAKE_KEY = (
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


class WrongSecretKey(Exception):
    """Something stored can't be decrypted with any of the configured keys."""


def parse_keys(raw: str) -> tuple[str, ...]:
    """The comma-separated Fernet keys of CROSSFADE_SECRET_KEY, newest first; ValueError if bad."""
    keys = tuple(part.strip() for part in raw.split(",") if part.strip())
    if not keys:
        raise ValueError(f"{SECRET_KEY} is empty")
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            which = f"key {number}" if len(keys) > 1 else "it"
            raise ValueError(
                f"{SECRET_KEY} must be one or more Fernet keys, comma-separated, newest first, "
                f"and {which} is not one (make a key with: {MAKE_KEY})"
            ) from None
    return keys


class TokenCipher:
    """Encrypts with the newest key; decrypts with any, so an old key keeps working."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError(f"{SECRET_KEY} has no key")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def from_setting(cls, raw: str) -> TokenCipher:
        """A cipher from CROSSFADE_SECRET_KEY's value."""
        return cls(parse_keys(raw))

    def encrypt(self, secret: str) -> str:
        """The secret, encrypted with the newest key, as text for a database column."""
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def decrypt(self, stored: str) -> str:
        """The secret back from its stored form; WrongSecretKey if no key opens it."""
        try:
            return self._fernet.decrypt(stored.encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise WrongSecretKey(
                f"{SECRET_KEY} can't decrypt the tokens stored in the database: put back the "
                "key they were stored with (a new key goes first, the old one after a comma)"
            ) from None

    def rotate(self, stored: str) -> str:
        """The stored form re-encrypted with the newest key (WrongSecretKey if unreadable)."""
        try:
            return self._fernet.rotate(stored.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            self.decrypt(stored)  # raises the one clear message
            raise
