"""Help: every command the caller may run, straight from the registry."""

from __future__ import annotations

from bot.features.base import Feature
from bot.features.help.commands import register

FEATURE = Feature(name="help", register=register)
