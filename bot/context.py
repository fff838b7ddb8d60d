"""What a command handler gets: who is asking, where, when, and the services to answer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from bot.commands.registry import Registry
from bot.links import PublicUrl
from bot.messages import Message
from bot.models import Actor, Community, Destination, Member, NewOutbox

# The store a feature sees: its own storage Protocol (bot/features/<name>/store.py).
S = TypeVar("S", covariant=True)


@dataclass(frozen=True)
class Context(Generic[S]):
    """One request's context; ``store`` is typed with the handling feature's own Protocol."""

    store: S
    registry: Registry
    now: datetime
    actor: Actor
    community: Community
    member: Member
    # Links to the web app start here: ``ctx.public_url.link("/calendar/…")``.
    public_url: PublicUrl = field(default_factory=PublicUrl.local)

    @property
    def zone(self) -> ZoneInfo:
        """The caller's time zone."""
        return self.member.zone(self.community)

    @property
    def today(self) -> date:
        """The caller's local date."""
        return self.now.astimezone(self.zone).date()

    def outbox(
        self,
        destination: Destination,
        message: Message,
        dedupe_key: str | None = None,
        *,
        feature: str,
    ) -> NewOutbox:
        """A message to queue for this community, on behalf of ``feature``."""
        return NewOutbox(
            community_id=self.community.id,
            destination=destination,
            payload=json.dumps(message.to_dict()),
            dedupe_key=dedupe_key,
            feature=feature,
        )
