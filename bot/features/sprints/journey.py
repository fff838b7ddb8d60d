"""A member's journey: every sprint on their path with its dates, outcome and deliverable."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from bot.commands.args import Args
from bot.commands.registry import Command, Option, OptionType, Registry
from bot.features.clinics.hosting import journey_field
from bot.features.gigs.closing import journey_field as gigs_field
from bot.features.sprints.cards import kind_label
from bot.features.sprints.store import SprintContext
from bot.messages import Field, Message, Response, text
from bot.models import Sprint, SprintStatus
from bot.progress import sprint_end
from bot.wording import plural

WHO = Option("member", "Whose journey (default: yours)", OptionType.MEMBER)


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def sprint_dates(sprint: Sprint, zone: ZoneInfo, today: date) -> str:
    """When a sprint ran, start first, in one date format: "30 Nov 2026 → 4 Jan 2027 · completed".

    Dates are calendar days in the member's own zone; a sprint that hasn't begun is "planned".
    """
    start = _day(sprint.start_date)
    if sprint.ended_at is None:
        if sprint.start_date > today:
            end = sprint_end(sprint, [], zone)
            until = f" \u2192 {_day(end.astimezone(zone).date())}" if end else ""
            return f"{start}{until} · planned"
        return f"{start} \u2192 now · in progress"
    outcome = "completed" if sprint.status is SprintStatus.COMPLETED else "stopped"
    ended = sprint.ended_at.astimezone(zone).date()
    if ended < sprint.start_date:
        return f"planned for {start} · {outcome} {_day(ended)}, before it began"
    return f"{start} \u2192 {_day(ended)} · {outcome}"


async def journey(ctx: SprintContext, args: Args) -> Response:
    """A member's path: every sprint with dates, outcome and deliverable."""
    member = args.member("member") or ctx.member
    sprints = await ctx.store.member_sprints(member.id)
    zone = member.zone(ctx.community)
    today = ctx.now.astimezone(zone).date()
    heading = ""
    if member.current_role or member.heading:
        heading = f"{member.current_role or '…'} \u2192 {member.heading or '…'}"
    fields = []
    for sprint in sprints:
        value = (
            f"{sprint_dates(sprint, zone, today)}\n"
            f"{kind_label(sprint.deliverable_kind)}: {sprint.deliverable}"
        )
        if sprint.outcome_url:
            value += f"\n{sprint.outcome_url}"
        name = f"#{sprint.number} {sprint.goal} ({sprint.skill})"
        fields.append(Field(name, text(value), inline=False))
    clinics = await journey_field(ctx, member)
    if clinics is not None:
        fields.append(clinics)
    gigs = await gigs_field(ctx, member)
    if gigs is not None:
        fields.append(gigs)
    if not sprints:
        who = "You haven't" if member.id == ctx.member.id else f"{member.display_name} hasn't"
        body = text(f"{who} started a sprint yet. Every path starts with /sprint start.")
    else:
        done = sum(1 for s in sprints if s.status is SprintStatus.COMPLETED)
        body = text(f"{plural(len(sprints), 'sprint')}, {done} completed.")
    return Response(
        Message(
            title=f"{member.display_name}'s journey",
            body=text(heading + "\n" if heading else "", *body),
            fields=tuple(fields),
        )
    )


def register(registry: Registry) -> None:
    """Declare the journey command."""
    registry.add(
        Command(
            ("journey",), "Every sprint on a member's path over the years", journey, options=(WHO,)
        )
    )
