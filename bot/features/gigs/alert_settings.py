"""A member's gig alerts switch: /profile gig-alerts:instant|digest|off, and its profile line."""

from __future__ import annotations

from bot.commands.registry import Choice, Option, OptionType
from bot.context import Context
from bot.features.gigs.match_store import GigAlertSettingsStore
from bot.features.gigs.matching import daytime_from
from bot.features.gigs.models import AlertMode
from bot.messages import Field, text

_SAID = {
    AlertMode.INSTANT: "each lead that fits you, by DM",
    AlertMode.DIGEST: "a weekly digest on check-in day",
    AlertMode.OFF: "off",
}

# The option /profile declares.
OPTION = Option(
    "gig-alerts",
    "Gig leads that fit your skills: instant (default), a weekly digest, or off",
    OptionType.CHOICE,
    choices=(
        Choice(AlertMode.INSTANT.value, "Instant"),
        Choice(AlertMode.DIGEST.value, "Weekly digest"),
        Choice(AlertMode.OFF.value, "Off"),
    ),
)


async def set_mode(ctx: Context[GigAlertSettingsStore], value: str) -> None:
    """/profile gig-alerts:… (a value the option's choices allow)."""
    mode = AlertMode(value)
    # Leads held for the digest go with the next alerts run (by day for the member), or never.
    held_at = daytime_from(ctx.now, ctx.zone) or ctx.now
    await ctx.store.set_gig_alert_mode(ctx.member.id, mode, held_at)


async def profile_field(ctx: Context[GigAlertSettingsStore]) -> Field:
    """The gig alerts line of the caller's profile card."""
    return Field("Gig alerts", text(_SAID[await ctx.store.gig_alert_mode(ctx.member.id)]))
