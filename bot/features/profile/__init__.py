"""Member profiles: time zone, skills, role and heading."""

from __future__ import annotations

from bot.features.base import Feature
from bot.features.profile.commands import SKILL_SOURCE, register, skills
from bot.features.profile.store import NAME

FEATURE = Feature(name=NAME, register=register, suggestions={SKILL_SOURCE: skills})
