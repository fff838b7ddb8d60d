"""Answering a Discord interaction: what to reply with, and posting it in whatever state it is in.

An interaction is answered once, either directly or after a deferral ("update" on a message's
component, "thinking" elsewhere); these functions pick the one call Discord accepts in that
state. Every reply pings nobody: the rendered message carries its allowed mentions.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Literal

import discord

from adapters.discord.custom_ids import open_step_id
from adapters.discord.embeds import ButtonSpec, Rendered, render
from adapters.discord.modals import build_modal
from bot.drafts import FormDrafts
from bot.messages import Form, Message, Response, Tone, text
from bot.models import Actor
from bot.notices import notice

log = logging.getLogger(__name__)

Interaction = discord.Interaction[discord.Client]
# How a deferred interaction was acknowledged: "update" (type 6, on a message's component)
# or "thinking" (type 5, an ephemeral "Crossfade is thinking…").
Deferral = Literal["update", "thinking"] | None


@dataclass
class Reply:
    """What to answer an interaction with: a rendered message, or a form step to show."""

    rendered: Rendered | None = None
    public: bool = False
    replace_source: bool = False
    form: Form | None = None
    step: int = 1


def with_button(rendered: Rendered, label: str, community: str, step: int, form: Form) -> Reply:
    """A reply whose button opens step ``step`` of ``form`` as a modal."""
    custom_id = open_step_id(community, step, form.form_id)
    # Past Discord's 100-character custom_id there is no button; the message still goes.
    if custom_id is not None:
        rendered.buttons.append(ButtonSpec(label, custom_id, discord.ButtonStyle.primary))
    return Reply(rendered)


def notice_reply(community: str, words: str) -> Reply:
    """A one-line notice as a reply."""
    return Reply(render(notice(words), community))


async def reply_for(
    drafts: FormDrafts, actor: Actor, pending: Awaitable[Response] | Response
) -> Reply:
    """The core's response as a reply; a form starts a draft and shows its first step."""
    response = pending if isinstance(pending, Response) else await pending
    if response.form is not None:
        draft = await drafts.start(actor, response.form)
        return Reply(form=draft.form, step=1)
    if response.message is None:
        return Reply()
    return Reply(
        render(response.message, actor.community_id),
        public=response.public,
        replace_source=response.replace_source,
    )


async def defer(interaction: Interaction) -> Deferral:
    """Acknowledge a slow interaction now; the reply follows within Discord's 15 minutes."""
    if interaction.message is not None:
        await interaction.response.defer()
        return "update"
    await interaction.response.defer(ephemeral=True, thinking=True)
    return "thinking"


async def deliver(
    interaction: Interaction, community: str, reply: Reply, deferral: Deferral
) -> None:
    """Answer with ``reply``: a form, a message, or (when there is nothing to say) a bare ack."""
    if reply.form is not None:
        await show_form(interaction, community, reply.form, reply.step, deferral)
    elif reply.rendered is not None:
        await send(interaction, reply, deferral)
    elif deferral is None and interaction.message is not None:
        await interaction.response.defer()  # nothing to say: just acknowledge the click
    elif deferral != "update":
        done = render(Message(body=text("Done."), tone=Tone.SUCCESS), community)
        await send(interaction, Reply(done), deferral)


async def show_form(
    interaction: Interaction,
    community: str,
    form: Form,
    step: int,
    deferral: Deferral,
) -> None:
    """A modal when it can be the first answer (its draft just started, so empty); otherwise a
    button that opens it."""
    modal = build_modal(form, step, community, {})
    first_answer = deferral is None and not interaction.response.is_done()
    # Discord can't answer a modal submission with another modal.
    if (
        modal is not None
        and first_answer
        and interaction.type is not discord.InteractionType.modal_submit
    ):
        await interaction.response.send_modal(modal)
        return
    rendered = render(
        Message(title=form.title, body=text("Open the form to fill it in.")), community
    )
    await send(interaction, with_button(rendered, "Open the form", community, step, form), deferral)


async def send(interaction: Interaction, reply: Reply, deferral: Deferral) -> None:
    """Post a reply: edit the clicked message, or a new message, ephemeral unless public."""
    assert reply.rendered is not None
    rendered = reply.rendered
    view = rendered.view()
    edit: dict[str, Any] = {
        "content": rendered.content,
        "embeds": rendered.embeds,
        "view": view,
        "allowed_mentions": rendered.allowed_mentions,
    }
    post = {k: v for k, v in edit.items() if v is not None}
    if rendered.attachments:
        # Files go with the reply (ephemeral ones too); an edit's list replaces the old one.
        edit["attachments"] = post["files"] = rendered.files()
    if reply.replace_source and interaction.message is not None:
        # On a message's component a deferral is always "update": @original is that message.
        if deferral is None:
            await interaction.response.edit_message(**edit)
        else:
            await interaction.edit_original_response(**edit)
        return
    ephemeral = not reply.public
    if deferral is None:
        await interaction.response.send_message(ephemeral=ephemeral, **post)
    elif deferral == "update" or not ephemeral:
        if deferral == "thinking":
            # The deferred answer was private; the public post follows it.
            await interaction.edit_original_response(content="Posted.", embeds=[], view=None)
        await interaction.followup.send(ephemeral=ephemeral, **post)
    else:
        await interaction.edit_original_response(**edit)


async def say(interaction: Interaction, words: str) -> None:
    """A one-line private notice, whatever state the interaction is in; never raises."""
    rendered = render(notice(words), "")
    try:
        if interaction.response.is_done():
            await interaction.followup.send(
                embeds=rendered.embeds,
                ephemeral=True,
                allowed_mentions=rendered.allowed_mentions,
            )
        else:
            await interaction.response.send_message(
                embeds=rendered.embeds,
                ephemeral=True,
                allowed_mentions=rendered.allowed_mentions,
            )
    except Exception:
        log.exception("could not tell a member something went wrong")
