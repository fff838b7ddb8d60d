"""Learning sprints: start, status, edit, end, the journey, and the nudges at a sprint's end."""

from __future__ import annotations

from bot.commands.registry import Registry
from bot.features.base import Feature
from bot.features.sprints import commands, endings, journey, wrapup
from bot.features.sprints.cards import home_card
from bot.features.sprints.jobs import JOBS
from bot.features.sprints.store import NAME


def register(registry: Registry) -> None:
    """Declare the sprint commands and buttons."""
    commands.register(registry)
    endings.register(registry)
    journey.register(registry)
    wrapup.register(registry)


FEATURE = Feature(
    name=NAME,
    register=register,
    jobs=JOBS,
    suggestions={commands.OWN_SPRINT: commands.own_sprints},
    home=home_card,
    undeliverable=wrapup.undeliverable,
)
