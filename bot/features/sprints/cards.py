"""What a sprint looks like: its status card, the home card, its deliverable in words."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.context import Context
from bot.features.sprints.store import SprintReads
from bot.messages import Button, ButtonStyle, Field, Message, Text, Timestamp, text
from bot.models import DELIVERABLE_KINDS, CheckinWeek, Member, Sprint, SprintStatus, WeekStatus
from bot.progress import progress
from bot.wording import plural


def kind_label(kind: str) -> str:
    """A deliverable kind as people read it."""
    return DELIVERABLE_KINDS.get(kind, kind)


def deliverable_phrase(sprint: Sprint) -> str:
    """The deliverable in a sentence: "workshop: A 45-minute …", or just the note for "other"."""
    if sprint.deliverable_kind == "other":
        return sprint.deliverable
    return f"{kind_label(sprint.deliverable_kind).lower()}: {sprint.deliverable}"


def status_card(
    ctx: Context[SprintReads],
    member: Member,
    sprint: Sprint,
    weeks: list[CheckinWeek],
    now: datetime,
) -> Message:
    """A sprint's progress as a card: its week, check-ins, streak and what comes next."""
    zone = member.zone(ctx.community)
    p = progress(sprint, weeks, now, zone)
    active = sprint.status is SprintStatus.ACTIVE
    fields: list[Field] = []
    if active and p.before_start:
        days = (sprint.start_date - now.astimezone(zone).date()).days
        fields += [
            Field("Starts", text(f"{sprint.start_date:%a %d %b %Y}, in {plural(days, 'day')}")),
            Field("Length", text(plural(sprint.weeks, "week"))),
        ]
    else:
        fields += [
            Field("Week", text(f"{p.current_week} of {sprint.weeks}")),
            Field("Check-ins", text(f"{p.done} done · {p.skipped} skipped · {p.missed} missed")),
            Field("Streak", text(plural(p.streak, "week"))),
            Field(
                "Latest confidence",
                text(f"{p.latest_confidence}/5" if p.latest_confidence else "none yet"),
            ),
        ]
    if active:
        if p.days_left is not None and not p.before_start and not p.finished:
            # The sprint ends when its last week closes; "0" would read as over.
            left = str(p.days_left) if p.days_left else "last day"
            fields.append(Field("Days left", text(left)))
        if p.open_week is not None:
            state = {
                "done": "done, editable",
                "skipped": "skipped; you can still check in",
            }.get(p.open_week.status.value, "open")
            fields.append(
                Field(
                    f"Week {p.open_week.week} check-in",
                    text(f"{state} until ", Timestamp(p.open_week.closes_at)),
                    inline=False,
                )
            )
        elif sprint.next_prompt_at is not None:
            fields.append(
                Field("Next check-in", text(Timestamp(sprint.next_prompt_at)), inline=False)
            )
    fields.append(
        Field(
            f"Deliverable · {kind_label(sprint.deliverable_kind)}",
            text(sprint.deliverable),
            inline=False,
        )
    )
    footer: Text = ()
    if active and p.finished:
        footer = text("Your last check-in is behind you: wrap up with /sprint complete link:<url>.")
    elif sprint.status is SprintStatus.COMPLETED:
        footer = text("Completed ", Timestamp(sprint.ended_at, "date") if sprint.ended_at else "")
    elif sprint.status is SprintStatus.ABANDONED:
        footer = text("Stopped ", Timestamp(sprint.ended_at, "date") if sprint.ended_at else "")
    buttons: tuple[Button, ...] = ()
    if active and p.open_week is not None:
        action = f"checkin.open:{sprint.id}"
        if p.open_week.status is WeekStatus.DONE:
            buttons = (Button("Edit check-in", action, ButtonStyle.SECONDARY),)
        else:
            buttons = (Button("Check in", action),)
    return Message(
        title=f"{sprint.goal} · {sprint.skill}",
        fields=tuple(fields),
        footer=footer,
        buttons=buttons,
    )


async def home_card(ctx: Context[SprintReads]) -> Message | None:
    """A member's at-a-glance card (Slack's App Home): sprint, week, streak, last check-in."""
    sprint = await ctx.store.active_sprint(ctx.member.id)
    if sprint is None:
        return Message(
            title=f"Welcome, {ctx.member.display_name}",
            body=text(
                "No active sprint. Pick one adjacent skill, give it three months and one "
                "public deliverable: a workshop, a sample calibration or a short video series."
            ),
            buttons=(Button("Start a sprint", "form:sprint.start"),),
        )
    weeks = await ctx.store.weeks(sprint.id)
    card = status_card(ctx, ctx.member, sprint, weeks, ctx.now)
    answered = [w for w in weeks if w.submitted_at is not None]
    last = (
        text(f"week {answered[-1].week}, ", Timestamp(answered[-1].submitted_at, "date"))
        if answered and answered[-1].submitted_at
        else text("none yet")
    )
    return replace(
        card,
        title=f"Your sprint: {sprint.goal}",
        fields=(*card.fields, Field("Last check-in", last)),
        footer=text("Type /checkin any time a check-in week is open."),
    )
