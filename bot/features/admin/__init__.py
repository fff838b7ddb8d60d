"""Community settings, for admins: the check-in schedule and which channel serves what."""

from __future__ import annotations

from bot.features.admin.commands import register
from bot.features.admin.store import ANNOUNCEMENTS, NAME
from bot.features.base import Feature, Purpose

FEATURE = Feature(
    name=NAME,
    register=register,
    purposes=(Purpose(ANNOUNCEMENTS, "announcements (sprints, clinics)", title="Announcements"),),
)
