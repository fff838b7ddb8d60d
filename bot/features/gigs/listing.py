"""/gig list [skill:]: the open leads, best fit for the reader first, then the newest."""

from __future__ import annotations

from bot.commands.args import Args
from bot.errors import OptionError
from bot.features.gigs.match_cards import list_card
from bot.features.gigs.matching import lead_keys, matching_names, member_weights, score
from bot.features.gigs.rules import GigContext
from bot.features.gigs.skills import Aliases, skill_key
from bot.messages import Response


async def list_gigs(ctx: GigContext, args: Args) -> Response:
    """Open leads with pay, place and dates; ``skill:`` keeps those wanting it (aliases too)."""
    store = ctx.store
    skill = " ".join(args.text("skill").split()) or None
    if skill is not None and not skill_key(skill):
        raise OptionError("skill", 'Name a skill, e.g. skill:"spatial mixing".')
    aliases = Aliases(await store.skill_aliases(ctx.community.id))
    gigs = await store.open_gigs(ctx.community.id, ctx.now)
    if skill is not None:
        wanted = aliases.resolve(skill)
        gigs = [g for g in gigs if wanted in lead_keys(g, aliases)]
    held = member_weights(ctx.member.skills, await store.member_sprints(ctx.member.id), aliases)
    # Newest first already; a stable sort by fit keeps that order among equals.
    ranked = sorted(gigs, key=lambda g: -score(held, lead_keys(g, aliases)))
    counts = await store.interest_counts([g.id for g in ranked])
    rows = [(g, counts.get(g.id, 0), matching_names(g, held, aliases)) for g in ranked]
    return Response(list_card(rows, skill))
