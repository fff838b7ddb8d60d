"""Errors a user can fix: each becomes a friendly one-line reply, never a traceback."""

from __future__ import annotations


class UserError(Exception):
    """Something the person typed or asked for that we can't do; the message says what to fix."""

    def __init__(self, message: str, *, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


class OptionError(UserError):
    """A single option's value is wrong; forms show it beside that field."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


class StartupError(Exception):
    """The bot cannot start (bad configuration, unreadable database); the message says why."""
