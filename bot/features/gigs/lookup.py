"""Finding the lead a member means by ``gig:``: the number shown on it, or its title."""

from __future__ import annotations

from typing import Any

from bot.context import Context
from bot.errors import UserError
from bot.features.gigs.models import Gig, GigStatus
from bot.features.gigs.store import GigReadStore

# Leads only their poster and admins can name: one waiting for approval, or not approved.
_UNPUBLISHED = (GigStatus.PENDING, GigStatus.REJECTED)


def _named(ctx: Context[Any], gig: Gig) -> bool:
    """Whether the caller may name this lead (others are told there is no such gig)."""
    if gig.status is GigStatus.DELETED:
        return False
    if gig.status in _UNPUBLISHED:
        return ctx.actor.is_admin or gig.poster_id == ctx.member.id
    return True


async def find_gig(ctx: Context[Any], ref: str) -> Gig:
    """The lead named by its number ("12", "#12") or its title; a friendly line if none is."""
    store: GigReadStore = ctx.store
    typed = ref.strip()
    if not typed:
        raise UserError("Name the lead: its number (gig:12) or its title. See them with /gig list.")
    digits = typed.removeprefix("#").strip()
    if digits.isdigit() and len(digits) <= 9:
        gig = await store.gig_by_number(ctx.community.id, int(digits))
        if gig is None or not _named(ctx, gig):
            raise UserError(f"There is no gig #{digits}. See the open ones with /gig list.")
        return gig
    found = [g for g in await store.gigs_titled(ctx.community.id, typed) if _named(ctx, g)]
    if not found:
        raise UserError(
            f"No gig is called {typed!r}. Use the number shown on the lead (gig:12), "
            "or see them with /gig list."
        )
    live = [g for g in found if g.status is GigStatus.OPEN]
    if len(live) > 1 or (not live and len(found) > 1):
        numbers = ", ".join(f"#{g.number}" for g in (live or found)[:5])
        raise UserError(f"Several gigs are called {typed!r} ({numbers}): give its number.")
    return (live or found)[0]
