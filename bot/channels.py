"""Where the outbox posts: a purpose's channel or its fallback's, and the closed-DM note.

Both come from what the features declare (bot/features/base.py), so the outbox names none.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from bot.features.base import Feature, purposes_of
from bot.messages import Message, Tone, text
from bot.models import Destination, Member, NewOutbox, OutboxItem


class ChannelRouting:
    """What the features declare about channels and closed DMs, as the outbox needs it."""

    def __init__(self, features: Sequence[Feature]) -> None:
        self.purposes = purposes_of(features)
        self.words = {f.name: f.undeliverable for f in features if f.undeliverable}
        # Each feature's note goes to its first purpose, else to the first purpose declared.
        first = next(iter(self.purposes), None)
        self.home = {f.name: f.purposes[0].name if f.purposes else first for f in features}
        self.first = first

    def channel_for(self, purpose: str, channels: Mapping[str, str]) -> str | None:
        """The channel serving a purpose: its own, else its fallback's (and so on)."""
        seen: set[str] = set()
        current: str | None = purpose
        while current is not None and current not in seen:
            if current in channels:
                return channels[current]
            seen.add(current)
            declared = self.purposes.get(current)
            current = declared.fallback if declared else None
        return None

    def purpose_for(self, feature: str) -> str | None:
        """Where the closed-DM note about a feature's message goes."""
        return self.home.get(feature, self.first)

    def note(self, feature: str, name: str) -> Message:
        """The closed-DM note for a feature's message, in its words (or plain ones)."""
        words = self.words.get(feature)
        if words is not None:
            return words(name)
        return Message(
            title="Direct messages are closed",
            body=text(
                name,
                ", I can't send you direct messages, so a message for you is waiting. "
                "Please allow direct messages from this community's members and apps.",
            ),
            tone=Tone.WARNING,
        )

    def closed_dm_note(self, item: OutboxItem, member: Member) -> NewOutbox | None:
        """The note to post once when ``item`` can't reach ``member``'s closed DMs.

        None when no feature declares any channel purpose to post it in.
        """
        purpose = self.purpose_for(item.feature)
        if purpose is None:
            return None
        note = self.note(item.feature, member.display_name)
        return NewOutbox(
            community_id=item.community_id,
            destination=Destination.channel(purpose),
            payload=json.dumps(note.to_dict()),
            dedupe_key=f"dm-closed:{member.id}:{item.id}",
            feature=item.feature,
        )
