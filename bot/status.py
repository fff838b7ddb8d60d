"""What a running Crossfade knows about itself: its platform connections and its last tick.

Adapters report their connection up or down through a ``Link``; the scheduler reports ticks.
The scheduler's heartbeat writes the record beside the database, and ``crossfade health``
(another process) reads it back with ``read_status``.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.clock import Clock

VERSION = 1


@dataclass(frozen=True)
class LinkState:
    """One platform connection as last reported: up or down, since when, and why."""

    label: str
    connected: bool
    since: datetime
    reason: str = ""


@dataclass(frozen=True)
class Snapshot:
    """The whole record, as written with the heartbeat."""

    written_at: datetime
    started_at: datetime
    last_tick: datetime | None
    tick_running_since: datetime | None
    links: tuple[LinkState, ...]


class Link:
    """A platform's connection, reported by its adapter (down until it first connects)."""

    def __init__(self, clock: Clock, label: str) -> None:
        self._clock = clock
        self._state = LinkState(label, False, clock.now(), "connecting")

    @property
    def state(self) -> LinkState:
        """The connection as last reported."""
        return self._state

    @property
    def connected(self) -> bool:
        """Whether the platform is connected now."""
        return self._state.connected

    def up(self) -> None:
        """The platform is connected."""
        if not self._state.connected:
            self._state = LinkState(self._state.label, True, self._clock.now())

    def down(self, reason: str) -> None:
        """The platform is disconnected; an outage keeps the moment it began."""
        if self._state.connected:
            self._state = LinkState(self._state.label, False, self._clock.now(), reason)


class Status:
    """The process's own record: connections and ticks, written with the heartbeat."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.started_at = clock.now()
        self.last_tick: datetime | None = None
        self.tick_running_since: datetime | None = None
        self._links: list[Link] = []

    def link(self, label: str) -> Link:
        """A new connection to report on, named as people know it (e.g. "Discord")."""
        link = Link(self.clock, label)
        self._links.append(link)
        return link

    def tick_started(self) -> None:
        """A tick began."""
        self.tick_running_since = self.clock.now()

    def tick_finished(self) -> None:
        """A tick completed."""
        self.last_tick = self.clock.now()

    def tick_ended(self) -> None:
        """No tick is running any more (completed or failed)."""
        self.tick_running_since = None

    def snapshot(self) -> Snapshot:
        """The record as of now."""
        return Snapshot(
            written_at=self.clock.now(),
            started_at=self.started_at,
            last_tick=self.last_tick,
            tick_running_since=self.tick_running_since,
            links=tuple(link.state for link in self._links),
        )

    def write(self, path: Path) -> None:
        """Replace the record at ``path`` in one step, so a reader never sees half of it."""
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(_dump(self.snapshot()), encoding="utf-8")
        os.replace(temporary, path)


def _dump(snapshot: Snapshot) -> str:
    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    data: dict[str, Any] = {
        "version": VERSION,
        "written_at": when(snapshot.written_at),
        "started_at": when(snapshot.started_at),
        "last_tick": when(snapshot.last_tick),
        "tick_running_since": when(snapshot.tick_running_since),
        "links": [
            {"label": s.label, "connected": s.connected, "since": when(s.since), "reason": s.reason}
            for s in snapshot.links
        ],
    }
    return json.dumps(data)


def read_status(text: str) -> Snapshot | None:
    """The record in ``text``; None if it holds none (an older Crossfade's empty heartbeat)."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return None

        def when(key: str, source: dict[str, Any] = data) -> datetime | None:
            raw = source.get(key)
            return datetime.fromisoformat(raw) if isinstance(raw, str) else None

        written, started = when("written_at"), when("started_at")
        if written is None or started is None:
            return None
        links = []
        for item in data.get("links") or []:
            since = when("since", item)
            if since is not None:
                reason = str(item.get("reason") or "")
                links.append(LinkState(str(item["label"]), bool(item["connected"]), since, reason))
        return Snapshot(
            written, started, when("last_tick"), when("tick_running_since"), tuple(links)
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


class Backoff:
    """Waits between reconnection attempts: ``first`` seconds, doubling up to ``cap``."""

    def __init__(
        self,
        first: float = 1.0,
        cap: float = 300.0,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.first = first
        self.cap = cap
        self._sleep = sleep
        self._attempts = 0

    def next_delay(self) -> float:
        """The wait before the next attempt (and count it)."""
        delay = min(self.cap, self.first * 2.0 ** min(self._attempts, 32))
        self._attempts += 1
        return delay

    async def sleep(self, delay: float) -> None:
        """Wait ``delay`` seconds (tests pass a sleep that returns when they say)."""
        await self._sleep(delay)

    def reset(self) -> None:
        """Connected again: the next outage starts from ``first``."""
        self._attempts = 0
