"""What a feature is: its commands, timed jobs, channel purposes, type-ahead sources and notes.

A feature is a package under ``bot/features/`` exporting one ``FEATURE``; the list in
``bot/features/__init__.py`` is all the app and the engine know of features. Nothing in the
core (app, engine, outbox, scheduler) or in an adapter names a feature: adding one is a new
package, its storage module and its migration, plus its line in that list.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.clock import Clock
from bot.commands.registry import Choice, Registry
from bot.context import Context
from bot.messages import Message
from bot.web_routes import Route


@dataclass(frozen=True)
class Job:
    """One kind of timed work: what is due, and when it next will be, side by side.

    ``run(store, now)`` decides everything due at ``now`` (each decision and the messages it
    queues in one guarded write) and returns how many it acted on; ``next_due(store, now)``
    is the earliest moment ``run`` will have something to do, read by the same query, so
    nothing that will never be acted on can hold the schedule.
    """

    name: str  # "checkins.prompts"
    run: Callable[[Any, datetime], Awaitable[int]]
    next_due: Callable[[Any, datetime], Awaitable[datetime | None]]
    # Jobs that run before this one in the same tick (it reads what they decide).
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class Purpose:
    """A channel purpose a feature declares; admins point it at a channel."""

    name: str  # stored value, e.g. "checkins", "announcements", "clinics"
    label: str  # "check-ins (weekly summaries)"
    # A purpose with no channel of its own posts in this one's (clinics: announcements).
    fallback: str | None = None
    # Its choice in /admin channel ("Check-ins"); the name capitalised if empty.
    title: str = ""
    # The channel a community without any would give it (the console's); the name if empty.
    channel: str = ""

    @property
    def choice(self) -> Choice:
        """The purpose as /admin channel offers it."""
        return Choice(self.name, self.title or self.name.capitalize())

    @property
    def default_channel(self) -> str:
        """The channel name the console gives this purpose."""
        return self.channel or self.name


# Type-ahead: (request, what is typed so far) -> suggestions; named by ``Option.suggest``.
SuggestSource = Callable[[Context[Any], str], Awaitable[list[Choice]]]
# A member's home card (Slack's App Home), or None to leave it to the next feature.
Home = Callable[[Context[Any]], Awaitable[Message | None]]


@dataclass(frozen=True)
class Feature:
    """A feature's declaration: everything the core reads of it."""

    name: str
    register: Callable[[Registry], None]
    jobs: tuple[Job, ...] = ()
    purposes: tuple[Purpose, ...] = ()
    suggestions: Mapping[str, SuggestSource] = field(default_factory=dict)
    home: Home | None = None
    # Words for the note the outbox posts when a member's DMs are closed, for the messages
    # this feature queued: (display name) -> note. It goes to the channel of the feature's
    # first purpose, or the first purpose any feature declares.
    undeliverable: Callable[[str], Message] | None = None
    # What it serves on the process's web app (a calendar feed): (store, clock) -> routes.
    routes: Callable[[Any, Clock], Sequence[Route]] | None = None


def ordered_jobs(jobs: Iterable[Job]) -> tuple[Job, ...]:
    """Jobs in the order given, except that each comes after the jobs it names in ``after``."""
    pending = list(jobs)
    names = {job.name for job in pending}
    if len(names) != len(pending):
        raise ValueError("two jobs share a name")
    done: list[Job] = []
    placed: set[str] = set()
    while pending:
        ready = next(
            (j for j in pending if all(a in placed or a not in names for a in j.after)), None
        )
        if ready is None:
            raise ValueError(f"jobs wait for each other: {[j.name for j in pending]}")
        pending.remove(ready)
        done.append(ready)
        placed.add(ready.name)
    return tuple(done)


def jobs_of(features: Sequence[Feature]) -> tuple[Job, ...]:
    """Every feature's jobs, in the order they run in a tick."""
    return ordered_jobs(job for feature in features for job in feature.jobs)


def purposes_of(features: Sequence[Feature]) -> dict[str, Purpose]:
    """Every declared channel purpose by name, in declaration order."""
    found: dict[str, Purpose] = {}
    for feature in features:
        for purpose in feature.purposes:
            if purpose.name in found:
                raise ValueError(f"channel purpose {purpose.name!r} declared twice")
            found[purpose.name] = purpose
    return found


def routes_of(features: Sequence[Feature], store: Any, clock: Clock) -> tuple[Route, ...]:
    """Every feature's web routes, served by the store and clock of this process."""
    return tuple(
        route for feature in features if feature.routes for route in feature.routes(store, clock)
    )


def suggestions_of(features: Sequence[Feature]) -> dict[str, SuggestSource]:
    """Every declared type-ahead source by name."""
    found: dict[str, SuggestSource] = {}
    for feature in features:
        for name, source in feature.suggestions.items():
            if name in found:
                raise ValueError(f"type-ahead source {name!r} declared twice")
            found[name] = source
    return found
