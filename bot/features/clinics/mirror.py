"""Each announced clinic session mirrored as the platform's own event (bot/native_events.py).

The event is queued with the announcement, in the same write, and follows the session: a
move or a series edit updates it, a cancel or the series' end cancels it. Sessions are
mirrored one by one (never as a recurring event), so each keeps its local wall-clock time.
Showing interest answers the session's "Going" (a seat, or the waitlist when full), unless
the member had answered already (presenting stays presenting); withdrawing it presses "Can't":
the seat goes back and the first waitlisted member gets it.
"""

from __future__ import annotations

import re

from bot.errors import UserError
from bot.features.clinics import cards, rsvp
from bot.features.clinics.access import pressed_session
from bot.features.clinics.cards import RSVP_ACTION
from bot.features.clinics.models import Answer, Roster
from bot.features.clinics.store import NAME, ClinicContext
from bot.messages import Response
from bot.models import NewOutbox
from bot.native_events import NativeEvent, event_outbox

# A channel named in "where" (Discord's <#123>): the event takes place in it.
_CHANNEL = re.compile(r"<#([0-9]+)>")
# Interest shown in a session's native event (``clinic.interest:<session>``).
INTEREST_ACTION = "clinic.interest"


def event_key(session_id: int) -> str:
    """A session's native event key, for good (moves and series edits keep the session id)."""
    return f"clinic-session:{session_id}"


def session_event(roster: Roster) -> NativeEvent:
    """The session as a native event, as it stands (cancelled if it is off)."""
    series, session = roster.series, roster.session
    channel = _CHANNEL.fullmatch(series.location.strip())
    where = series.location.strip() or "To be announced"
    event = NativeEvent(
        key=event_key(session.id),
        title=series.title,
        description=f"Hosted by {series.host_name}. Bring: {series.bring}",
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        location=None if channel else where,
        voice_channel=channel.group(1) if channel else None,
        interest_action=f"{INTEREST_ACTION}:{session.id}",
        uninterest_action=f"{RSVP_ACTION}:{session.id}:{Answer.CANT.value}",
        feature=NAME,
    )
    return event.cancelled() if session.cancelled else event


def announced(roster: Roster) -> list[NewOutbox]:
    """The native event created with the session's announcement."""
    return [event_outbox(roster.series.community_id, session_event(roster))]


def followed(roster: Roster) -> list[NewOutbox]:
    """The session's event brought up to date, if it was announced (and so mirrored)."""
    if roster.session.announcement_id is None:
        return []
    return announced(roster)


async def interested(ctx: ClinicContext, args: list[str]) -> Response:
    """Interest in a session's event: Going, unless the member has a place already."""
    session = await pressed_session(ctx, args)
    if session is None:
        raise UserError("That event is out of date; /clinic list shows the coming sessions.")
    roster = await ctx.store.roster(session.id)
    mine = roster.of(ctx.member.id)
    closed = roster.session.cancelled or roster.session.starts_at <= ctx.now
    if mine is None or mine.answer is Answer.CANT or closed:
        return await rsvp.answer(ctx, session.id, Answer.GOING, "")
    place = roster.place(ctx.member.id)
    return Response(cards.answered_card(roster, ctx.member.id, mine.answer, place))
