"""Parsed, validated option values with typed access for handlers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time

from bot.models import Member


@dataclass(frozen=True)
class Args:
    """Option values after validation; absent optional options are simply missing."""

    values: Mapping[str, object]
    # True when a whole form was submitted: an emptied field then means "clear it", whereas a
    # typed command changes only the options it names.
    from_form: bool = False

    def has(self, name: str) -> bool:
        """Whether the option was given."""
        return name in self.values

    def text(self, name: str, default: str = "") -> str:
        """A text, choice, time zone or URL option."""
        value = self.values.get(name, default)
        assert isinstance(value, str)
        return value

    def optional_text(self, name: str) -> str | None:
        """A text option that may be absent."""
        return self.text(name) if name in self.values else None

    def integer(self, name: str, default: int | None = None) -> int | None:
        """An integer option."""
        value = self.values.get(name, default)
        assert value is None or isinstance(value, int)
        return value

    def number(self, name: str, default: float | None = None) -> float | None:
        """A decimal option (whole numbers from a platform count too)."""
        value = self.values.get(name, default)
        assert value is None or isinstance(value, int | float)
        return None if value is None else float(value)

    def boolean(self, name: str) -> bool | None:
        """A yes/no option."""
        value = self.values.get(name)
        assert value is None or isinstance(value, bool)
        return value

    def day(self, name: str) -> date | None:
        """A date option."""
        value = self.values.get(name)
        assert value is None or isinstance(value, date)
        return value

    def clock_time(self, name: str) -> time | None:
        """A time-of-day option."""
        value = self.values.get(name)
        assert value is None or isinstance(value, time)
        return value

    def member(self, name: str) -> Member | None:
        """A member option, resolved to the member record."""
        value = self.values.get(name)
        assert value is None or isinstance(value, Member)
        return value
