"""Member profiles: time zone, skills, where they are and where they are heading."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.commands.args import Args
from bot.commands.registry import TIMEZONE_SOURCE, Choice, Command, Option, OptionType, Registry
from bot.commands.zones import fixed_zone_note
from bot.errors import OptionError
from bot.features.checkins.reschedule import plan_move, retry_on_change
from bot.features.checkins.store import SprintMove
from bot.features.clinics import hosting as clinic_settings
from bot.features.gigs import alert_settings as gig_alerts
from bot.features.profile.store import ProfileContext
from bot.messages import Field, Message, Response, Timestamp, Tone, text
from bot.models import Member

# The type-ahead source of skills (declared with the feature; sprints use it too).
SKILL_SOURCE = "skill"
MAX_SKILLS = 12
MAX_SKILL_LENGTH = 40


def parse_skills(raw: str) -> tuple[str, ...]:
    """Split a comma-separated skill list, keeping order and dropping repeats."""
    seen: dict[str, str] = {}
    for part in raw.split(","):
        skill = " ".join(part.split())
        if not skill:
            continue
        if len(skill) > MAX_SKILL_LENGTH:
            raise OptionError(
                "skills",
                f"The skill '{skill[:20]}…' is too long; keep each skill to "
                f"{MAX_SKILL_LENGTH} characters.",
            )
        seen.setdefault(skill.lower(), skill)
    if len(seen) > MAX_SKILLS:
        raise OptionError("skills", f"List at most {MAX_SKILLS} skills.")
    return tuple(seen.values())


def profile_card(member: Member, zone_name: str, title: str) -> Message:
    """A member's profile as a card."""
    return Message(
        title=title,
        fields=(
            Field("Time zone", text(zone_name)),
            Field("Skills", text(", ".join(member.skills) or "none yet")),
            Field("Role", text(member.current_role or "not set")),
            Field("Heading", text(member.heading or "not set")),
            Field("Blockers in summaries", text("shared" if member.share_blockers else "private")),
            Field("Check-in prompts", text("paused" if member.paused else "on")),
        ),
    )


async def profile(ctx: ProfileContext, args: Args) -> Response:
    """Show or change your profile."""
    member = ctx.member
    reminders = args.boolean("clinic-reminders")
    if reminders is not None:
        await clinic_settings.set_reminders(ctx, reminders)
    if args.has(gig_alerts.OPTION.name):
        await gig_alerts.set_mode(ctx, args.text(gig_alerts.OPTION.name))
    if not args.values:
        zone = member.timezone or f"{ctx.community.default_timezone} (community default)"
        card = profile_card(member, zone, f"{member.display_name}'s profile")
        card = replace(card, fields=(*card.fields, *await _settings_fields(ctx)))
        return Response(
            replace(
                card,
                footer=text(
                    'Change it with /profile timezone:Europe/London skills:"spatial mixing, '
                    'live sound" role:"FOH engineer" heading:"spatial mixing consultant"'
                ),
            )
        )
    updated = replace(
        member,
        timezone=args.text("timezone", member.timezone or "") or member.timezone,
        skills=parse_skills(args.text("skills")) if args.has("skills") else member.skills,
        current_role=args.text("role", member.current_role),
        heading=args.text("heading", member.heading),
        share_blockers=(
            member.share_blockers
            if args.boolean("share-blockers") is None
            else bool(args.boolean("share-blockers"))
        ),
    )

    async def save() -> datetime | None:
        move = await _moved_prompt(ctx, updated) if updated.timezone != member.timezone else None
        await ctx.store.update_member_moving(updated, move)
        return move.next_prompt_at if move else None

    moved = await retry_on_change(
        save,
        "Your sprint changed while I was saving (a check-in week may have just opened). "
        "Nothing was changed; please try again.",
    )
    body = text("Your next check-in prompt: ", Timestamp(moved), ".") if moved else text()
    note = fixed_zone_note(updated.timezone) if args.has("timezone") and updated.timezone else None
    if note:
        body = text(note, " ", *body) if body else text(note)
    card = profile_card(
        updated, updated.timezone or ctx.community.default_timezone, "Profile saved"
    )
    card = replace(card, fields=(*card.fields, *await _settings_fields(ctx)))
    return Response(replace(card, body=body, tone=Tone.SUCCESS))


async def _settings_fields(ctx: ProfileContext) -> tuple[Field, ...]:
    """The other features' switches the profile card shows: clinic reminders, gig alerts."""
    return (await clinic_settings.profile_field(ctx), await gig_alerts.profile_field(ctx))


async def _moved_prompt(ctx: ProfileContext, member: Member) -> SprintMove | None:
    """A new zone moves the member's sprint to the check-in slot in that zone.

    By the rules of ``bot/features/checkins/reschedule.py``: a first check-in stays at least
    three days after the sprint's start, and an open week is never shortened.
    """
    sprint = await ctx.store.active_sprint(member.id)
    if sprint is None:
        return None
    weeks = await ctx.store.weeks(sprint.id)
    return plan_move(sprint, weeks, ctx.now, ctx.community, member.zone(ctx.community))


async def skills(ctx: ProfileContext, typed: str) -> list[Choice]:
    """Type-ahead for a skill: the member's own and the community's, most common first.

    Skills lists are comma-separated: it completes the last item.
    """
    head, _, last = typed.rpartition(",")
    prefix = f"{head}, " if head else ""
    known = list(ctx.member.skills) + await ctx.store.community_skills(ctx.community.id)
    needle = last.strip().lower()
    seen: list[str] = []
    for skill in known:
        if needle in skill.lower() and skill.lower() not in [s.lower() for s in seen]:
            seen.append(skill)
    return [Choice(prefix + s, prefix + s) for s in seen]


def register(registry: Registry) -> None:
    """Declare the profile command."""
    registry.add(
        Command(
            ("profile",),
            "Show or change your profile: time zone, skills, role, heading",
            profile,
            options=(
                Option(
                    "timezone",
                    "Your time zone, e.g. Europe/London",
                    OptionType.TIMEZONE,
                    suggest=TIMEZONE_SOURCE,
                    label="Time zone",
                ),
                Option(
                    "skills",
                    "Your skills, comma-separated (none clears them)",
                    max_length=500,
                    suggest=SKILL_SOURCE,
                    placeholder="spatial mixing, live sound",
                    clearable=True,
                ),
                Option(
                    "role",
                    "Your current role (none clears it)",
                    max_length=80,
                    label="Current role",
                    placeholder="FOH engineer",
                    clearable=True,
                ),
                Option(
                    "heading",
                    "Where you're heading (none clears it)",
                    max_length=80,
                    placeholder="spatial mixing consultant",
                    clearable=True,
                ),
                Option(
                    "share-blockers",
                    "May your blockers appear in weekly summaries?",
                    OptionType.BOOLEAN,
                    label="Share blockers in summaries",
                ),
                Option(
                    "clinic-reminders",
                    "Clinic reminders by DM before sessions you go to (on or off)",
                    OptionType.BOOLEAN,
                ),
                gig_alerts.OPTION,
            ),
            form_when_incomplete=False,
        )
    )
