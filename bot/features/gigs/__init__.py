"""Gig leads: paid work posted to the community and sent to the members whose skills fit."""

from __future__ import annotations

from bot.commands.registry import Registry
from bot.features.base import Feature, Purpose
from bot.features.gigs import commands as posting
from bot.features.gigs import match_commands
from bot.features.gigs.alert_jobs import JOBS as MATCH_JOBS
from bot.features.gigs.expiry import JOBS as POST_JOBS
from bot.features.gigs.models import GIG_REVIEW, GIGS, NAME
from bot.features.gigs.options import GIG_SOURCE, gigs_typed
from bot.features.gigs.review_cards import undeliverable


def _register(registry: Registry) -> None:
    """The gig commands and buttons: posting and moderation, matching and interest, then the
    /admin ones (so /help lists the /gig commands together)."""
    posting.register(registry)
    match_commands.register(registry)
    posting.register_admin(registry)
    match_commands.register_admin(registry)


FEATURE = Feature(
    name=NAME,
    register=_register,
    jobs=POST_JOBS + MATCH_JOBS,
    purposes=(
        Purpose(GIGS, "gigs (paid work leads)", fallback="announcements", title="Gigs"),
        Purpose(
            GIG_REVIEW,
            "gig review (approvals and reports; admins only)",
            title="Gig review",
        ),
    ),
    suggestions={GIG_SOURCE: gigs_typed},
    undeliverable=undeliverable,
)
