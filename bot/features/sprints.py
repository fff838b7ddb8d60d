"""Learning sprints: start, status and edit (ending one: bot.features.endings)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from dateutil.relativedelta import relativedelta

from bot.commands.args import Args
from bot.commands.registry import (
    Choice,
    Command,
    Direction,
    Group,
    Option,
    OptionType,
    Registry,
    Suggest,
)
from bot.context import Context
from bot.errors import OptionError, UserError
from bot.messages import (
    Button,
    ButtonStyle,
    Field,
    Message,
    Response,
    Text,
    Timestamp,
    Tone,
    text,
)
from bot.models import (
    DELIVERABLE_KINDS,
    ChannelPurpose,
    CheckinWeek,
    Destination,
    Member,
    Sprint,
    SprintStatus,
    WeekStatus,
)
from bot.progress import final_checkin, first_prompt_at, progress
from bot.storage.base import ActiveSprintExists, ScheduleChanged
from bot.weekly import slot_at_or_after
from bot.wording import article, plural

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
    suggest=Suggest.SKILL,
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
    suggest=Suggest.OWN_SPRINT,
)

NO_ACTIVE = "You have no active sprint. Start one with /sprint start."
# An edit decides again from a fresh read this often when weeks keep opening under it.
EDIT_ATTEMPTS = 3


def kind_label(kind: str) -> str:
    """A deliverable kind as people read it."""
    return DELIVERABLE_KINDS.get(kind, kind)


def deliverable_phrase(sprint: Sprint) -> str:
    """The deliverable in a sentence: "workshop: A 45-minute …", or just the note for "other"."""
    if sprint.deliverable_kind == "other":
        return sprint.deliverable
    return f"{kind_label(sprint.deliverable_kind).lower()}: {sprint.deliverable}"


async def active_or_fail(ctx: Context) -> Sprint:
    """The caller's active sprint, or a friendly error."""
    sprint = await ctx.store.active_sprint(ctx.member.id)
    if sprint is None:
        raise UserError(NO_ACTIVE)
    return sprint


async def no_active_sprint(ctx: Context) -> None:
    """One active sprint per member."""
    existing = await ctx.store.active_sprint(ctx.member.id)
    if existing is not None:
        raise UserError(
            f"You already have an active sprint (\u201c{existing.goal}\u201d). "
            "Finish it with /sprint complete or /sprint abandon before starting another."
        )


async def has_active_sprint(ctx: Context) -> None:
    """Commands about the active sprint need one."""
    await active_or_fail(ctx)


async def start(ctx: Context, args: Args) -> Response:
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
            draft, [ctx.outbox(Destination.channel(ChannelPurpose.ANNOUNCEMENTS), announce)]
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


def _status_card(
    ctx: Context, member: Member, sprint: Sprint, weeks: list[CheckinWeek], now: datetime
) -> Message:
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


async def status(ctx: Context, args: Args) -> Response:
    """Show a sprint's progress."""
    which = args.integer("sprint")
    if which is not None:
        sprint = await ctx.store.member_sprint(ctx.member.id, which)
        if sprint is None:
            raise UserError(f"You have no sprint number {which}. See your sprints with /journey.")
    else:
        sprint = await active_or_fail(ctx)
    weeks = await ctx.store.weeks(sprint.id)
    return Response(_status_card(ctx, ctx.member, sprint, weeks, ctx.now))


async def edit(ctx: Context, args: Args) -> Response:
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
    card = _status_card(ctx, ctx.member, updated, weeks, ctx.now)
    return Response(replace(card, title=f"Sprint updated: {updated.goal}", tone=Tone.SUCCESS))


async def _edited(ctx: Context, args: Args, sprint: Sprint) -> Sprint:
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


async def home_card(ctx: Context) -> Message:
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
    card = _status_card(ctx, ctx.member, sprint, weeks, ctx.now)
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


async def current_values(ctx: Context) -> Mapping[str, object]:
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
