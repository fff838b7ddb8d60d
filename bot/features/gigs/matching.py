"""Which members a lead fits, best first: their skills weighed by where they come from.

A member's skills are their profile's plus their sprints'. A skill counts
``DELIVERED`` (3) from a completed sprint with a published deliverable, ``ACTIVE`` (2) from
the sprint they are on, ``PROFILE`` (1) from the profile alone (or a sprint completed
without a link); each skill counts once, at its best. A member's score for a lead is the sum
over the lead's skills; the order is score, best first, then member id. Decided in Python
from a community's skills loaded in bulk (``SkillTable``), never one query per member.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.features.gigs.models import AlertMode, Gig
from bot.features.gigs.skills import Aliases, skill_key
from bot.models import Sprint, SprintStatus
from bot.weekly import local_wall_to_utc

DELIVERED = 3
ACTIVE = 2
PROFILE = 1

# No alert DMs at night in the member's zone: from 21:00 they wait until 08:00.
DAY_STARTS = time(8, 0)
NIGHT_STARTS = time(21, 0)


def weight_of(status: SprintStatus, delivered: bool) -> int:
    """What a sprint's skill counts for (0: not at all, an abandoned sprint)."""
    if status is SprintStatus.COMPLETED:
        return DELIVERED if delivered else PROFILE
    return ACTIVE if status is SprintStatus.ACTIVE else 0


def sprint_weight(sprint: Sprint) -> int:
    """What a sprint's skill counts for."""
    return weight_of(sprint.status, bool(sprint.outcome_url))


@dataclass(frozen=True)
class Reader:
    """A member as matching needs them: their zone and how they want alerts."""

    member_id: int
    zone: str
    mode: AlertMode = AlertMode.INSTANT


@dataclass
class SkillTable:
    """A community's members and every skill they hold, as loaded in a few bulk queries."""

    readers: dict[int, Reader] = field(default_factory=dict)
    # (member id, skill as typed, weight), profile and sprint skills alike.
    entries: list[tuple[int, str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Match:
    """A member a lead fits: their score and which of its skills (keys) they hold."""

    member_id: int
    score: int
    keys: frozenset[str]


def weights(entries: Iterable[tuple[str, int]], aliases: Aliases) -> dict[str, int]:
    """One member's skills by key, each at its best weight."""
    best: dict[str, int] = {}
    for name, weight in entries:
        key = aliases.resolve(name)
        if key and weight > best.get(key, 0):
            best[key] = weight
    return best


def member_weights(
    skills: Sequence[str], sprints: Sequence[Sprint], aliases: Aliases
) -> dict[str, int]:
    """A member's skills by key from their profile and their sprints."""
    entries = [(s, PROFILE) for s in skills] + [(s.skill, sprint_weight(s)) for s in sprints]
    return weights(entries, aliases)


def score(held: Mapping[str, int], wanted: Iterable[str]) -> int:
    """How well skills held fit the skills wanted (keys): the sum of the weights held."""
    return sum(held.get(key, 0) for key in set(wanted))


def rank(table: SkillTable, wanted: Sequence[str], aliases: Aliases, poster_id: int) -> list[Match]:
    """Every member a lead fits, best first (score, then member id); never its poster.

    Members who turned alerts off are left out too.
    """
    keys = set(wanted)
    # Names repeat across members: resolve each distinct one once.
    resolved: dict[str, str] = {}
    best: dict[tuple[int, str], int] = {}
    for member_id, name, weight in table.entries:
        key = resolved.get(name)
        if key is None:
            key = resolved[name] = aliases.resolve(name)
        if key in keys and weight > best.get((member_id, key), 0):
            best[(member_id, key)] = weight
    totals: dict[int, int] = {}
    held: dict[int, set[str]] = {}
    for (member_id, key), weight in best.items():
        totals[member_id] = totals.get(member_id, 0) + weight
        held.setdefault(member_id, set()).add(key)
    found = [
        Match(member_id, total, frozenset(held[member_id]))
        for member_id, total in totals.items()
        if member_id != poster_id
        and member_id in table.readers
        and table.readers[member_id].mode is not AlertMode.OFF
    ]
    found.sort(key=lambda m: (-m.score, m.member_id))
    return found


def lead_keys(gig: Gig, aliases: Aliases) -> tuple[str, ...]:
    """The keys of a lead's skills, in its order."""
    return tuple(dict.fromkeys(aliases.resolve(s) for s in gig.skills if skill_key(s)))


def matching_names(gig: Gig, keys: Iterable[str], aliases: Aliases) -> tuple[str, ...]:
    """The lead's skills (as its poster typed them) whose keys are among ``keys``."""
    held = set(keys)
    return tuple(s for s in gig.skills if aliases.resolve(s) in held)


def daytime_from(now: datetime, zone: ZoneInfo) -> datetime | None:
    """When a DM decided now may go out in this zone: None by day, else the next 08:00."""
    local = now.astimezone(zone)
    if DAY_STARTS <= local.time() < NIGHT_STARTS:
        return None
    day = local.date() + timedelta(days=1) if local.time() >= NIGHT_STARTS else local.date()
    return local_wall_to_utc(day, DAY_STARTS, zone)
