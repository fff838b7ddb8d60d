"""The posting and moderation half of the gig commands and buttons, declared once."""

from __future__ import annotations

from bot.commands.registry import Command, Group, Option, OptionType, Permission, Registry
from bot.features.gigs import closing, moderation, posting
from bot.features.gigs.cards import REPORT_ACTION
from bot.features.gigs.options import (
    DAYS,
    EDIT_OPTIONS,
    GIG,
    HIRED,
    OUTCOME,
    POST_OPTIONS,
    REASON,
)
from bot.features.gigs.review_cards import (
    APPROVE_ACTION,
    EXTEND_ACTION,
    KEEP_ACTION,
    REJECT_ACTION,
    REMOVE_ACTION,
)

ADMIN = Permission.ADMIN


def register(registry: Registry) -> None:
    """Declare posting, editing, closing, reports and approval, and their buttons."""
    registry.add_group(Group("gig", "Paid work leads: post them, find them, answer them"))
    add = registry.add
    add(Command(("gig", "post"), "Post a work lead, paid or unpaid", posting.post,
                options=POST_OPTIONS, form_title="Post a gig lead"))  # fmt: skip
    add(Command(("gig", "edit"), "Change your lead (it is updated in place)", posting.edit,
                options=EDIT_OPTIONS, form_when_incomplete=False))  # fmt: skip
    add(Command(("gig", "extend"), "Keep your lead open longer (14 days unless days: says)",
                posting.extend, options=(GIG, DAYS)))  # fmt: skip
    add(Command(("gig", "close"), "Close your lead as filled (optionally who got it) or withdrawn",
                closing.close, options=(GIG, OUTCOME, HIRED)))  # fmt: skip
    add(Command(("gig", "delete"), "Remove a lead (its poster or an admin)", closing.delete,
                options=(GIG,)))  # fmt: skip
    add(Command(("gig", "mine"), "Your leads and how many are interested", closing.mine))
    add(Command(("gig", "report"), "Tell the admins what is wrong with a lead", moderation.report,
                options=(GIG, REASON), form_title="Report a gig lead"))  # fmt: skip
    add(Command(("gig", "approve"), "Approve a lead waiting for review (admins)",
                moderation.approve, options=(GIG,), permission=ADMIN))  # fmt: skip
    add(Command(("gig", "reject"), "Reject a lead waiting for review, with the reason (admins)",
                moderation.reject, options=(GIG, REASON), permission=ADMIN,
                form_title="Reject a gig lead"))  # fmt: skip

    registry.action(REPORT_ACTION, moderation.report_pressed)
    registry.action(EXTEND_ACTION, posting.extend_pressed)
    registry.action(APPROVE_ACTION, moderation.approve_pressed, permission=ADMIN)
    registry.action(REJECT_ACTION, moderation.reject_pressed, permission=ADMIN)
    registry.action(KEEP_ACTION, moderation.keep_pressed, permission=ADMIN)
    registry.action(REMOVE_ACTION, moderation.remove_pressed, permission=ADMIN)


def register_admin(registry: Registry) -> None:
    """Declare /admin gigs (after every /gig command, so /help lists them together)."""
    registry.add(
        Command(
            ("admin", "gigs"),
            "Gig posting limits: posts per week, membership days, approval",
            moderation.settings,
            options=(
                Option(
                    "posts-per-week",
                    "Leads a member may post per 7 days (0 turns posting off)",
                    OptionType.INTEGER,
                    min_value=0,
                    max_value=50,
                    label="posts-per-week",  # errors name it as typed (no form asks it)
                ),
                Option(
                    "min-member-days",
                    "Days a member must have been here before posting",
                    OptionType.INTEGER,
                    min_value=0,
                    max_value=365,
                    label="min-member-days",
                ),
                Option("approval", "New leads wait for an admin's approval", OptionType.BOOLEAN),
            ),
            permission=ADMIN,
            form_when_incomplete=False,
        )
    )
