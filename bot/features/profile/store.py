"""What the profile feature asks of storage (SQLite: identity.py and checkins.py)."""

from __future__ import annotations

from typing import Protocol

from bot.context import Context
from bot.features.checkins.store import SprintMove
from bot.features.clinics.store import ClinicSettingsStore
from bot.features.gigs.match_store import GigAlertSettingsStore
from bot.features.sprints.store import SprintReads
from bot.models import Member

# The feature's name, carried by the messages it queues.
NAME = "profile"


class ProfileStore(SprintReads, ClinicSettingsStore, GigAlertSettingsStore, Protocol):
    """A member's profile, the skills a community knows, and the sprint a new zone moves."""

    async def community_skills(self, community_id: int) -> list[str]:
        """Skills known in a community."""
        ...

    async def update_member_moving(self, member: Member, move: SprintMove | None) -> None:
        """Save a member's profile and move their sprint with it, all or nothing (guarded)."""
        ...


# What a profile command's handler gets.
ProfileContext = Context[ProfileStore]
