"""Crossfade's features, one package each; ``FEATURES`` is the one list the app and engine read.

Order matters where people see it: commands are listed (``/help``, Discord, Slack) and
channel purposes offered in this order. Jobs run in it too, except where a job names the
jobs it runs after.
"""

from __future__ import annotations

from bot.features import admin, checkins, clinics, gigs, help, profile, sprints
from bot.features.base import Feature

FEATURES: tuple[Feature, ...] = (
    sprints.FEATURE,
    checkins.FEATURE,
    profile.FEATURE,
    admin.FEATURE,
    # After admin: its /admin host, hosts and clinics join the admin group.
    clinics.FEATURE,
    gigs.FEATURE,
    help.FEATURE,
)
