"""Answering a session: Going, Going and presenting, Can't, by button or /clinic rsvp.

Past the capacity (presenters count too) "Going" joins the waitlist; when a member with a
seat says they can't come, the first waitlisted member is seated and told by DM. The seat
is decided inside the write, so members pressing at once never overbook a session.
"""

from __future__ import annotations

from dataclasses import replace

from bot.commands.args import Args
from bot.errors import UserError
from bot.features.clinics import cards
from bot.features.clinics.access import (
    clinic_parts,
    next_open,
    pressed_session,
    session_on_day,
    stored,
)
from bot.features.clinics.models import Answer, RsvpResult
from bot.features.clinics.store import ClinicContext
from bot.forms import form_for
from bot.messages import Response
from bot.models import NewOutbox

RSVP_COMMAND = "clinic.rsvp"


def _messages(result: RsvpResult) -> list[NewOutbox]:
    """The announcement brought up to date, and a DM for each member given a seat."""
    roster = result.roster
    promoted = [
        cards.dm(roster.series, r.member_id, cards.promoted_card(roster, r))
        for r in result.promoted
    ]
    return cards.edit_announcement(roster) + promoted


async def default_bring(ctx: ClinicContext) -> str:
    """What a presenter brings unless they say: their active sprint's deliverable."""
    sprint = await ctx.store.active_sprint(ctx.member.id)
    return sprint.deliverable if sprint is not None else ""


async def answer(ctx: ClinicContext, session_id: int, given: Answer, bring: str) -> Response:
    """Record the caller's answer and tell them where it leaves them."""
    result = await ctx.store.answer_rsvp(
        session_id, ctx.member.id, given, bring, ctx.now, _messages
    )
    session = result.roster.session
    if result.closed:
        if session.cancelled:
            raise UserError(f"That session is cancelled: {session.reason or 'no reason given'}.")
        raise UserError("That session has started already, so answers are closed.")
    card = cards.answered_card(result.roster, ctx.member.id, result.answer, result.place)
    return Response(card)


async def rsvp(ctx: ClinicContext, args: Args) -> Response:
    """Answer a clinic's next session (or the one on ``date``)."""
    parts = await clinic_parts(ctx, args.text("clinic"))
    day = args.day("date")
    item = await session_on_day(ctx, parts, day) if day else await next_open(ctx, parts)
    if item.cancelled:
        reason = item.row.reason if item.row else ""
        raise UserError(f"That session is cancelled: {reason or 'no reason given'}.")
    if item.starts_at <= ctx.now:
        raise UserError("That session has started already, so answers are closed.")
    given = Answer(args.text("answer"))
    bring = args.text("bring")
    if given is Answer.PRESENTING and not bring:
        bring = await default_bring(ctx)
    row = await stored(ctx, item)
    return await answer(ctx, row.id, given, bring)


async def press(ctx: ClinicContext, args: list[str]) -> Response:
    """The announcement's buttons; "Going and presenting" opens the one-line form first."""
    session = await pressed_session(ctx, args)
    if session is None or len(args) < 2 or args[1] not in {a.value for a in Answer}:
        raise UserError("That button is out of date; /clinic list shows the coming sessions.")
    given = Answer(args[1])
    if given is not Answer.PRESENTING:
        return await answer(ctx, session.id, given, "")
    roster = await ctx.store.roster(session.id)
    command = ctx.registry.get(RSVP_COMMAND)
    assert command is not None
    mine = roster.of(ctx.member.id)
    bring = mine.bring if mine is not None and mine.bring else await default_bring(ctx)
    day = roster.session.starts_at.astimezone(roster.series.schedule.tz).date()
    form = form_for(
        command,
        {
            "clinic": str(roster.series.number),
            "answer": Answer.PRESENTING.value,
            "date": day.isoformat(),
            "bring": bring,
        },
    )
    return Response(form=replace(form, title=f"Presenting at {roster.series.title}"[:45]))
