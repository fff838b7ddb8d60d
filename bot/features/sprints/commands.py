"""Learning sprints: start, status and edit (ending one: endings.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from dateutil.relativedelta import relativedelta

from bot.commands.args import Args
from bot.commands.registry import Choice, Command, Direction, Group, Option, OptionType, Registry
from bot.context import Context
from bot.errors import OptionError, UserError
from bot.features.sprints.cards import deliverable_phrase, status_card
from bot.features.sprints.store import (
    ANNOUNCEMENTS,
    NAME,
    ActiveSprintExists,
    ScheduleChanged,
    SprintContext,
    SprintReads,
)
from bot.messages import Field, Message, Response, Timestamp, Tone, text
from bot.models import DELIVERABLE_KINDS, Destination, Sprint, SprintStatus
from bot.progress import final_checkin, first_prompt_at
from bot.weekly import slot_at_or_after
from bot.wording import article, plural

# The type-ahead source of a member's own sprints (declared with the feature).
OWN_SPRINT = "own_sprint"
GOAL = Option(
    "goal",
    "What you want to be able to do by the end",
    required=True,
    max_length=200,
    placeholder="Mix and deliver a Dolby Atmos podcast episode",
)
SKILL = Option(
    "skill",
    "The adjacent skill this sprint builds",
    required=True,
    max_length=80,
    suggest="skill",  # declared by the profile feature
    placeholder="spatial mixing",
)
KIND = Option(
    "deliverable",
    "The kind of public deliverable",
    OptionType.CHOICE,
    required=True,
    choices=tuple(Choice(k, v) for k, v in DELIVERABLE_KINDS.items()),
)
DELIVERABLE = Option(
    "deliverable-note",
    "One sentence on the public deliverable",
    required=True,
    max_length=200,
    label="Deliverable in one sentence",
    placeholder="A 45-minute online workshop on binaural monitoring",
)
START = Option(
    "start",
    "Start date (default today)",
    OptionType.DATE,
    direction=Direction.FUTURE,
    label="Start date",
    placeholder="today",
)
WEEKS = Option(
    "weeks",
    "Length in weeks (default 12)",
    OptionType.INTEGER,
    min_value=1,
    max_value=26,
    placeholder="12",
)
WHICH = Option(
    "sprint",
    "Which of your sprints (default: the active one)",
    OptionType.INTEGER,
    min_value=1,
    suggest=OWN_SPRINT,
)

NO_ACTIVE = "You have no active sprint. Start one with /sprint start."
# An edit decides again from a fresh read this often when weeks keep opening under it.
EDIT_ATTEMPTS = 3


async def active_or_fail(ctx: Context[SprintReads]) -> Sprint:
    """The caller's active sprint, or a friendly error."""
    sprint = await ctx.store.active_sprint(ctx.member.id)
    if sprint is None:
        raise UserError(NO_ACTIVE)
    return sprint


async def no_active_sprint(ctx: Context[SprintReads]) -> None:
    """One active sprint per member."""
    existing = await ctx.store.active_sprint(ctx.member.id)
    if existing is not None:
        raise UserError(
            f"You already have an active sprint (\u201c{existing.goal}\u201d). "
            "Finish it with /sprint complete or /sprint abandon before starting another."
        )


async def has_active_sprint(ctx: Context[SprintReads]) -> None:
    """Commands about the active sprint need one."""
    await active_or_fail(ctx)


async def start(ctx: SprintContext, args: Args) -> Response:
    """Start a sprint."""
    await no_active_sprint(ctx)
    start_day = args.day("start") or ctx.today
    latest = ctx.today + relativedelta(years=1)
    if start_day > latest:
        raise OptionError(
            "start", f"A sprint can start at most a year ahead, by {latest:%a %d %b %Y}."
        )
    first = first_prompt_at(start_day, ctx.now, ctx.community, ctx.zone)
    draft = Sprint(
        id=0,
        member_id=ctx.member.id,
        goal=args.text("goal"),
        skill=args.text("skill"),
        deliverable_kind=args.text("deliverable"),
        deliverable=args.text("deliverable-note"),
        start_date=start_day,
        weeks=args.integer("weeks", 12) or 12,
        status=SprintStatus.ACTIVE,
        created_at=ctx.now,
        next_week=1,
        next_prompt_at=first,
    )
    announce = Message(
        title="A new sprint begins",
        body=text(
            ctx.member.display_name,
            f" started {article(draft.weeks)} {draft.weeks}-week sprint: "
            f"\u201c{draft.goal}\u201d ({draft.skill}). "
            f"Public deliverable: {deliverable_phrase(draft)}",
        ),
        tone=Tone.INFO,
    )
    try:
        sprint = await ctx.store.create_sprint(
            draft, [ctx.outbox(Destination.channel(ANNOUNCEMENTS), announce, feature=NAME)]
        )
    except ActiveSprintExists:
        raise UserError("You already have an active sprint.") from None
    end = final_checkin(sprint, [], ctx.zone)
    return Response(
        Message(
            title=f"Sprint started: {sprint.goal}",
            body=text(
                f"{plural(sprint.weeks, 'week')} building {sprint.skill}, ending in a public "
                f"deliverable. I'll ask for a check-in every week at the community's "
                "check-in time."
            ),
            fields=(
                Field("Deliverable", text(sprint.deliverable), inline=False),
                Field("Starts", text(sprint.start_date.strftime("%a %d %b %Y"))),
                Field("First check-in", text(Timestamp(first))),
                Field("Final check-in", text(Timestamp(end, "date") if end else "")),
            ),
            footer=text()
            if ctx.member.timezone
            else text(
                f"Check-ins follow the community's zone ({ctx.community.default_timezone}) "
                "until you set yours: /profile timezone:Area/City"
            ),
            tone=Tone.SUCCESS,
        )
    )


async def status(ctx: SprintContext, args: Args) -> Response:
    """Show a sprint's progress."""
    which = args.integer("sprint")
    if which is not None:
        sprint = await ctx.store.member_sprint(ctx.member.id, which)
        if sprint is None:
            raise UserError(f"You have no sprint number {which}. See your sprints with /journey.")
    else:
        sprint = await active_or_fail(ctx)
    weeks = await ctx.store.weeks(sprint.id)
    return Response(status_card(ctx, ctx.member, sprint, weeks, ctx.now))


async def edit(ctx: SprintContext, args: Args) -> Response:
    """Change an active sprint's goal, skill, deliverable or length."""
    sprint = await active_or_fail(ctx)
    if not args.values:
        raise UserError("Tell me what to change, e.g. /sprint edit weeks:10.", usage=EDIT.usage())
    for _ in range(EDIT_ATTEMPTS):
        updated = await _edited(ctx, args, sprint)
        try:
            # Written only if no week opened (and nothing else moved it) since it was read.
            await ctx.store.update_sprint(updated, read=sprint)
            break
        except ScheduleChanged:
            sprint = await active_or_fail(ctx)
    else:
        raise UserError(
            "Your sprint changed while I was saving (a check-in week may have just opened). "
            "Nothing was changed; please try again."
        )
    weeks = await ctx.store.weeks(sprint.id)
    card = status_card(ctx, ctx.member, updated, weeks, ctx.now)
    return Response(replace(card, title=f"Sprint updated: {updated.goal}", tone=Tone.SUCCESS))


async def _edited(ctx: SprintContext, args: Args, sprint: Sprint) -> Sprint:
    """The sprint as the edit leaves it, decided from the sprint as read."""
    new_weeks = args.integer("weeks", sprint.weeks) or sprint.weeks
    opened = sprint.next_week - 1
    if new_weeks < opened:
        raise UserError(
            f"This sprint already had {opened} check-in weeks; it can't be shorter than that."
        )
    next_at = sprint.next_prompt_at
    if new_weeks < sprint.next_week:
        next_at = None
    elif next_at is None:
        # Lengthened after its last week: the next opens at the first slot once the last week
        # has closed, so an open last week keeps all of its time.
        weeks = await ctx.store.weeks(sprint.id)
        after = max([ctx.now] + [w.closes_at for w in weeks])
        next_at = slot_at_or_after(
            after, ctx.community.checkin_weekday, ctx.community.checkin_time, ctx.zone
        )
    return replace(
        sprint,
        goal=args.text("goal", sprint.goal),
        skill=args.text("skill", sprint.skill),
        deliverable_kind=args.text("deliverable", sprint.deliverable_kind),
        deliverable=args.text("deliverable-note", sprint.deliverable),
        weeks=new_weeks,
        next_prompt_at=next_at,
    )


async def current_values(ctx: SprintContext) -> Mapping[str, object]:
    """What the edit form opens with: the active sprint as it is."""
    sprint = await active_or_fail(ctx)
    return {
        "goal": sprint.goal,
        "skill": sprint.skill,
        "deliverable": sprint.deliverable_kind,
        "deliverable-note": sprint.deliverable,
        "weeks": sprint.weeks,
    }


EDIT = Command(
    ("sprint", "edit"),
    "Change your active sprint's goal, skill, deliverable or length",
    edit,
    options=(
        replace(GOAL, required=False),
        replace(SKILL, required=False),
        replace(KIND, required=False),
        replace(DELIVERABLE, required=False),
        WEEKS,
    ),
    form_title="Edit your sprint",
    form_when_incomplete=False,
    prefill=current_values,
)


def register(registry: Registry) -> None:
    """Declare the sprint commands."""
    registry.add_group(Group("sprint", "Three-month learning sprints", default="status"))
    registry.add(
        Command(
            ("sprint", "start"),
            "Start a learning sprint with one public deliverable",
            start,
            options=(GOAL, SKILL, KIND, DELIVERABLE, START, WEEKS),
            form_title="Start a sprint",
            precheck=no_active_sprint,
        )
    )
    registry.add(
        Command(("sprint", "status"), "Where your sprint stands", status, options=(WHICH,))
    )
    registry.add(EDIT)


async def own_sprints(ctx: SprintContext, typed: str) -> list[Choice]:
    """Type-ahead for ``sprint:``: the member's own sprints, newest first."""
    own = await ctx.store.member_sprints(ctx.member.id)
    needle = typed.strip().lower()
    return [
        Choice(str(s.number), f"#{s.number} {s.goal}"[:100])
        for s in reversed(own)
        if needle in f"{s.number} {s.goal}".lower()
    ]
