"""Clocks: the core never reads the system time directly, so tests and the console can move it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that can tell the current UTC time."""

    def now(self) -> datetime:
        """Return the current time as an aware UTC datetime."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """Return the real current time in UTC."""
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to (tests and the console's /advance)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """Return the clock's current time."""
        return self._now

    def set(self, moment: datetime) -> None:
        """Jump to a moment; going backwards is refused because schedules assume time moves on."""
        moment = moment.astimezone(UTC)
        if moment < self._now:
            raise ValueError("FakeClock cannot go backwards")
        self._now = moment

    def advance(self, delta: timedelta) -> None:
        """Move forward by a duration."""
        self.set(self._now + delta)


class OffsetClock:
    """Real time plus a fast-forward offset: the console's clock, so /advance skips ahead."""

    def __init__(self, base: Clock | None = None, offset: timedelta = timedelta()) -> None:
        if offset < timedelta():
            raise ValueError("the clock cannot start behind real time")
        self._base = base or SystemClock()
        self._offset = offset

    @property
    def offset(self) -> timedelta:
        """How far ahead of real time the clock runs (everything advanced so far)."""
        return self._offset

    def now(self) -> datetime:
        """Return real time shifted by everything advanced so far."""
        return self._base.now() + self._offset

    def set(self, moment: datetime) -> None:
        """Jump forward to a moment."""
        delta = moment - self.now()
        if delta < timedelta():
            raise ValueError("the clock cannot go backwards")
        self._offset += delta

    def advance(self, delta: timedelta) -> None:
        """Skip ahead by a duration."""
        self.set(self.now() + delta)


class MovableClock(Clock, Protocol):
    """A clock that can be moved forward (fake and fast-forward clocks)."""

    def set(self, moment: datetime) -> None:
        """Jump forward to a moment."""
        ...
