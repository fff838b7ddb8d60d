"""The options gig commands take, declared once, and the type-ahead of ``gig:``."""

from __future__ import annotations

from dataclasses import replace

from bot.commands.registry import Choice, Option, OptionType
from bot.features.gigs import inputs
from bot.features.gigs.models import GigStatus
from bot.features.gigs.rules import GigContext

# The profile feature's type-ahead of skill names (comma-separated lists complete the last).
SKILL_SOURCE = "skill"
# The type-ahead source of ``gig:``: the community's leads by number and title.
GIG_SOURCE = "gig"
GIG = Option(
    "gig", "The lead's number (shown on it) or its title", required=True, max_length=100,
    placeholder="12", suggest=GIG_SOURCE,
)  # fmt: skip
TITLE = Option(
    "title", "A short title for the work", required=True, max_length=inputs.MAX_TITLE,
    placeholder="Spatial mix for a podcast pilot",
)  # fmt: skip
DETAILS = Option(
    "details", "What the work is", required=True, max_length=inputs.MAX_DETAILS, paragraph=True,
)  # fmt: skip
SKILLS = Option(
    "skills", "Skills wanted, comma-separated (1 to 5)", required=True, max_length=250,
    placeholder="spatial mixing, dolby atmos", suggest=SKILL_SOURCE,
)  # fmt: skip
PAY = Option(
    "pay", '"400-600 EUR per day", "£250 per project", or "unpaid"', required=True,
    max_length=60, placeholder="400-600 EUR per day",
)  # fmt: skip
WHERE = Option(
    "where", "Remote (the default) or a place", max_length=inputs.MAX_PLACE,
    placeholder="remote",
)  # fmt: skip
WHEN = Option(
    "when", "Ongoing (the default), a date, or 2027-01-15 to 2027-01-20", max_length=60,
    placeholder="ongoing",
)  # fmt: skip
OPEN_DAYS = Option(
    "open-days", "Days the lead stays open (default 14, at most 60)", OptionType.INTEGER,
    # Errors name it as it is typed (the form shows the same name).
    label="open-days",
)  # fmt: skip
LINK = Option(
    "link", "A link with more (https only)", max_length=inputs.MAX_LINK,
    placeholder="https://…",
)  # fmt: skip
POST_OPTIONS = (TITLE, DETAILS, SKILLS, PAY, WHERE, WHEN, OPEN_DAYS, LINK)
# An edit changes only what it names, by the same rules.
EDIT_OPTIONS = (GIG, *(replace(o, required=False) for o in (TITLE, DETAILS, SKILLS, PAY)),
                WHERE, WHEN, LINK)  # fmt: skip
OUTCOME = Option(
    "outcome", "Filled (someone got it) or withdrawn", OptionType.CHOICE, required=True,
    choices=(Choice("filled", "Filled"), Choice("withdrawn", "Withdrawn")),
)  # fmt: skip
HIRED = Option(
    "hired", "Who got it: a member, or a name (optional)", max_length=100,
    placeholder="@kim",
)  # fmt: skip
REASON = Option("reason", "Why, in one line", required=True, max_length=inputs.MAX_REASON)
DAYS = Option(
    "days", "How many days more (default 14)", OptionType.INTEGER, min_value=1, max_value=60,
)  # fmt: skip

_LISTED = (GigStatus.OPEN, GigStatus.PENDING, GigStatus.HIDDEN)


async def gigs_typed(ctx: GigContext, typed: str) -> list[Choice]:
    """Type-ahead for ``gig:``: open leads (and the caller's own) whose number or title match."""
    needle = typed.strip().lstrip("#").lower()
    found = await ctx.store.recent_gigs(ctx.community.id)
    return [
        Choice(str(g.number), f"#{g.number} {g.title}"[:100])
        for g in found
        if (g.status is GigStatus.OPEN or g.poster_id == ctx.member.id or ctx.actor.is_admin)
        and g.status in _LISTED
        and needle in f"{g.number} {g.title}".lower()
    ]
