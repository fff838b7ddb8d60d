"""Ending a sprint: /sprint complete and /sprint abandon, each confirmed with a button first.

The request (with its link or reason, which may be long) waits in storage; the buttons carry
only its id, well within Discord's 100-character custom_id.
"""

from __future__ import annotations

from datetime import timedelta

from bot.commands.args import Args
from bot.commands.registry import Command, Option, OptionType, Registry
from bot.errors import UserError
from bot.features.sprints.cards import deliverable_phrase
from bot.features.sprints.commands import active_or_fail, has_active_sprint
from bot.features.sprints.store import ANNOUNCEMENTS, NAME, SprintContext
from bot.messages import Button, ButtonStyle, Field, Message, Response, Tone, text
from bot.models import Destination, EndRequest, Sprint, SprintStatus
from bot.progress import progress
from bot.wording import plural

LINK = Option(
    "link",
    "Link to the published deliverable",
    OptionType.URL,
    required=True,
    label="Link to your deliverable",
)
REASON = Option("reason", "Why you're stopping (optional, only you see it)", max_length=300)

CONFIRM = "sprint.end"
CANCEL = "sprint.keep"
# "Abandon instead" on a request to complete a sprint without a single check-in.
INSTEAD = "abandon"
# Ids are SQLite integers; longer digit strings can't be one of ours.
_MAX_ID_DIGITS = 18
# A confirmation found days later in the scrollback is no longer what the member means.
CONFIRM_WITHIN = timedelta(hours=24)
GONE = (
    "Nothing to confirm: that request was cancelled or its sprint has ended. "
    "See where you stand with /sprint status."
)


def _buttons(ending: EndRequest, confirm: str, keep: str) -> tuple[Button, ...]:
    style = ButtonStyle.DANGER if ending.status is SprintStatus.ABANDONED else ButtonStyle.PRIMARY
    return (
        Button(confirm, f"{CONFIRM}:{ending.id}", style),
        Button(keep, f"{CANCEL}:{ending.id}", ButtonStyle.SECONDARY),
    )


async def complete(ctx: SprintContext, args: Args) -> Response:
    """Ask to confirm finishing the sprint with a link to the published deliverable."""
    sprint = await active_or_fail(ctx)
    link = args.text("link")
    p = progress(sprint, await ctx.store.weeks(sprint.id), ctx.now, ctx.zone)
    ending = await ctx.store.request_end(sprint, SprintStatus.COMPLETED, ctx.now, outcome_url=link)
    deliverable = (Field("Deliverable", text(link), inline=False),)
    if p.done == 0:
        complete_anyway, cancel = _buttons(ending, "Complete anyway", "Cancel")
        instead = Button("Abandon instead", f"{CONFIRM}:{ending.id}:{INSTEAD}", ButtonStyle.DANGER)
        return Response(
            Message(
                title=f"\u201c{sprint.goal}\u201d has no check-ins",
                body=text(
                    "You haven't checked in once during this sprint. Complete it anyway and "
                    "I'll share your deliverable in the announcements channel, or abandon it "
                    "instead (it stays in your /journey as stopped)."
                ),
                fields=deliverable,
                buttons=(complete_anyway, instead, cancel),
                tone=Tone.WARNING,
            )
        )
    return Response(
        Message(
            title=f"Complete \u201c{sprint.goal}\u201d?",
            body=text(
                f"{plural(p.done, 'check-in')} so far. Completing ends the sprint and shares "
                "your deliverable in the announcements channel."
            ),
            fields=deliverable,
            buttons=_buttons(ending, "Complete sprint", "Cancel"),
        )
    )


async def abandon(ctx: SprintContext, args: Args) -> Response:
    """Ask to confirm stopping the active sprint."""
    sprint = await active_or_fail(ctx)
    ending = await ctx.store.request_end(
        sprint, SprintStatus.ABANDONED, ctx.now, reason=args.optional_text("reason")
    )
    return Response(
        Message(
            title=f"Stop \u201c{sprint.goal}\u201d?",
            body=text("Its check-in prompts stop for good; it stays in your /journey as stopped."),
            buttons=_buttons(ending, "Stop sprint", "Keep going"),
            tone=Tone.WARNING,
        )
    )


async def _pending(ctx: SprintContext, args: list[str]) -> tuple[EndRequest, Sprint]:
    """The request a confirmation button names, if it is the caller's and still open."""
    raw = args[0] if args else ""
    found = None
    if raw.isdigit() and len(raw) <= _MAX_ID_DIGITS:
        found = await ctx.store.get_end_request(int(raw))
    sprint = await ctx.store.get_sprint(found.sprint_id) if found else None
    if found is None or sprint is None:
        raise UserError(GONE)
    if sprint.member_id != ctx.member.id:
        raise UserError("That button belongs to someone else's sprint.")
    if sprint.status is not SprintStatus.ACTIVE:
        raise UserError(GONE)
    if ctx.now - found.created_at > CONFIRM_WITHIN:
        command = "complete" if found.status is SprintStatus.COMPLETED else "abandon"
        raise UserError(
            f"That confirmation is more than a day old; run /sprint {command} again if you "
            "still mean it."
        )
    return found, sprint


async def _finish(ctx: SprintContext, sprint: Sprint, link: str) -> Response:
    p = progress(sprint, await ctx.store.weeks(sprint.id), ctx.now, ctx.zone)
    if p.done:
        announcement = Message(
            title="Sprint complete",
            body=text(
                ctx.member.display_name,
                f" finished \u201c{sprint.goal}\u201d and published their deliverable "
                f"({deliverable_phrase(sprint)}): {link}",
            ),
            tone=Tone.SUCCESS,
        )
    else:
        # No check-in to celebrate: share the work without claiming a journey to it.
        announcement = Message(
            title="Deliverable shared",
            body=text(
                ctx.member.display_name,
                f" shared the deliverable of \u201c{sprint.goal}\u201d "
                f"({deliverable_phrase(sprint)}): {link}",
            ),
        )
    ended = await ctx.store.end_sprint(
        sprint,
        SprintStatus.COMPLETED,
        ctx.now,
        outcome_url=link,
        outbox=[ctx.outbox(Destination.channel(ANNOUNCEMENTS), announcement, feature=NAME)],
    )
    if not ended:
        raise UserError(GONE)
    if p.done:
        title = f"Congratulations: \u201c{sprint.goal}\u201d is complete"
        body = (
            f"{plural(p.done, 'check-in')}, a final streak of {p.streak}. "
            "I've shared your deliverable in the announcements channel."
        )
    else:
        title = f"Sprint closed: \u201c{sprint.goal}\u201d"
        body = (
            "No check-ins were recorded for it. "
            "I've shared your deliverable in the announcements channel."
        )
    return Response(
        Message(
            title=title,
            body=text(f"{body} Ready for the next micro-step? /sprint start"),
            fields=(Field("Deliverable", text(link), inline=False),),
            tone=Tone.SUCCESS,
        ),
        replace_source=True,
    )


async def _stop(ctx: SprintContext, sprint: Sprint, reason: str | None) -> Response:
    if not await ctx.store.end_sprint(sprint, SprintStatus.ABANDONED, ctx.now, reason=reason):
        raise UserError(GONE)
    return Response(
        Message(
            title=f"Sprint stopped: {sprint.goal}",
            body=text(
                "No more check-in prompts for it. It stays in your /journey. "
                "Small steps still count; start a new sprint whenever you're ready."
            ),
        ),
        replace_source=True,
    )


async def confirm(ctx: SprintContext, args: list[str]) -> Response:
    """The confirmation button: end the sprint as requested (or abandon it instead)."""
    ending, sprint = await _pending(ctx, args)
    if ending.status is SprintStatus.COMPLETED and args[1:] != [INSTEAD]:
        return await _finish(ctx, sprint, ending.outcome_url or "")
    return await _stop(ctx, sprint, ending.reason)


async def cancel(ctx: SprintContext, args: list[str]) -> Response:
    """The cancel button: forget the request; the sprint goes on."""
    ending, sprint = await _pending(ctx, args)
    await ctx.store.drop_end_request(ending.id)
    return Response(
        Message(title=f"Still going: {sprint.goal}", body=text("Nothing was changed.")),
        replace_source=True,
    )


def register(registry: Registry) -> None:
    """Declare /sprint complete and /sprint abandon, and their confirmation buttons."""
    registry.add(
        Command(
            ("sprint", "complete"),
            "Finish your sprint with a link to the published deliverable",
            complete,
            options=(LINK,),
            form_title="Complete your sprint",
            positional="link",
            precheck=has_active_sprint,
        )
    )
    registry.add(
        Command(("sprint", "abandon"), "Stop your active sprint", abandon, options=(REASON,))
    )
    registry.action(CONFIRM, confirm)
    registry.action(CANCEL, cancel)
