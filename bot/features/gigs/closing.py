"""Ending a lead (filled or withdrawn, or deleted), a poster's own leads, and hires on /journey."""

from __future__ import annotations

import re

from bot.commands.args import Args
from bot.context import Context
from bot.errors import UserError
from bot.features.gigs.lookup import find_gig
from bot.features.gigs.models import Gig, GigStatus, Outcome
from bot.features.gigs.post_store import GigJourneyStore, GigMessages, GigView
from bot.features.gigs.posting import only, shown
from bot.features.gigs.review_cards import dm, poster_note, review_card, review_edit
from bot.features.gigs.rules import GigContext, gone, own, status_words
from bot.features.gigs.store import GigChanged
from bot.messages import Field, Message, Part, Response, Timestamp, Tone, text
from bot.models import Member, NewOutbox
from bot.wording import plural

# A member as a platform writes one: <@U123>, <@!123>, or @name.
_MENTION = re.compile(r"^<@!?([A-Za-z0-9]+)(?:\|[^>]*)?>$")
_CLOSABLE = (GigStatus.OPEN, GigStatus.PENDING, GigStatus.HIDDEN, GigStatus.EXPIRED)


async def _hired(ctx: GigContext, raw: str) -> tuple[Member | None, str | None]:
    """Who got the work: a member of the community, or a name as typed."""
    typed = " ".join(raw.split())
    if not typed:
        return None, None
    found = _MENTION.match(typed)
    ref = found.group(1) if found else typed.lstrip("@")
    member = await ctx.store.find_member(ctx.community.id, ref)
    if member is not None:
        return member, None
    if found:
        raise UserError("I don't know that member here: name them (hired:kim) or type a name.")
    return None, typed


def _thanks(gig: Gig) -> Message:
    return Message(
        title=f"Gig #{gig.number} is filled: {gig.title}",
        body=text(
            "The poster found someone for it. Thanks for saying you were interested; "
            "the next lead that fits you comes the same way."
        ),
    )


def _congratulations(gig: Gig) -> Message:
    return Message(
        title=f"You got gig #{gig.number}: {gig.title}",
        body=text(
            "Congratulations: its poster closed it as filled and named you. "
            "It shows on your /journey."
        ),
        tone=Tone.SUCCESS,
    )


def _filled_dms(view: GigView, hired: int | None) -> tuple[NewOutbox, ...]:
    """The hired member congratulated (unless they posted it), the other interested thanked."""
    gig = view.gig
    told = [
        dm(gig, m, _thanks(gig), key=f"gig:{gig.id}:filled:{m}")
        for m in view.interested
        if m not in (gig.poster_id, hired)
    ]
    if hired is not None and hired != gig.poster_id:
        told.append(dm(gig, hired, _congratulations(gig), key=f"gig:{gig.id}:hired:{hired}"))
    return tuple(told)


async def close(ctx: GigContext, args: Args) -> Response:
    """/gig close: the poster ends a lead as filled (optionally naming who) or withdrawn."""
    gig = await find_gig(ctx, args.text("gig"))
    own(ctx, gig, "close")
    if gig.status not in _CLOSABLE:
        raise UserError(f"Gig #{gig.number} {status_words(gig)} already.")
    outcome = Outcome(args.text("outcome"))
    raw_hired = args.text("hired")
    if raw_hired and outcome is not Outcome.FILLED:
        raise UserError("Name who got it only when the lead is filled (outcome:filled).")
    member, name = await _hired(ctx, raw_hired)

    def messages(view: GigView) -> GigMessages:
        told: tuple[NewOutbox, ...] = ()
        if outcome is Outcome.FILLED:
            told = _filled_dms(view, None if member is None else member.id)
        return GigMessages(others=(*only(shown(view), _closed_review(view, ctx)), *told))

    changes: dict[str, object] = {
        "status": GigStatus.CLOSED,
        "outcome": outcome,
        "closed_at": ctx.now,
        "hired_member_id": None if member is None else member.id,
        "hired_name": name,
    }
    try:
        closed = await ctx.store.change_gig(gig, changes, ctx.now, messages)
    except GigChanged:
        raise await gone(ctx, gig) from None
    interested = await ctx.store.gig_interested(closed.id)
    said = f"Gig #{closed.number} closed as {outcome.value}: {closed.title}"
    told = ""
    hired_id = None if member is None else member.id
    thanked = [m for m in interested if m not in (closed.poster_id, hired_id)]
    if outcome is Outcome.FILLED and thanked:
        others = "other interested member" if hired_id in interested else "interested member"
        told = f" {plural(len(thanked), others)} will hear it is filled."
    who = member.display_name if member else name
    if who:
        told += f" Recorded that {who} got it" + (
            "; it shows on their /journey." if member else "."
        )
    where = (
        "Its post is updated."
        if closed.post_id is not None
        else "It was never posted, so no post needed updating."
    )
    return Response(Message(title=said, body=text(f"{where}{told}"), tone=Tone.SUCCESS))


def _closed_review(view: GigView, ctx: GigContext) -> NewOutbox | None:
    """A pending lead's review card, told that its poster closed it meanwhile."""
    if view.gig.status is not GigStatus.CLOSED or view.gig.published_at is not None:
        return None
    card = review_card(view.gig, ctx.member.display_name, "Its poster withdrew it.")
    return review_edit(view.gig, card)


async def delete(ctx: GigContext, args: Args) -> Response:
    """/gig delete: the poster or an admin removes a lead; it still counts against the limit."""
    gig = await find_gig(ctx, args.text("gig"))
    if gig.poster_id != ctx.member.id and not ctx.actor.is_admin:
        raise UserError(f"Only its poster or an admin can delete gig #{gig.number}.")
    by_admin = gig.poster_id != ctx.member.id
    poster = (await ctx.store.get_member(gig.poster_id)).display_name

    def messages(view: GigView) -> GigMessages:
        told = None
        if by_admin:
            note = poster_note(view.gig, "An admin removed your lead", "It is no longer shown.")
            told = dm(view.gig, view.gig.poster_id, note)
        review = None
        if view.gig.published_at is None:
            review = review_edit(
                view.gig,
                review_card(view.gig, poster, f"Deleted by {ctx.member.display_name}."),
            )
        return GigMessages(others=only(shown(view), review, told))

    changes = {"status": GigStatus.DELETED, "closed_at": ctx.now}
    try:
        await ctx.store.change_gig(gig, changes, ctx.now, messages)
    except GigChanged:
        raise await gone(ctx, gig) from None
    return Response(
        Message(
            title=f"Gig #{gig.number} deleted: {gig.title}",
            body=text("Its post now says it was removed. It still counts toward the weekly limit."),
        )
    )


def _line(view: GigView) -> tuple[Part, ...]:
    gig = view.gig
    parts: list[Part] = [
        f"{gig.status.value} · {plural(len(view.interested), 'member')} interested"
    ]
    if gig.status is GigStatus.OPEN:
        parts += [" · open until ", Timestamp(gig.expires_at)]
    if gig.status is GigStatus.CLOSED and gig.outcome is not None:
        parts.append(f" · {gig.outcome.value}")
    return tuple(parts)


async def mine(ctx: GigContext, args: Args) -> Response:
    """/gig mine: the caller's leads with how many are interested in each."""
    views = await ctx.store.poster_gigs(ctx.member.id)
    if not views:
        return Response(
            Message(title="Your gig leads", body=text("None yet: post one with /gig post."))
        )
    fields = tuple(
        Field(f"#{v.gig.number} {v.gig.title}", text(*_line(v)), inline=False) for v in views
    )
    return Response(Message(title="Your gig leads", fields=fields))


async def journey_field(ctx: Context[GigJourneyStore], member: Member) -> Field | None:
    """/journey's gigs line: the leads a member was hired for, "<title> (<month year>)"."""
    hired = await ctx.store.gigs_hired(member.id)
    if not hired:
        return None
    zone = member.zone(ctx.community)
    lines = [f"{g.title} ({(g.closed_at or g.created_at).astimezone(zone):%B %Y})" for g in hired]
    return Field("Gigs", text("\n".join(lines)), inline=False)
