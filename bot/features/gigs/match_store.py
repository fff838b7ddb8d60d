"""What matching leads to members, their alerts, digests and interest ask of storage."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from bot.features.gigs.matching import SkillTable
from bot.features.gigs.models import AlertMode, Gig
from bot.features.gigs.skills import SkillAlias
from bot.models import NewOutbox, Sprint


@dataclass(frozen=True)
class NewAlert:
    """A member a lead was sent to: instantly, or held for their weekly digest."""

    member_id: int
    kind: AlertMode  # INSTANT or DIGEST
    rank: int  # 1 is the best fit
    # A held one: when the member's digest that lists it is due.
    digest_at: datetime | None = None
    # An instant one decided at night: when it is due (08:00 for the member); None: queued now.
    send_at: datetime | None = None


@dataclass(frozen=True)
class HeldAlert:
    """An instant alert held for the morning, with what re-checking it needs."""

    gig_id: int
    member_id: int
    community_id: int
    rank: int
    send_at: datetime
    mode: AlertMode
    interested: bool


@dataclass
class HeldBatch:
    """Held alerts due now, read in one transaction with the leads and members they name."""

    alerts: list[HeldAlert] = field(default_factory=list)
    gigs: dict[int, Gig] = field(default_factory=dict)
    # Each member's skills as typed, with their weights (profile and sprints).
    skills: dict[int, list[tuple[str, int]]] = field(default_factory=dict)
    aliases: dict[int, list[SkillAlias]] = field(default_factory=dict)


# The DMs held alerts queue, decided from what the batch's transaction read.
HeldPlanner = Callable[[HeldBatch], Sequence[NewOutbox]]


@dataclass(frozen=True)
class PendingDigestAlert:
    """A lead held for a member's digest, with what deciding the digest needs."""

    member_id: int
    community_id: int
    zone: str
    mode: AlertMode
    gig_id: int
    rank: int
    digest_at: datetime
    # The week of the member's latest digest, if they had one.
    last_week: date | None


@dataclass(frozen=True)
class DigestDecision:
    """One member's digest: every held alert due by now is done; ``message`` lists the open ones.

    No message when none of them is open any more (nothing is sent then).
    """

    member_id: int
    week: date
    message: NewOutbox | None


@dataclass(frozen=True)
class InterestResult:
    """A member's "I'm interested" as stored: the lead then, whether it was new, the count."""

    gig: Gig
    recorded: bool
    interested: int


# The messages interest queues, from the lead and its count as the write finds them.
InterestMessages = Callable[[Gig, int], Sequence[NewOutbox]]


class GigAlertSettingsStore(Protocol):
    """A member's gig alerts switch (read and set by /profile too)."""

    async def gig_alert_mode(self, member_id: int) -> AlertMode:
        """How the member wants leads that fit them."""
        ...

    async def set_gig_alert_mode(
        self, member_id: int, mode: AlertMode, held_at: datetime | None = None
    ) -> None:
        """Set how the member wants leads; leads held for their digest then go as alerts at
        ``held_at`` (instant) or never (off)."""
        ...


class GigMatchStore(GigAlertSettingsStore, Protocol):
    """Skills and aliases, alert settings, alerts, digests and interest."""

    async def skill_aliases(self, community_id: int) -> list[SkillAlias]:
        """The community's aliases, by alias."""
        ...

    async def set_skill_alias(
        self, community_id: int, alias: SkillAlias, now: datetime
    ) -> SkillAlias | None:
        """Add or replace an alias; the one it replaced, if any."""
        ...

    async def remove_skill_alias(self, community_id: int, alias: str) -> SkillAlias | None:
        """Remove an alias (by its key); the one removed, or None if there was none."""
        ...

    async def community_skill_names(self, community_id: int) -> list[str]:
        """Every skill name the community's profiles and live sprints use, as typed."""
        ...

    async def skill_table(self, community_id: int, names: Sequence[str]) -> SkillTable:
        """The members holding any of these skill names, with their skills and alert mode."""
        ...

    async def member_sprints(self, member_id: int) -> list[Sprint]:
        """A member's sprints, oldest first."""
        ...

    async def gigs_to_match(self, now: datetime, limit: int = 20) -> list[Gig]:
        """Open leads whose alerts are not decided yet, first published first."""
        ...

    async def next_gig_match_at(self, now: datetime) -> datetime | None:
        """When the first lead waiting for its alerts was published."""
        ...

    async def gig_alerted(self, gig_id: int) -> set[int]:
        """The members a lead was sent to already (instantly or for a digest)."""
        ...

    async def record_gig_alerts(
        self, gig: Gig, alerts: Sequence[NewAlert], messages: Sequence[NewOutbox], now: datetime
    ) -> bool:
        """Record a lead's alerts and queue its DMs, once; False if it changed since read."""
        ...

    async def send_held_alerts(self, now: datetime, plan: HeldPlanner, members: int = 200) -> int:
        """Queue what ``plan`` decides of the held alerts due by now; how many were done."""
        ...

    async def next_held_alert_at(self) -> datetime | None:
        """When the first held alert is due."""
        ...

    async def due_digest_alerts(self, now: datetime) -> list[PendingDigestAlert]:
        """Every lead held for a digest that is due by now and not yet in one."""
        ...

    async def next_digest_at(self) -> datetime | None:
        """When the next digest with a held lead is due."""
        ...

    async def record_digests(self, decided: Sequence[DigestDecision], now: datetime) -> int:
        """Record digests and queue their DMs in one transaction; how many members were decided."""
        ...

    async def gigs_by_id(self, ids: Sequence[int]) -> dict[int, Gig]:
        """Several leads at once."""
        ...

    async def open_gigs(self, community_id: int, now: datetime) -> list[Gig]:
        """A community's open leads, newest first."""
        ...

    async def interest_counts(self, gig_ids: Sequence[int]) -> dict[int, int]:
        """How many members are interested in each lead."""
        ...

    async def record_gig_interest(
        self, gig_id: int, member_id: int, now: datetime, messages: InterestMessages
    ) -> InterestResult:
        """A member's interest in an open lead, once, with what it queues."""
        ...
