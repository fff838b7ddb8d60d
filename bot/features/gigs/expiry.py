"""Leads running out: the poster's warning two days before, and the post marked expired.

Both are read from the database (``warn_at``, ``expires_at``), so a restart repeats nothing
and misses nothing; each is one write guarded on the lead's version with its message.
"""

from __future__ import annotations

from datetime import datetime

from bot.features.base import Job
from bot.features.gigs.models import GigStatus
from bot.features.gigs.post_store import GigMessages, GigView
from bot.features.gigs.posting import only, shown
from bot.features.gigs.review_cards import dm, poster_note, warning_card
from bot.features.gigs.rules import EXTEND_BY
from bot.features.gigs.store import GigChanged, GigStore
from bot.messages import Tone


async def _warn(store: GigStore, now: datetime) -> int:
    done = 0
    for gig in await store.gigs_to_warn(now):

        def messages(view: GigView) -> GigMessages:
            key = f"gig:{view.gig.id}:warn:{view.gig.expires_at.isoformat()}"
            card = warning_card(view.gig, EXTEND_BY.days)
            return GigMessages(others=(dm(view.gig, view.gig.poster_id, card, key),))

        try:
            await store.change_gig(gig, {"warned_at": now}, now, messages)
        except GigChanged:
            continue  # changed meanwhile: the next tick reads it again
        done += 1
    return done


async def _next_warning(store: GigStore, now: datetime) -> datetime | None:
    return await store.next_gig_warning(now)


async def _expire(store: GigStore, now: datetime) -> int:
    done = 0
    for gig in await store.gigs_to_expire(now):

        def messages(view: GigView) -> GigMessages:
            note = poster_note(
                view.gig, "Your lead expired",
                "It no longer takes interest or reaches members. Post it again with /gig post "
                "if the work is still there.",
                tone=Tone.WARNING,
            )  # fmt: skip
            told = dm(view.gig, view.gig.poster_id, note, f"gig:{view.gig.id}:expired")
            return GigMessages(others=only(shown(view), told))

        try:
            await store.change_gig(gig, {"status": GigStatus.EXPIRED}, now, messages)
        except GigChanged:
            continue
        done += 1
    return done


async def _next_expiry(store: GigStore, now: datetime) -> datetime | None:
    return await store.next_gig_expiry(now)


JOBS = (
    Job("gigs.expiry_warnings", _warn, _next_warning),
    Job("gigs.expiry", _expire, _next_expiry, after=("gigs.expiry_warnings",)),
)
