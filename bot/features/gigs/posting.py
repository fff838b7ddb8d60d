"""Posting a lead, editing it in place, and extending it: each re-checked by the same rules."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.commands.args import Args
from bot.commands.values import row_id
from bot.errors import OptionError, UserError
from bot.features.gigs import inputs
from bot.features.gigs.cards import gig_card, post_edit
from bot.features.gigs.lookup import find_gig
from bot.features.gigs.models import GIG_REVIEW, GIGS, NAME, Gig, GigDraft, GigStatus
from bot.features.gigs.post_store import GigMessages, GigView, NewGig, PostingLimit
from bot.features.gigs.review_cards import review_card, review_edit, to_review
from bot.features.gigs.rules import (
    EXTEND_BY,
    MAX_OPEN,
    WEEK,
    GigContext,
    expiry_changes,
    gone,
    local,
    own,
    status_words,
    warn_time,
)
from bot.features.gigs.skills import Aliases, skill_keys
from bot.features.gigs.store import GigChanged
from bot.messages import Message, Response, Timestamp, Tone, text
from bot.models import Destination, NewOutbox
from bot.wording import plural

DAY = timedelta(days=1)


def read_draft(ctx: GigContext, args: Args, base: GigDraft | None = None) -> GigDraft:
    """A lead's fields from a command's options; an edit keeps what it doesn't name."""
    typed = {name: args.optional_text(name) for name in
             ("title", "details", "skills", "pay", "where", "when", "link")}  # fmt: skip
    if base is None:
        typed = {name: value or "" for name, value in typed.items()}
    title, details, skills, pay, where, when, link = typed.values()
    starts, ends = (
        (base.starts_on, base.ends_on)
        if when is None and base is not None
        else inputs.read_when(when or "", ctx.today)
    )
    return GigDraft(
        title=base.title if title is None and base else inputs.read_title(title or ""),
        details=base.details if details is None and base else inputs.read_details(details or ""),
        skills=base.skills if skills is None and base else inputs.read_skills(skills or ""),
        pay=base.pay if pay is None and base else inputs.read_pay(pay or ""),
        place=base.place if where is None and base else inputs.read_place(where or ""),
        starts_on=starts,
        ends_on=ends,
        link=base.link if link is None and base else inputs.read_link(link or ""),
    )


def channel_post(gig: Gig, interested: int = 0) -> NewOutbox:
    """The lead's own post in the gigs channel."""
    return NewOutbox(
        community_id=gig.community_id,
        destination=Destination.channel(GIGS),
        payload=json.dumps(gig_card(gig, interested).to_dict()),
        feature=NAME,
    )


def shown(view: GigView) -> NewOutbox | None:
    """The lead's channel post brought up to date, if it has one."""
    return post_edit(view.gig, len(view.interested))


def only(*items: NewOutbox | None) -> tuple[NewOutbox, ...]:
    """The messages that exist of these."""
    return tuple(i for i in items if i is not None)


async def _may_post(ctx: GigContext) -> tuple[int, bool]:
    """The caller's posting limit and whether admins approve first; refuses whoever may not."""
    settings = await ctx.store.gig_settings(ctx.community.id)
    if settings.posts_per_week == 0:
        raise UserError("Posting leads is turned off here for now (admins set it in /admin gigs).")
    since = await ctx.store.member_since(ctx.member.id)
    allowed = since + timedelta(days=settings.min_member_days)
    if allowed > ctx.now:
        raise UserError(
            f"Members post leads after {settings.min_member_days} days here: you can from "
            f"{local(ctx, allowed)}."
        )
    return settings.posts_per_week, settings.approval


async def post(ctx: GigContext, args: Args) -> Response:
    """/gig post: a new lead in the gigs channel (or to admins first, when they approve posts)."""
    limit, approval = await _may_post(ctx)
    draft = read_draft(ctx, args)
    days = inputs.read_open_days(args.integer("open-days"))
    expires = ctx.now + timedelta(days=days)
    poster = ctx.member.display_name

    def messages(view: GigView) -> GigMessages:
        if view.gig.status is GigStatus.PENDING:
            return GigMessages(review=to_review(view.gig, review_card(view.gig, poster)))
        return GigMessages(post=channel_post(view.gig))

    new = NewGig(
        community_id=ctx.community.id,
        poster_id=ctx.member.id,
        draft=draft,
        status=GigStatus.PENDING if approval else GigStatus.OPEN,
        expires_at=expires,
        warn_at=warn_time(expires, ctx.now),
        limit=limit,
        since=ctx.now - WEEK,
    )
    try:
        gig = await ctx.store.create_gig(new, ctx.now, messages)
    except PostingLimit as full:
        raise UserError(
            f"You've posted {plural(limit, 'lead')} in the last 7 days (deleted "
            f"ones count too). Your next slot frees up on {local(ctx, full.next_slot)}."
        ) from None
    if gig.status is GigStatus.PENDING:
        where = await _review_note(ctx)
        return Response(
            Message(
                title=f"Gig #{gig.number} waits for approval: {gig.title}",
                body=text(
                    "Admins approve new leads here first; members see nothing of it until "
                    f"then, and I'll tell you when it is posted.{where}"
                ),
            )
        )
    return Response(
        Message(
            title=f"Gig #{gig.number} posted: {gig.title}",
            body=text(
                "It is in the gigs channel; members whose skills fit hear of it. It is open until ",
                Timestamp(gig.expires_at),
                f". Change it with /gig edit gig:{gig.number}, close it with /gig close.",
            ),
            tone=Tone.SUCCESS,
        )
    )


async def _review_note(ctx: GigContext) -> str:
    """A word to the poster when no admin channel is set, so the wait is explained."""
    if GIG_REVIEW in await ctx.store.channels(ctx.community.id):
        return ""
    return " (No admin channel is set for gig reviews yet, so it waits until one is.)"


async def edit(ctx: GigContext, args: Args) -> Response:
    """/gig edit: change a lead in place; an edit breaking any rule changes nothing."""
    gig = await find_gig(ctx, args.text("gig"))
    own(ctx, gig, "edit")
    if gig.status not in (GigStatus.OPEN, GigStatus.PENDING):
        raise UserError(f"Gig #{gig.number} {status_words(gig)}, so it can't be edited.")
    if not any(args.has(n) for n in ("title", "details", "skills", "pay", "where", "when", "link")):
        raise UserError(
            'Name what changes, e.g. /gig edit gig:12 pay:"500 EUR per day" '
            "(title, details, skills, pay, where, when or link)."
        )
    draft = read_draft(ctx, args, gig.draft)
    if draft == gig.draft:
        raise UserError(f"That is what gig #{gig.number} says already; nothing changed.")
    poster = ctx.member.display_name

    def messages(view: GigView) -> GigMessages:
        if view.gig.status is GigStatus.PENDING:
            return GigMessages(others=only(review_edit(view.gig, review_card(view.gig, poster))))
        return GigMessages(others=only(shown(view)))

    changes: dict[str, object] = {"draft": draft, "edited_at": ctx.now}
    if skill_keys(draft.skills, Aliases()) != skill_keys(gig.skills, Aliases()):
        # New skills may fit new members: the alerts job matches it again (never twice).
        changes["matched_at"] = None
    try:
        changed = await ctx.store.change_gig(gig, changes, ctx.now, messages)
    except GigChanged:
        raise await gone(ctx, gig) from None
    where = "its post is updated" if changed.post_id else "admins see the new version"
    return Response(
        Message(
            title=f"Gig #{changed.number} edited: {changed.title}",
            body=text(f"Saved; {where}."),
            tone=Tone.SUCCESS,
        )
    )


def _extendable(ctx: GigContext, gig: Gig, sent_for: int | None) -> None:
    """Refuse extending a lead not the caller's, not open, or (a button) extended already."""
    own(ctx, gig, "extend")
    if gig.status is not GigStatus.OPEN:
        raise UserError(
            f"Gig #{gig.number} {status_words(gig)}, so it can't be extended. "
            "Post it again with /gig post if the work is still there."
        )
    if sent_for is not None and int(gig.expires_at.timestamp()) != sent_for:
        raise UserError(
            f"Already extended: gig #{gig.number} is open until {local(ctx, gig.expires_at)};"
            " nothing was changed."
        )


async def extend_lead(
    ctx: GigContext, gig: Gig, days: int, sent_for: int | None = None
) -> Response:
    """Keep the caller's open lead open ``days`` more, at most 60 days from now in all.

    ``sent_for``: the expiry a button was sent for; the write is guarded on the lead's version,
    so of two presses at once one extends and the other reads the new expiry.
    """
    _extendable(ctx, gig, sent_for)
    base = max(gig.expires_at, ctx.now)
    until = base + timedelta(days=days)
    latest = ctx.now + MAX_OPEN
    if until > latest:
        room = int((latest - base) / DAY)
        more = (
            f"extend it by at most {plural(room, 'day')}"
            if room >= 1
            else "it can't be extended more"
        )
        raise OptionError(
            "days",
            f"A lead stays open at most {MAX_OPEN.days} days from now, and gig #{gig.number} is "
            f"open until {local(ctx, gig.expires_at)}: {more}.",
        )

    def messages(view: GigView) -> GigMessages:
        return GigMessages(others=only(shown(view)))

    try:
        changed = await ctx.store.change_gig(gig, expiry_changes(until, ctx.now), ctx.now, messages)
    except GigChanged:
        now = await ctx.store.get_gig(gig.id)
        if now is not None and sent_for is not None:
            _extendable(ctx, now, sent_for)
        raise await gone(ctx, gig) from None
    return Response(
        Message(
            title=f"Gig #{changed.number} extended: {changed.title}",
            body=text("It is open until ", Timestamp(changed.expires_at), "."),
            tone=Tone.SUCCESS,
        )
    )


async def extend(ctx: GigContext, args: Args) -> Response:
    """/gig extend: keep a lead open longer (14 days unless ``days:`` says)."""
    gig = await find_gig(ctx, args.text("gig"))
    return await extend_lead(ctx, gig, args.integer("days") or EXTEND_BY.days)


async def extend_pressed(ctx: GigContext, args: list[str]) -> Response:
    """The expiry warning's "Extend 14 days" button: its poster only."""
    gig_id = row_id(args[0]) if args else None
    gig = await ctx.store.get_gig(gig_id) if gig_id is not None else None
    if gig is None:
        raise UserError("That button is out of date; /gig mine shows your leads.")
    # Buttons sent before they named their expiry: the warning's, until it is extended.
    sent_for = row_id(args[1]) if len(args) > 1 else None
    if sent_for is None and gig.warned_at is None:
        sent_for = -1
    try:
        return await extend_lead(ctx, gig, EXTEND_BY.days, sent_for)
    except OptionError as exc:
        raise UserError(exc.message) from None
