"""Admins' say over leads: approving or rejecting new ones, reports, and the posting limits.

With approval on, a new lead waits (status pending: no post, no alerts) until an admin
approves it; publishing sets it open, stamps published_at and queues its post in one
write guarded on its version, so two admins pressing Approve at once publish it once.
Three reports from different members hide a lead until an admin keeps or removes it.
"""

from __future__ import annotations

from dataclasses import replace

from bot.commands.args import Args
from bot.commands.values import row_id
from bot.errors import UserError
from bot.features.gigs import inputs
from bot.features.gigs.lookup import find_gig
from bot.features.gigs.models import GIG_REVIEW, Gig, GigSettings, GigStatus
from bot.features.gigs.post_store import GigMessages, GigView
from bot.features.gigs.posting import channel_post, only, shown
from bot.features.gigs.review_cards import (
    dm,
    poster_note,
    report_card,
    review_card,
    review_edit,
    to_review,
)
from bot.features.gigs.rules import HIDE_AT, GigContext, expiry_changes, gone, status_words
from bot.features.gigs.store import GigChanged
from bot.forms import fixed_form, form_for
from bot.messages import Message, Response, Tone, text

REJECT_COMMAND = "gig.reject"
REPORT_COMMAND = "gig.report"


async def _pressed(ctx: GigContext, args: list[str]) -> Gig:
    gig_id = row_id(args[0]) if args else None
    gig = await ctx.store.get_gig(gig_id) if gig_id is not None else None
    if gig is None or gig.community_id != ctx.community.id:
        raise UserError("That button is out of date; /gig list shows the open leads.")
    return gig


def _decided(gig: Gig) -> UserError:
    """Why a lead no longer waits for a decision, in one line."""
    if gig.status is GigStatus.REJECTED:
        return UserError(f"Gig #{gig.number} was rejected already; nothing was changed.")
    if gig.status is GigStatus.CLOSED and gig.published_at is None:
        return UserError(
            f"Gig #{gig.number} was withdrawn by its poster; there is nothing to approve."
        )
    if gig.status is GigStatus.DELETED and gig.published_at is None:
        return UserError(f"Gig #{gig.number} was deleted; there is nothing to approve.")
    return UserError(f"Gig #{gig.number} {status_words(gig)}: another admin decided already.")


async def _poster(ctx: GigContext, gig: Gig) -> str:
    return (await ctx.store.get_member(gig.poster_id)).display_name


async def approve_lead(ctx: GigContext, gig: Gig) -> Response:
    """Publish a pending lead: open, its post queued, the poster told, the card updated."""
    if gig.status is not GigStatus.PENDING:
        raise _decided(gig)
    poster = await _poster(ctx, gig)
    admin = ctx.member.display_name
    # It stays open as long as its poster asked, counted from now.
    until = ctx.now + (gig.expires_at - gig.created_at)

    def messages(view: GigView) -> GigMessages:
        card = review_card(view.gig, poster, f"Approved by {admin}.")
        note = poster_note(
            view.gig, "Your lead is posted", "An admin approved it; it is in the gigs channel now."
        )
        return GigMessages(
            post=channel_post(view.gig),
            others=only(review_edit(view.gig, card), dm(view.gig, view.gig.poster_id, note)),
        )

    changes = {"status": GigStatus.OPEN, "published_at": ctx.now, **expiry_changes(until, ctx.now)}
    try:
        done = await ctx.store.change_gig(gig, changes, ctx.now, messages)
    except GigChanged:
        raise UserError(f"Gig #{gig.number} was just decided by another admin.") from None
    return Response(
        Message(
            title=f"Gig #{done.number} approved: {done.title}",
            body=text("It is posted in the gigs channel."),
            tone=Tone.SUCCESS,
        )
    )


async def approve_pressed(ctx: GigContext, args: list[str]) -> Response:
    """The review card's Approve button (admins only, checked by the core)."""
    return await approve_lead(ctx, await _pressed(ctx, args))


async def approve(ctx: GigContext, args: Args) -> Response:
    """/gig approve: the Approve button's twin."""
    return await approve_lead(ctx, await find_gig(ctx, args.text("gig")))


async def reject_pressed(ctx: GigContext, args: list[str]) -> Response:
    """The review card's Reject button: a form asks the reason, which the poster is told."""
    gig = await _pressed(ctx, args)
    if gig.status is not GigStatus.PENDING:
        raise _decided(gig)
    command = ctx.registry.get(REJECT_COMMAND)
    assert command is not None
    form = form_for(command, {"gig": str(gig.number)})
    return Response(form=replace(form, title=f"Reject gig #{gig.number}"))


async def reject(ctx: GigContext, args: Args) -> Response:
    """/gig reject: say no to a pending lead; the poster gets the reason."""
    gig = await find_gig(ctx, args.text("gig"))
    if gig.status in (GigStatus.REJECTED, GigStatus.CLOSED, GigStatus.DELETED):
        raise _decided(gig)
    if gig.status is not GigStatus.PENDING:
        raise UserError(f"Gig #{gig.number} {status_words(gig)}: only waiting leads are rejected.")
    reason = inputs.read_reason(args.text("reason"))
    poster = await _poster(ctx, gig)
    admin = ctx.member.display_name

    def messages(view: GigView) -> GigMessages:
        card = review_card(view.gig, poster, f"Rejected by {admin}: {reason}")
        note = poster_note(
            view.gig, "Your lead was not approved", "An admin's reason: ", reason,
            "\nYou may post it again with the change.", tone=Tone.WARNING,
        )  # fmt: skip
        return GigMessages(
            others=only(review_edit(view.gig, card), dm(view.gig, view.gig.poster_id, note))
        )

    changes = {"status": GigStatus.REJECTED, "reason": reason, "closed_at": ctx.now}
    try:
        await ctx.store.change_gig(gig, changes, ctx.now, messages)
    except GigChanged:
        raise UserError(f"Gig #{gig.number} was just decided by another admin.") from None
    return Response(
        Message(title=f"Gig #{gig.number} rejected", body=text("Its poster is told why."))
    )


async def report_pressed(ctx: GigContext, args: list[str]) -> Response:
    """The post's Report button: a form asks the reason."""
    gig = await _pressed(ctx, args)
    await _reportable(ctx, gig)
    command = ctx.registry.get(REPORT_COMMAND)
    assert command is not None
    # The button knows the lead: the form asks only the reason.
    form = fixed_form(command, {"gig": str(gig.number)})
    return Response(form=replace(form, title=f"Report gig #{gig.number}"))


async def _reportable(ctx: GigContext, gig: Gig) -> None:
    if gig.status not in (GigStatus.OPEN, GigStatus.HIDDEN):
        raise UserError(f"Gig #{gig.number} {status_words(gig)}, so there is nothing to report.")
    if gig.poster_id == ctx.member.id:
        raise UserError(
            "That is your own lead: change it with /gig edit or remove it with /gig delete."
        )
    if any(who == ctx.member.id for who, _ in await ctx.store.gig_reports(gig.id)):
        raise UserError(f"You reported gig #{gig.number} already; admins have your reason.")


async def report(ctx: GigContext, args: Args) -> Response:
    """/gig report: tell the admins what is wrong with a lead (once per member)."""
    gig = await find_gig(ctx, args.text("gig"))
    await _reportable(ctx, gig)
    reason = inputs.read_reason(args.text("reason"))
    reporter = ctx.member.display_name

    def messages(view: GigView, count: int) -> GigMessages:
        hid = view.gig.status is GigStatus.HIDDEN and count == HIDE_AT
        card = to_review(view.gig, report_card(view.gig, reporter, reason, count, hid))
        if hid:
            return GigMessages(review=card, others=only(shown(view)))
        return GigMessages(others=(card,))

    view = await ctx.store.report_gig(gig, ctx.member.id, reason, ctx.now, HIDE_AT, messages)
    if view is None:
        raise UserError(f"You reported gig #{gig.number} already; admins have your reason.")
    return Response(
        Message(title="Thanks: admins have your report", body=text(f"About gig #{gig.number}."))
    )


def _hidden_decided(ctx: GigContext, gig: Gig, keep: bool) -> UserError:
    """Keep or Remove pressed on a lead decided already: what it is now."""
    if keep and gig.status is GigStatus.OPEN:
        return UserError(f"Gig #{gig.number} is kept already: it is shown again.")
    if not keep and gig.status is GigStatus.DELETED:
        return UserError(f"Gig #{gig.number} was removed already.")
    return UserError(f"Gig #{gig.number} {status_words(gig)}: another admin decided already.")


async def _decide_hidden(ctx: GigContext, args: list[str], keep: bool) -> Response:
    gig = await _pressed(ctx, args)
    if gig.status is not GigStatus.HIDDEN:
        raise _hidden_decided(ctx, gig, keep)
    reports = await ctx.store.gig_reports(gig.id)
    admin = ctx.member.display_name
    last = reports[-1][1] if reports else ""
    reporter = (await ctx.store.get_member(reports[-1][0])).display_name if reports else ""
    decided = f"{'Kept' if keep else 'Removed'} by {admin}."

    def messages(view: GigView) -> GigMessages:
        card = report_card(view.gig, reporter, last, len(reports), True, decided)
        told = None
        if not keep:
            note = poster_note(
                view.gig, "Your lead was removed",
                "Members reported it and an admin agreed; it is no longer shown.",
                tone=Tone.WARNING,
            )  # fmt: skip
            told = dm(view.gig, view.gig.poster_id, note)
        return GigMessages(others=only(shown(view), review_edit(view.gig, card), told))

    changes = (
        {"status": GigStatus.OPEN} if keep else {"status": GigStatus.DELETED, "closed_at": ctx.now}
    )
    try:
        await ctx.store.change_gig(gig, changes, ctx.now, messages)
    except GigChanged:
        raise await gone(ctx, gig) from None
    return Response(Message(title=f"Gig #{gig.number}: {decided}", body=text(gig.title)))


async def keep_pressed(ctx: GigContext, args: list[str]) -> Response:
    """Keep a hidden lead: it is shown again."""
    return await _decide_hidden(ctx, args, keep=True)


async def remove_pressed(ctx: GigContext, args: list[str]) -> Response:
    """Remove a hidden lead: its post says it was removed, its poster is told."""
    return await _decide_hidden(ctx, args, keep=False)


async def settings(ctx: GigContext, args: Args) -> Response:
    """/admin gigs: posts per member per 7 days, membership age before posting, approval."""
    now = await ctx.store.gig_settings(ctx.community.id)
    approval = args.boolean("approval")
    new = GigSettings(
        posts_per_week=args.integer("posts-per-week", now.posts_per_week) or 0,
        min_member_days=args.integer("min-member-days", now.min_member_days) or 0,
        approval=now.approval if approval is None else approval,
    )
    if new != now:
        await ctx.store.set_gig_settings(ctx.community.id, new)
    lines = [
        f"Posts per member per 7 days: {new.posts_per_week}"
        + (" (posting is off)" if new.posts_per_week == 0 else ""),
        f"Days a member must have been here before posting: {new.min_member_days}",
        "New leads wait for an admin's approval: " + ("yes" if new.approval else "no"),
    ]
    if GIG_REVIEW not in await ctx.store.channels(ctx.community.id):
        lines.append(
            "Approvals and reports go to the gig-review channel, which isn't set: run "
            "/admin channel purpose:gig-review in your admins' channel; they wait until then."
        )
    title = "Gig settings saved" if new != now else "Gig settings"
    return Response(Message(title=title, body=text("\n".join(lines))))
