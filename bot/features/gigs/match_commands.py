"""The matching half's commands and button: /gig list, /gig interested, skill aliases."""

from __future__ import annotations

from bot.commands.registry import Command, Option, OptionType, Permission, Registry
from bot.features.gigs import aliases, interest, listing
from bot.features.gigs.cards import INTERESTED_ACTION
from bot.features.gigs.options import GIG, SKILL_SOURCE


def register(registry: Registry) -> None:
    """Declare /gig list, /gig interested, the I'm interested button and the alias commands.

    After posting's: its ``register`` declares the gig group.
    """
    registry.add(
        Command(
            ("gig", "list"),
            "Open gig leads, best fit for you first; skill: keeps those wanting it",
            listing.list_gigs,
            options=(
                Option(
                    "skill",
                    "Only leads wanting this skill",
                    max_length=40,
                    suggest=SKILL_SOURCE,
                    placeholder="spatial mixing",
                ),
            ),
            form_when_incomplete=False,
        )
    )
    registry.add(
        Command(
            ("gig", "interested"),
            "Tell a lead's poster you're interested: they get your intro privately",
            interest.command,
            options=(GIG,),
            positional="gig",
        )
    )
    registry.action(INTERESTED_ACTION, interest.press)


def register_admin(registry: Registry) -> None:
    """Declare /admin skill-alias and /admin skill-aliases (after the /gig commands)."""
    admin = Permission.ADMIN
    registry.add(
        Command(
            ("admin", "skill-alias"),
            "Another name for a skill: alias:atmos skill:\"spatial mixing\" (remove:yes drops it)",
            aliases.set_alias,
            options=(
                Option("alias", "The other name", required=True, max_length=40,
                       placeholder="atmos"),
                Option("skill", "The skill it stands for", max_length=40, suggest=SKILL_SOURCE,
                       placeholder="spatial mixing"),
                Option("remove", "Take the alias away", OptionType.BOOLEAN),
            ),
            permission=admin,
            form_when_incomplete=False,
        )
    )  # fmt: skip
    registry.add(
        Command(("admin", "skill-aliases"), "The community's skill aliases",
                aliases.list_aliases, permission=admin)
    )  # fmt: skip
