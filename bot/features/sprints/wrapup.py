"""Wrapping up a sprint whose last week has ended: the DMs that ask, and their buttons.

The DMs are decided in jobs.py; the buttons complete the sprint with a link,
extend it by a few weeks, or abandon it, through the /sprint commands themselves.
"""

from __future__ import annotations

from datetime import datetime

from bot.commands.args import Args
from bot.commands.registry import Registry
from bot.errors import UserError
from bot.features.sprints.cards import kind_label
from bot.features.sprints.commands import WEEKS, edit
from bot.features.sprints.store import SprintContext
from bot.forms import form_for
from bot.messages import Button, ButtonStyle, Field, Message, Response, Timestamp, Tone, text
from bot.models import Sprint, SprintStatus

FINISH_ACTION = "sprint.finish"
EXTEND_ACTION = "sprint.extend"
STOP_ACTION = "sprint.stop"
EXTEND_WEEKS = 2
# The pause offer's button; the check-ins feature, which pauses prompts, handles it.
PAUSE_ACTION = "checkin.pause"


def _buttons(sprint: Sprint) -> tuple[Button, ...]:
    # The extend button names the length it extends, so pressing it twice extends once.
    return (
        Button("Complete with a link", f"{FINISH_ACTION}:{sprint.id}"),
        Button(
            f"Extend {EXTEND_WEEKS} weeks",
            f"{EXTEND_ACTION}:{sprint.id}:{sprint.weeks}",
            ButtonStyle.SECONDARY,
        ),
        Button("Abandon", f"{STOP_ACTION}:{sprint.id}", ButtonStyle.DANGER),
    )


def _fields(sprint: Sprint) -> tuple[Field, ...]:
    return (
        Field(
            f"Deliverable · {kind_label(sprint.deliverable_kind)}",
            text(sprint.deliverable),
            inline=False,
        ),
        Field(
            "Published it?",
            text("Complete the sprint with its link: /sprint complete link:<url>"),
            inline=False,
        ),
        Field(
            "Need more time?",
            text(
                f"Extend it by {EXTEND_WEEKS} weeks, or choose its length with "
                "/sprint edit weeks:<number>."
            ),
            inline=False,
        ),
        Field(
            "Stopping here?",
            text("Stop it with /sprint abandon; it stays in your /journey."),
            inline=False,
        ),
    )


def ending_message(sprint: Sprint, ended_at: datetime) -> Message:
    """The DM when a sprint's last check-in week has closed."""
    return Message(
        title="Your sprint's last week is over",
        body=text(
            f"\u201c{sprint.goal}\u201d had its last check-in week, which closed ",
            Timestamp(ended_at),
            ". Time to wrap it up.",
        ),
        fields=_fields(sprint),
        buttons=_buttons(sprint),
    )


def ending_reminder_message(sprint: Sprint, ended_at: datetime) -> Message:
    """The one reminder, a week later, for a sprint still waiting to be wrapped up."""
    return Message(
        title="Reminder: wrap up your sprint",
        body=text(
            f"\u201c{sprint.goal}\u201d ended ",
            Timestamp(ended_at, "date"),
            " and is still active: complete it, extend it or abandon it "
            "before starting the next one.",
        ),
        fields=_fields(sprint),
        buttons=_buttons(sprint),
        tone=Tone.WARNING,
    )


def pause_offer_message(sprint: Sprint) -> Message:
    """The question after three missed weeks in a row."""
    return Message(
        title="Three check-ins missed in a row",
        body=text(
            f"No check-in for \u201c{sprint.goal}\u201d these last three weeks. Busy stretch? "
            "Pause the prompts and pick up when you're ready: weeks while paused count as "
            "skipped, not missed."
        ),
        footer=text("Or type /checkin pause; /checkin resume restarts prompts."),
        buttons=(Button("Pause check-ins", f"{PAUSE_ACTION}:{sprint.id}"),),
    )


def _button_number(args: list[str], index: int) -> int | None:
    # Only ids SQLite can hold; anything else is a stale or forged button.
    value = args[index] if len(args) > index else ""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


async def _wrap_up_sprint(ctx: SprintContext, args: list[str]) -> Sprint:
    """The sprint a wrap-up button names, if it is still the caller's active one."""
    sprint_id = _button_number(args, 0)
    sprint = await ctx.store.get_sprint(sprint_id) if sprint_id is not None else None
    if sprint is None or sprint.member_id != ctx.member.id:
        raise UserError("That button belongs to someone else's sprint.")
    if sprint.status is not SprintStatus.ACTIVE:
        raise UserError("That sprint has already ended; it's in your /journey.")
    return sprint


async def _form(ctx: SprintContext, key: str) -> Response:
    command = ctx.registry.get(key)
    assert command is not None
    return Response(form=form_for(command, {}))


async def finish_button(ctx: SprintContext, args: list[str]) -> Response:
    """The "Complete with a link" button: the /sprint complete form."""
    await _wrap_up_sprint(ctx, args)
    return await _form(ctx, "sprint.complete")


async def stop_button(ctx: SprintContext, args: list[str]) -> Response:
    """The "Abandon" button: the /sprint abandon form, so one press can't end a sprint."""
    await _wrap_up_sprint(ctx, args)
    return await _form(ctx, "sprint.abandon")


async def extend_button(ctx: SprintContext, args: list[str]) -> Response:
    """The "Extend" button: a few more weeks through /sprint edit, once per button."""
    sprint = await _wrap_up_sprint(ctx, args)
    shown = _button_number(args, 1)
    if shown is not None and shown != sprint.weeks:
        raise UserError(
            f"Your sprint is already {sprint.weeks} weeks long. "
            "Change its length with /sprint edit weeks:<number>."
        )
    longest = WEEKS.max_value or sprint.weeks
    if sprint.weeks + EXTEND_WEEKS > longest:
        raise UserError(
            f"A sprint lasts at most {longest} weeks. Wrap this one up with /sprint complete "
            "and take the next step with /sprint start."
        )
    return await edit(ctx, Args({"weeks": sprint.weeks + EXTEND_WEEKS}))


def register(registry: Registry) -> None:
    """Declare the wrap-up buttons."""
    registry.action(FINISH_ACTION, finish_button)
    registry.action(EXTEND_ACTION, extend_button)
    registry.action(STOP_ACTION, stop_button)


def undeliverable(name: str) -> Message:
    """The note when the news about a member's sprint can't reach their DMs."""
    return Message(
        title="Direct messages are closed",
        body=text(
            name,
            ", I can't send you direct messages, so news about your sprint is waiting. "
            "Please allow direct messages from this community's members and apps; "
            "meanwhile /sprint status shows where your sprint stands.",
        ),
        tone=Tone.WARNING,
    )
