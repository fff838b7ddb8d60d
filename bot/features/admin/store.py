"""What the admin feature asks of storage (SQLite: identity.py and checkins.py)."""

from __future__ import annotations

from typing import Protocol

from bot.context import Context
from bot.features.checkins.store import ScheduleStore
from bot.storage.base import IdentityStore

# The feature's name, carried by the messages it queues.
NAME = "admin"
# The community's announcements channel: any feature may post there, or fall back to it.
ANNOUNCEMENTS = "announcements"


class AdminStore(IdentityStore, ScheduleStore, Protocol):
    """Community settings: the check-in schedule (moving sprints with it) and channels."""


# What an admin command's handler gets.
AdminContext = Context[AdminStore]
