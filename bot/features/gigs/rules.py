"""The rules every gig handler shares: who may change a lead, and how long one stays open."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.context import Context
from bot.errors import UserError
from bot.features.gigs.models import Gig, GigStatus
from bot.features.gigs.store import GigStore

GigContext = Context[GigStore]

# The poster is told this long before a lead expires, with a button to extend it.
WARN_BEFORE = timedelta(days=2)
# "Extend" adds this much by default; a lead never stays open longer than MAX_OPEN from now.
EXTEND_BY = timedelta(days=14)
MAX_OPEN = timedelta(days=60)
# The rolling window of the posting limit.
WEEK = timedelta(days=7)
# Reports from this many different members hide a lead until an admin decides.
HIDE_AT = 3

_SAID = {
    GigStatus.PENDING: "is waiting for an admin's approval",
    GigStatus.OPEN: "is open",
    GigStatus.HIDDEN: "is hidden while admins look at reports about it",
    GigStatus.CLOSED: "is closed",
    GigStatus.EXPIRED: "has expired",
    GigStatus.REJECTED: "was rejected by an admin",
    GigStatus.DELETED: "was removed",
}


def status_words(gig: Gig) -> str:
    """Where a lead stands, as a sentence's end: "is open", "has expired"."""
    return _SAID[gig.status]


def expiry_changes(expires_at: datetime, now: datetime) -> dict[str, object]:
    """The columns a new expiry sets: the warning is due again two days before it (if later)."""
    return {"expires_at": expires_at, "warn_at": warn_time(expires_at, now), "warned_at": None}


def warn_time(expires_at: datetime, now: datetime) -> datetime | None:
    """When the poster of a lead open until ``expires_at`` is warned (None: too short a lead)."""
    warn_at = expires_at - WARN_BEFORE
    return warn_at if warn_at > now else None


def own(ctx: GigContext, gig: Gig, doing: str) -> None:
    """Refuse anyone but the lead's poster, saying what they tried to do."""
    if gig.poster_id != ctx.member.id:
        raise UserError(
            f"Only the member who posted gig #{gig.number} can {doing} it. "
            "/gig mine shows your own leads."
        )


def local(ctx: GigContext, moment: datetime) -> str:
    """A moment in the caller's own zone, as a sentence shows it: "Tue 08 Dec 10:00 GMT"."""
    at = moment.astimezone(ctx.zone)
    return f"{at:%a %d %b %Y %H:%M} {at.tzname()}"


async def gone(ctx: GigContext, gig: Gig) -> UserError:
    """The friendly line for a lead that moved on (another admin, its poster) meanwhile."""
    now = await ctx.store.get_gig(gig.id) or gig
    return UserError(f"Gig #{now.number} {status_words(now)} now; nothing was changed.")
