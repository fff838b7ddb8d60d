"""The check-in DMs: the weekly prompt, its reminder, and the prompt once answered or skipped."""

from __future__ import annotations

from datetime import datetime

from bot.messages import Button, ButtonStyle, Field, Message, Timestamp, Tone, text
from bot.models import CheckinWeek, NewWeek, Sprint


def prompt_message(sprint: Sprint, week: NewWeek | CheckinWeek) -> Message:
    """The weekly DM asking for a check-in."""
    return prompt_card(str(sprint.id), sprint.goal, str(week.week), sprint.weeks, week.closes_at)


def prompt_card(sprint_ref: str, goal: str, week: str, weeks: int, closes_at: datetime) -> Message:
    """The weekly prompt from its words (the batch fills its first three in per member)."""
    return Message(
        title=f"Weekly check-in · week {week} of {weeks}",
        body=text(
            f"How did \u201c{goal}\u201d go this week? Tell me what moved forward, "
            "what is blocking you, and how confident you feel (1–5)."
        ),
        fields=(Field("Open until", text(Timestamp(closes_at))),),
        footer=text("Or type /checkin. Away this week? /checkin skip keeps your streak."),
        buttons=(
            Button("Check in", f"checkin.open:{sprint_ref}:{week}"),
            Button("Skip this week", f"checkin.skip:{sprint_ref}:{week}", ButtonStyle.SECONDARY),
        ),
    )


def reminder_message(sprint: Sprint, week: CheckinWeek) -> Message:
    """The one reminder for an unanswered week."""
    return reminder_card(str(sprint.id), sprint.goal, str(week.week), week.closes_at)


def reminder_card(sprint_ref: str, goal: str, week: str, closes_at: datetime) -> Message:
    """The reminder from its words (the batch fills its first three in per member)."""
    return Message(
        title=f"Reminder: week {week} check-in",
        body=text(
            f"Your check-in for \u201c{goal}\u201d is still open until ",
            Timestamp(closes_at),
            ". Two minutes is enough.",
        ),
        buttons=(Button("Check in", f"checkin.open:{sprint_ref}:{week}"),),
        tone=Tone.WARNING,
    )


def answered_prompt(sprint: Sprint, week: CheckinWeek) -> Message:
    """The prompt as it reads once answered (edited in place)."""
    return Message(
        title=f"Weekly check-in · week {week.week} of {sprint.weeks} · done \u2713",
        body=text(
            "Thanks, checked in ",
            Timestamp(week.submitted_at or week.opens_at),
            ". You can change it with /checkin until ",
            Timestamp(week.closes_at),
            ".",
        ),
        buttons=(
            Button("Edit check-in", f"checkin.open:{sprint.id}:{week.week}", ButtonStyle.SECONDARY),
        ),
        tone=Tone.SUCCESS,
    )


def skipped_prompt(sprint: Sprint, week: CheckinWeek) -> Message:
    """The prompt as it reads once skipped."""
    return Message(
        title=f"Weekly check-in · week {week.week} of {sprint.weeks} · skipped",
        body=text(
            "Skipped; your streak is safe. Changed your mind? /checkin until ",
            Timestamp(week.closes_at),
            ".",
        ),
    )


def undeliverable(name: str) -> Message:
    """The note in the check-ins channel when a member's prompts can't reach their DMs."""
    return Message(
        title="Direct messages are closed",
        body=text(
            name,
            ", I can't send you direct messages, so your check-in prompts are waiting. "
            "Please allow direct messages from this community's members and apps; "
            "meanwhile you can still check in with /checkin.",
        ),
        tone=Tone.WARNING,
    )
