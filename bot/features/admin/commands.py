"""Community settings, for admins: check-in schedule and channel purposes."""

from __future__ import annotations

from dataclasses import replace

from bot.commands.args import Args
from bot.commands.registry import (
    TIMEZONE_SOURCE,
    Choice,
    Command,
    Group,
    Option,
    OptionType,
    Permission,
    Registry,
)
from bot.errors import UserError
from bot.features.admin.store import AdminContext
from bot.features.checkins.reschedule import plan_move, retry_on_change
from bot.messages import ChannelLink, Field, Message, Response, Tone, text
from bot.models import WEEKDAYS, Community
from bot.wording import plural


async def settings_card(ctx: AdminContext, community: Community, title: str) -> Message:
    """The community's settings as a card."""
    channels = await ctx.store.channels(community.id)
    return Message(
        title=title,
        fields=(
            Field("Check-in day", text(WEEKDAYS[community.checkin_weekday].capitalize())),
            Field("Check-in time", text(f"{community.checkin_time:%H:%M}, each member's own time")),
            Field(
                "Reminder",
                text(
                    f"{community.reminder_hours} h after the prompt"
                    if community.reminder_hours
                    else "off"
                ),
            ),
            Field("Default time zone", text(community.default_timezone)),
            *(
                Field(
                    f"Channel for {p.label}",
                    text(ChannelLink(channels[p.name])) if p.name in channels else text("not set"),
                )
                for p in ctx.registry.purposes.values()
            ),
        ),
    )


async def schedule(ctx: AdminContext, args: Args) -> Response:
    """Set the check-in day, time, reminder delay and default time zone.

    Running sprints follow the new slot by the rules of ``checkins/reschedule.py``: a first check-in
    stays at least three days after the sprint's start, and an open week is never shortened.
    """
    old = ctx.community
    if not args.values:
        return Response(await settings_card(ctx, old, "Community settings"))
    day = args.optional_text("day")
    at = args.clock_time("time")
    updated = replace(
        old,
        checkin_weekday=WEEKDAYS.index(day) if day else old.checkin_weekday,
        checkin_time=at or old.checkin_time,
        reminder_hours=args.integer("reminder-hours", old.reminder_hours) or 0,
        default_timezone=args.text("timezone", old.default_timezone) or old.default_timezone,
    )

    async def save() -> int:
        # One snapshot, one decision per sprint, one guarded write for them all.
        sprints = await ctx.store.active_sprints_in(old.id)
        weeks = await ctx.store.streak_weeks([sprint.id for sprint, _ in sprints])
        moves = [
            move
            for sprint, member in sprints
            if (move := plan_move(sprint, weeks[sprint.id], ctx.now, updated, member.zone(updated)))
        ]
        await ctx.store.update_schedule(updated, moves)
        return sum(1 for move in moves if move.changes)

    moved = await retry_on_change(
        save,
        "Check-ins were going out while I moved the sprints, so nothing was saved. "
        "Please run /admin schedule again.",
    )
    card = await settings_card(ctx, updated, "Check-in schedule saved")
    return Response(
        replace(
            card,
            body=text(f"{plural(moved, 'active sprint')} moved to the new schedule."),
            tone=Tone.SUCCESS,
        )
    )


async def channel(ctx: AdminContext, args: Args) -> Response:
    """Use the channel this command was typed in for a purpose."""
    if not ctx.actor.channel_id:
        raise UserError("Run /admin channel inside the channel you want to use.")
    purpose = ctx.registry.purposes.get(args.text("purpose"))
    if purpose is None:
        raise UserError("That channel purpose no longer exists; see /help admin channel.")
    await ctx.store.set_channel(ctx.community.id, purpose.name, ctx.actor.channel_id)
    return Response(
        Message(
            title="Channel set",
            body=text(f"This channel now receives {purpose.label}."),
            tone=Tone.SUCCESS,
        ),
        public=True,
    )


def register(registry: Registry) -> None:
    """Declare the admin commands."""
    registry.add_group(Group("admin", "Community settings (admins only)", default="schedule"))
    registry.add(
        Command(
            ("admin", "schedule"),
            "Set the weekly check-in day and time, reminder delay and default time zone",
            schedule,
            options=(
                Option(
                    "day",
                    "Check-in day",
                    OptionType.CHOICE,
                    choices=tuple(Choice(d, d.capitalize()) for d in WEEKDAYS),
                ),
                Option("time", "Check-in time, each member's local time (HH:MM)", OptionType.TIME),
                Option(
                    "reminder-hours",
                    "Hours after the prompt to remind (0 turns it off)",
                    OptionType.INTEGER,
                    min_value=0,
                    max_value=144,
                ),
                Option(
                    "timezone",
                    "Time zone for members who haven't set one",
                    OptionType.TIMEZONE,
                    suggest=TIMEZONE_SOURCE,
                ),
            ),
            permission=Permission.ADMIN,
            form_when_incomplete=False,
        )
    )
    registry.add(
        Command(
            ("admin", "channel"),
            "Use this channel for check-in summaries or announcements",
            channel,
            options=(
                Option(
                    "purpose",
                    "What this channel is for",
                    OptionType.CHOICE,
                    required=True,
                    # Every purpose a feature declares (bot.features.base.Purpose).
                    choices=tuple(p.choice for p in registry.purposes.values()),
                ),
            ),
            permission=Permission.ADMIN,
        )
    )
