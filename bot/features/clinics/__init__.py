"""Clinics: recurring community sessions with a host, RSVPs, reminders and attendance."""

from __future__ import annotations

from bot.features.base import Feature, Purpose
from bot.features.clinics.cards import undeliverable
from bot.features.clinics.commands import CLINIC_SOURCE, clinics_typed, register
from bot.features.clinics.jobs import JOBS
from bot.features.clinics.store import CLINICS, NAME

FEATURE = Feature(
    name=NAME,
    register=register,
    jobs=JOBS,
    purposes=(
        Purpose(CLINICS, "clinics (sessions and RSVPs)", fallback="announcements", title="Clinics"),
    ),
    suggestions={CLINIC_SOURCE: clinics_typed},
    undeliverable=undeliverable,
)
