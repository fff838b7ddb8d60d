"""Weekly check-ins: the prompt, its reminder, answering, skipping, pausing, and the summary."""

from __future__ import annotations

from bot.features.base import Feature, Purpose
from bot.features.checkins.cards import undeliverable
from bot.features.checkins.commands import register
from bot.features.checkins.jobs import JOBS
from bot.features.checkins.store import CHECKINS, NAME

FEATURE = Feature(
    name=NAME,
    register=register,
    jobs=JOBS,
    purposes=(
        Purpose(CHECKINS, "check-ins (weekly summaries)", title="Check-ins", channel="check-ins"),
    ),
    undeliverable=undeliverable,
)
