"""Clinics: recurring community sessions with a host, RSVPs, reminders and attendance."""

from __future__ import annotations

from bot.commands.registry import Registry
from bot.features.base import Feature, Purpose
from bot.features.clinics import feed
from bot.features.clinics.calendar import register_calendar
from bot.features.clinics.cards import undeliverable
from bot.features.clinics.commands import CLINIC_SOURCE, clinics_typed, register
from bot.features.clinics.jobs import JOBS
from bot.features.clinics.store import CLINICS, NAME


def _register(registry: Registry) -> None:
    """The clinic commands, then the calendar's (file and feed link)."""
    register(registry)
    register_calendar(registry)


FEATURE = Feature(
    name=NAME,
    register=_register,
    jobs=JOBS,
    purposes=(
        Purpose(CLINICS, "clinics (sessions and RSVPs)", fallback="announcements", title="Clinics"),
    ),
    suggestions={CLINIC_SOURCE: clinics_typed},
    undeliverable=undeliverable,
    routes=feed.routes,
)
