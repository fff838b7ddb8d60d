""" "I'm interested": the button on a lead and ``/gig interested gig:``, its twin.

Once per member and lead. The poster gets one private intro (name, role → heading, the
lead's skills the member holds, their completed sprints' deliverables with links), the
member is told it was sent, and the post's count is brought up to date in place (never who).
A lead that is not open, or the member's own, is refused in one line and nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.commands.args import Args
from bot.commands.values import row_id
from bot.errors import UserError
from bot.features.gigs.cards import post_edit
from bot.features.gigs.lookup import find_gig
from bot.features.gigs.match_cards import (
    already_interested,
    intro_card,
    intro_fields,
    intro_sent,
    not_open_line,
)
from bot.features.gigs.matching import matching_names, member_weights
from bot.features.gigs.models import NAME, Gig
from bot.features.gigs.rules import GigContext
from bot.features.gigs.skills import Aliases
from bot.messages import Response
from bot.models import Destination, NewOutbox
from bot.notices import STALE_BUTTON


async def say_interested(ctx: GigContext, gig: Gig) -> Response:
    """Record the caller's interest in a lead and send the poster their intro, once."""
    if gig.poster_id == ctx.member.id:
        raise UserError(
            f"Gig #{gig.number} is your own lead: members who want it press I'm interested."
        )
    if not gig.visible or gig.expires_at <= ctx.now:
        raise UserError(not_open_line(gig))
    store = ctx.store
    aliases = Aliases(await store.skill_aliases(ctx.community.id))
    sprints = await store.member_sprints(ctx.member.id)
    held = member_weights(ctx.member.skills, sprints, aliases)
    fits = matching_names(gig, held, aliases)
    poster = await store.get_member(gig.poster_id)
    member = ctx.member

    def messages(fresh: Gig, interested: int) -> Sequence[NewOutbox]:
        intro = NewOutbox(
            community_id=fresh.community_id,
            destination=Destination.dm(poster.id),
            payload=json.dumps(intro_card(fresh, member, fits, sprints).to_dict()),
            dedupe_key=f"gig-intro:{fresh.id}:{member.id}",
            feature=NAME,
        )
        edit = post_edit(fresh, interested)
        return [intro] if edit is None else [intro, edit]

    result = await store.record_gig_interest(gig.id, member.id, ctx.now, messages)
    if result.recorded:
        return Response(intro_sent(result.gig, poster, intro_fields(member, fits, sprints)))
    if not result.gig.visible or result.gig.expires_at <= ctx.now:
        raise UserError(not_open_line(result.gig))
    return Response(already_interested(result.gig, poster))


async def press(ctx: GigContext, args: list[str]) -> Response:
    """The "I'm interested" button (``gig.interested:<id>``)."""
    gig_id = row_id(args[0]) if args else None
    gig = None if gig_id is None else await ctx.store.get_gig(gig_id)
    if gig is None or gig.community_id != ctx.community.id:
        raise UserError(STALE_BUTTON)
    return await say_interested(ctx, gig)


async def command(ctx: GigContext, args: Args) -> Response:
    """/gig interested gig:<number or title>."""
    return await say_interested(ctx, await find_gig(ctx, args.text("gig")))
