"""Multi-step forms on Discord: one modal per step, a draft kept between steps, each step checked.

A Discord modal holds at most five fields, so a longer core form is shown a step at a time. The
member's answers wait in the core's draft (bot/drafts.py: the store, an hour) until the last
step, then the whole form goes to the core, once. A step's button carries the form and step in
its custom_id, so any process sharing the database takes the next step, and a restart loses
nothing; if the earlier answers are gone (an hour went by), the member is asked plainly to start
again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from adapters.discord.custom_ids import StepId
from adapters.discord.embeds import render
from adapters.discord.modals import (
    build_modal,
    missing,
    problems_message,
    start_again_message,
    step_done_message,
    step_of,
    steps,
)
from adapters.discord.replies import (
    Interaction,
    Reply,
    notice_reply,
    reply_for,
    say,
    send,
    with_button,
)
from bot.app import Crossfade
from bot.drafts import Draft
from bot.messages import Form, Response
from bot.models import Actor
from bot.notices import STALE_FORM


class FormSteps:
    """Opens and submits the steps of the members' forms, their drafts in the core between."""

    def __init__(self, core: Crossfade) -> None:
        self.core = core
        self.drafts = core.drafts

    async def open(self, interaction: Interaction, actor: Actor, step: StepId) -> None:
        """A "continue" or "fix" button: the form step as a modal, prefilled (no core call)."""
        community = actor.community_id
        draft = await self.drafts.load(actor, step.form_id)
        if draft is None:
            blank = self.core.blank_form(step.form_id)
            draft = Draft(blank) if blank is not None else None
        if draft is not None and missing(draft, step.step):
            # The earlier steps are gone: say so now, before the member types more.
            await send(interaction, self._start_again(community, draft.form), None)
            return
        modal = build_modal(draft.form, step.step, community, draft.values) if draft else None
        if modal is None:
            await say(interaction, STALE_FORM)
            return
        await interaction.response.send_modal(modal)

    async def submit(self, actor: Actor, step: StepId, values: dict[str, str]) -> Reply:
        """A submitted modal: the next step, what to fix, or the core's answer to the whole form."""
        community = actor.community_id
        kept = await self.drafts.load(actor, step.form_id)
        form = kept.form if kept is not None else self.core.blank_form(step.form_id)
        if form is None:
            return notice_reply(community, STALE_FORM)
        parts = steps(form)
        last = step.step >= len(parts)
        # This step's answers join the draft; after the last step it is taken (submitted once).
        draft = await self.drafts.add(actor, form, values, last=last)
        if not last:
            # Check this step's fields now, so a mistake is fixed before the next step.
            problems: dict[str, str] = {}
            for field in parts[step.step - 1]:
                value = values.get(field.name, "")
                problem = await self.core.check_field(actor, form.form_id, field.name, value)
                if problem:
                    problems[field.name] = problem
            if problems:
                return self._fix(community, draft.form, problems)
            rendered = render(step_done_message(draft.form, step.step), community)
            return with_button(rendered, "Continue", community, step.step + 1, draft.form)
        if missing(draft, step.step):
            return self._start_again(community, draft.form)
        response = await self.core.submit_form(actor, draft.form.form_id, draft.values)
        if response.field_errors:
            await self.drafts.keep(actor, draft)  # back, for "Fix my answers"
            return self._fix(community, draft.form, response.field_errors)
        return await reply_for(self.drafts, actor, _done(response))

    @staticmethod
    def _start_again(community: str, form: Form) -> Reply:
        rendered = render(start_again_message(form), community)
        return with_button(rendered, "Start again", community, 1, form)

    @staticmethod
    def _fix(community: str, form: Form, problems: Mapping[str, str]) -> Reply:
        rendered = render(problems_message(problems), community)
        # The button reopens the form at the first step with a problem.
        first = step_of(form, next(iter(problems)))
        return with_button(rendered, "Fix my answers", community, first, form)


def _done(response: Response) -> Response:
    # A submitted form never reopens itself: a form in the core's answer is dropped.
    return replace(response, form=None) if response.form is not None else response
