"""Skill aliases, for admins: "atmos" is another name for "spatial mixing" in this community.

Matching, ``/gig list skill:`` and the intro all resolve names through them.
"""

from __future__ import annotations

from bot.commands.args import Args
from bot.errors import OptionError, UserError
from bot.features.gigs.rules import GigContext
from bot.features.gigs.skills import Aliases, SkillAlias, skill_key
from bot.messages import Message, Response, Tone, text

MAX_NAME = 40


def _name(args: Args, option: str) -> str:
    """A skill name as typed, spaces tidied; a friendly line if empty or too long."""
    name = " ".join(args.text(option).split())
    if not skill_key(name):
        raise OptionError(option, f'Give {option}: a skill name, e.g. {option}:"spatial mixing".')
    if len(name) > MAX_NAME:
        raise OptionError(option, f"Keep {option}: to {MAX_NAME} characters.")
    return name


async def set_alias(ctx: GigContext, args: Args) -> Response:
    """/admin skill-alias alias:… skill:… (remove:yes takes the alias away)."""
    store = ctx.store
    alias = _name(args, "alias")
    if args.boolean("remove"):
        gone = await store.remove_skill_alias(ctx.community.id, alias)
        if gone is None:
            raise UserError(f"'{alias}' isn't an alias here. See them with /admin skill-aliases.")
        return Response(
            Message(
                title="Alias removed",
                body=text(f"'{gone.alias}' no longer stands for '{gone.skill}'."),
                tone=Tone.SUCCESS,
            )
        )
    if not args.has("skill"):
        raise OptionError("skill", 'Say which skill it stands for: skill:"spatial mixing".')
    skill = _name(args, "skill")
    if skill_key(alias) == skill_key(skill):
        raise OptionError("skill", f"'{alias}' and '{skill}' are already the same skill.")
    known = Aliases(await store.skill_aliases(ctx.community.id))
    if known.would_loop(alias, skill):
        raise OptionError(
            "skill", f"'{skill}' already stands for '{alias}'; remove that alias first."
        )
    before = await store.set_skill_alias(ctx.community.id, SkillAlias(alias, skill), ctx.now)
    was = f" (it stood for '{before.skill}')" if before and before.skill != skill else ""
    return Response(
        Message(
            title="Alias saved",
            body=text(
                f"'{alias}' now stands for '{skill}'{was}: leads and members with either name "
                "match each other."
            ),
            tone=Tone.SUCCESS,
        )
    )


async def list_aliases(ctx: GigContext, args: Args) -> Response:
    """/admin skill-aliases: every alias of the community."""
    found = await ctx.store.skill_aliases(ctx.community.id)
    body = (
        "\n".join(f"{a.alias} → {a.skill}" for a in found)
        if found
        else 'No aliases yet: /admin skill-alias alias:atmos skill:"spatial mixing" adds one.'
    )
    return Response(
        Message(
            title="Skill aliases",
            body=text(body),
            footer=text("Remove one with /admin skill-alias alias:<name> remove:yes."),
        )
    )
