"""Weekly check-ins: answering, skipping and pausing (the prompts themselves: jobs.py)."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.commands.args import Args
from bot.commands.registry import Command, Group, Option, OptionType, Registry
from bot.commands.values import row_id
from bot.errors import UserError
from bot.features.checkins.cards import answered_prompt, skipped_prompt
from bot.features.checkins.store import NAME, CheckinContext
from bot.features.sprints.commands import active_or_fail
from bot.features.sprints.wrapup import PAUSE_ACTION
from bot.forms import form_for
from bot.messages import Field, Message, Response, Timestamp, Tone, text
from bot.models import CheckinWeek, Destination, NewOutbox, NewWeek, Sprint, WeekStatus
from bot.progress import progress, streak, week_close

PROGRESS = Option(
    "progress",
    "What moved forward this week",
    required=True,
    max_length=1000,
    paragraph=True,
    label="What moved forward?",
    placeholder="Calibrated the 7.1.4 room and mixed a 10-minute test episode",
)
BLOCKERS = Option(
    "blockers",
    "What is blocking you (leave empty if nothing; none clears it)",
    max_length=1000,
    paragraph=True,
    label="What is blocking you?",
    clearable=True,
)
CONFIDENCE = Option(
    "confidence",
    "How confident you feel about the sprint, 1 (low) to 5 (high)",
    OptionType.INTEGER,
    required=True,
    min_value=1,
    max_value=5,
    label="Confidence",
)
HOURS = Option(
    "hours",
    "Hours spent this week (optional)",
    OptionType.NUMBER,
    min_value=0,
    max_value=168,
    steps=(0.1, 0.25),
    label="Hours spent",
)
SKIP_REASON = Option("reason", "Why (optional, e.g. holiday)", max_length=200)


def _edit_of(ctx: CheckinContext, week: CheckinWeek, message: Message) -> list[NewOutbox]:
    """Queue an in-place edit of the week's prompt DM, if one was sent."""
    if week.prompt_outbox_id is None:
        return []
    return [
        NewOutbox(
            community_id=ctx.community.id,
            destination=Destination.dm(ctx.member.id),
            payload=json.dumps(message.to_dict()),
            edit_of=week.prompt_outbox_id,
            feature=NAME,
        )
    ]


async def _open_week(ctx: CheckinContext, sprint: Sprint) -> tuple[CheckinWeek, list[CheckinWeek]]:
    """The week open for a check-in, and every week of the sprint (read once)."""
    weeks = await ctx.store.weeks(sprint.id)
    p = progress(sprint, weeks, ctx.now, ctx.zone)
    if p.open_week is not None:
        return p.open_week, weeks
    if sprint.next_prompt_at is not None:
        raise UserError(
            f"Your week {sprint.next_week} check-in opens at the community's check-in time. "
            "I'll message you then."
        )
    raise UserError("Your sprint has no check-in weeks left. Wrap up with /sprint complete.")


async def can_check_in(ctx: CheckinContext) -> None:
    """Only offer the check-in form when there is a week to check in for."""
    await _open_week(ctx, await active_or_fail(ctx))


async def submit(ctx: CheckinContext, args: Args) -> Response:
    """Record (or update) this week's check-in."""
    sprint = await active_or_fail(ctx)
    week, weeks = await _open_week(ctx, sprint)
    first_time = week.status is not WeekStatus.DONE
    # A typed edit changes only what it names; a submitted form gives every field.
    keep = not first_time and not args.from_form
    saved_preview = replace(week, submitted_at=ctx.now)
    saved = await ctx.store.save_checkin(
        week,
        progress=args.text("progress", week.progress if keep else ""),
        blockers=args.text("blockers", week.blockers if keep else ""),
        confidence=args.integer("confidence", week.confidence if keep else None) or 1,
        hours=args.number("hours", week.hours if keep else None),
        now=ctx.now,
        outbox=_edit_of(ctx, saved_preview, answered_prompt(sprint, saved_preview))
        if first_time
        else [],
    )
    # The weeks as read, with this one as saved: one read fewer on every check-in.
    run = streak([saved if w.id == saved.id else w for w in weeks], ctx.now)
    verb = "Checked in" if first_time else "Check-in updated"
    return Response(
        Message(
            title=f"{verb} for week {saved.week} of {sprint.weeks}",
            body=text(
                f"Streak: {run} week{'s' if run != 1 else ''}. You can change it until ",
                Timestamp(saved.closes_at),
                ".",
            ),
            fields=(
                Field("Moved forward", text(saved.progress), inline=False),
                Field("Blocking", text(saved.blockers or "nothing"), inline=False),
                Field("Confidence", text(f"{saved.confidence}/5")),
                Field("Hours", text("" if saved.hours is None else f"{saved.hours:g}")),
            ),
            tone=Tone.SUCCESS,
        )
    )


async def skip(ctx: CheckinContext, args: Args) -> Response:
    """Skip the open week, or next week if this one is answered (holidays)."""
    sprint = await active_or_fail(ctx)
    reason = args.text("reason") or "skipped"
    weeks = await ctx.store.weeks(sprint.id)
    p = progress(sprint, weeks, ctx.now, ctx.zone)
    week = p.open_week
    if week is not None and week.status is WeekStatus.OPEN:
        await ctx.store.skip_week(
            week, reason, _edit_of(ctx, week, skipped_prompt(sprint, week)), ctx.now
        )
        return Response(
            Message(
                title=f"Week {week.week} skipped",
                body=text("Your streak is safe. See you next week."),
            )
        )
    if sprint.next_prompt_at is None:
        raise UserError("Your sprint has no check-in weeks left to skip.")
    if any(w.week == sprint.next_week for w in weeks):
        raise UserError(f"Week {sprint.next_week} is already skipped. /checkin unskip undoes it.")
    opens = sprint.next_prompt_at
    closes = week_close(opens, ctx.community, ctx.zone)
    await ctx.store.add_week(
        NewWeek(
            sprint_id=sprint.id,
            community_id=ctx.community.id,
            week=sprint.next_week,
            status=WeekStatus.SKIPPED,
            opens_at=opens,
            closes_at=closes,
            community_week=opens.astimezone(ctx.zone).date(),
            skip_reason=reason,
        )
    )
    return Response(
        Message(
            title=f"Week {sprint.next_week} will be skipped",
            body=text(
                "No prompt on ",
                Timestamp(opens),
                ". Your streak is safe. Changed your mind? /checkin unskip",
            ),
        )
    )


async def unskip(ctx: CheckinContext, args: Args) -> Response:
    """Undo skipping a week ahead: its prompt comes after all."""
    sprint = await active_or_fail(ctx)
    weeks = await ctx.store.weeks(sprint.id)
    ahead = next(
        (w for w in weeks if w.week == sprint.next_week and w.status is WeekStatus.SKIPPED), None
    )
    if ahead is None:
        open_week = progress(sprint, weeks, ctx.now, ctx.zone).open_week
        if open_week is not None and open_week.status is WeekStatus.SKIPPED:
            raise UserError(
                f"Week {open_week.week} is skipped but still open: check in with /checkin "
                "and it counts as done."
            )
        raise UserError("No coming week is skipped. /checkin skip skips one.")
    if not await ctx.store.unskip_week(ahead):
        raise UserError(f"Week {ahead.week} has already begun; check in with /checkin.")
    opens = sprint.next_prompt_at or ahead.opens_at
    return Response(
        Message(
            title=f"Week {ahead.week} is back on",
            body=text("I'll ask for your check-in on ", Timestamp(opens), "."),
            tone=Tone.SUCCESS,
        )
    )


async def pause(ctx: CheckinContext, args: Args) -> Response:
    """Stop check-in prompts until resumed."""
    if ctx.member.paused:
        raise UserError("Check-in prompts are already paused. /checkin resume restarts them.")
    await ctx.store.set_paused(ctx.member.id, True)
    return Response(
        Message(
            title="Check-in prompts paused",
            body=text(
                "Weeks while paused count as skipped, so your streak is safe. "
                "/checkin resume restarts prompts."
            ),
        )
    )


async def resume(ctx: CheckinContext, args: Args) -> Response:
    """Restart check-in prompts."""
    if not ctx.member.paused:
        raise UserError("Check-in prompts aren't paused.")
    await ctx.store.set_paused(ctx.member.id, False)
    sprint = await ctx.store.active_sprint(ctx.member.id)
    body = text("Welcome back.")
    if sprint is not None and sprint.next_prompt_at is not None:
        body = text("Welcome back. Next prompt: ", Timestamp(sprint.next_prompt_at), ".")
    return Response(Message(title="Check-in prompts resumed", body=body, tone=Tone.SUCCESS))


async def _button_sprint(ctx: CheckinContext, args: list[str]) -> Sprint:
    sprint_id = row_id(args[0]) if args else None
    sprint = await ctx.store.get_sprint(sprint_id) if sprint_id is not None else None
    if sprint is None or sprint.member_id != ctx.member.id:
        raise UserError("That button belongs to someone else's check-in.")
    if sprint.status.value != "active":
        raise UserError("That sprint has ended, so its check-ins are closed.")
    return sprint


async def open_form(ctx: CheckinContext, args: list[str]) -> Response:
    """The "Check in" button: open the form for the open week, prefilled when editing."""
    sprint = await _button_sprint(ctx, args)
    week, _ = await _open_week(ctx, sprint)
    if len(args) > 1 and args[1].isdigit() and int(args[1]) != week.week:
        raise UserError(
            f"Week {args[1]} has closed. Week {week.week} is open now; use /checkin for it."
        )
    command = ctx.registry.get("checkin.submit")
    assert command is not None
    form = form_for(command, _answers(week))
    return Response(form=replace(form, title=f"Check-in · week {week.week}"))


def _answers(week: CheckinWeek) -> dict[str, object]:
    """A week's saved answers, to start an edit from; nothing for an unanswered week."""
    if week.status is not WeekStatus.DONE:
        return {}
    return {
        "progress": week.progress,
        "blockers": week.blockers,
        "confidence": week.confidence,
        "hours": week.hours,
    }


async def saved_answers(ctx: CheckinContext) -> dict[str, object]:
    """A bare /checkin after checking in opens the form filled with what was saved."""
    week, _ = await _open_week(ctx, await active_or_fail(ctx))
    return _answers(week)


async def skip_button(ctx: CheckinContext, args: list[str]) -> Response:
    """The "Skip this week" button."""
    await _button_sprint(ctx, args)
    return await skip(ctx, Args({}))


async def pause_button(ctx: CheckinContext, args: list[str]) -> Response:
    """The "Pause check-ins" button."""
    await _button_sprint(ctx, args)
    return await pause(ctx, Args({}))


def register(registry: Registry) -> None:
    """Declare the check-in commands and buttons."""
    registry.add_group(Group("checkin", "Weekly accountability check-ins", default="submit"))
    registry.add(
        Command(
            ("checkin", "submit"),
            "Check in for this week: progress, blockers, confidence",
            submit,
            options=(PROGRESS, BLOCKERS, CONFIDENCE, HOURS),
            form_title="Weekly check-in",
            precheck=can_check_in,
            prefill=saved_answers,
        )
    )
    registry.add(
        Command(
            ("checkin", "skip"),
            "Skip a week (holidays) without breaking your streak; /checkin unskip undoes it",
            skip,
            options=(SKIP_REASON,),
        )
    )
    registry.add(
        Command(
            ("checkin", "unskip"),
            "Undo skipping next week: its check-in prompt comes after all",
            unskip,
        )
    )
    registry.add(Command(("checkin", "pause"), "Pause check-in prompts", pause))
    registry.add(Command(("checkin", "resume"), "Resume check-in prompts", resume))
    registry.action("checkin.open", open_form)
    registry.action("checkin.skip", skip_button)
    registry.action(PAUSE_ACTION, pause_button)
