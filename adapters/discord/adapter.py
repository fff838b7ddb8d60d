"""Crossfade on Discord: the client's lifecycle, and every interaction routed to the core.

Slash commands and autocomplete reach the core through the command tree (commands.py); button
clicks and modal submissions are routed here by the state their custom_id carries, so they keep
working after a restart. Discord wants every interaction answered within 3 seconds: the core
usually answers in milliseconds and its reply goes straight back; past ``defer_after`` the
interaction is deferred and the reply follows up. Every reply pings nobody.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

import discord
from discord import app_commands

from adapters.discord.commands import build_commands, sync_if_changed
from adapters.discord.connection import LABEL, Gateway
from adapters.discord.custom_ids import ButtonId, StepId, open_step_id, parse
from adapters.discord.embeds import ButtonSpec, Rendered, clip, render
from adapters.discord.event_interest import InterestListener
from adapters.discord.modals import (
    Draft,
    Drafts,
    build_modal,
    problems_message,
    start_again_message,
    step_done_message,
    step_of,
    steps,
    submitted_values,
)
from adapters.discord.scheduled_events import DiscordEvents
from adapters.discord.transport import DiscordTransport, retry_guard
from bot.app import Crossfade
from bot.commands.registry import Command, Option, OptionType
from bot.config import Settings
from bot.delivery import Transport
from bot.errors import StartupError
from bot.forms import form_for
from bot.messages import Form, Message, Response, Tone, text
from bot.models import Actor
from bot.notices import COMMAND_CHANGED, OOPS, OUTSIDE_COMMUNITY, STALE_FORM, notice
from bot.status import Backoff, Status

log = logging.getLogger(__name__)

Interaction = discord.Interaction[discord.Client]
# How a deferred interaction was acknowledged: "update" (type 6, on a message's component)
# or "thinking" (type 5, an ephemeral "Crossfade is thinking…").
Deferral = Literal["update", "thinking"] | None

# Discord allows 3 s to answer an interaction; leave room for the round trip.
DEFER_AFTER = 1.5
SUGGEST_TIMEOUT = 2.5
# Discord: at most 25 autocomplete choices, names and values of 1-100 characters.
SUGGESTIONS = 25
CHOICE_TEXT = 100


class NoCommunity(Exception):
    """An interaction outside any server, where the adapter can't tell which community is meant."""


@dataclass
class Reply:
    """What to answer an interaction with: a rendered message, or a form step to show."""

    rendered: Rendered | None = None
    public: bool = False
    replace_source: bool = False
    form: Form | None = None
    step: int = 1


class CrossfadeClient(discord.Client):
    """The discord.py client: guilds and scheduled events intents only, nothing pinged."""

    def __init__(self, adapter: DiscordAdapter, *, guild_ready_timeout: float) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        # Members' interest in the bot's scheduled events (not a privileged intent).
        intents.guild_scheduled_events = True
        super().__init__(
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            max_messages=None,
            chunk_guilds_at_startup=False,
            guild_ready_timeout=guild_ready_timeout,
            # A longer per-route wait fails the send instead, and the outbox retries it later.
            max_ratelimit_timeout=30.0,
            # No late repeat of a post discord.py retries itself (see the transport).
            http_trace=retry_guard(),
            # Raw frames: scheduled events' user adds and removes (see event_interest.py).
            enable_debug_events=True,
        )
        self.adapter = adapter

    async def on_interaction(self, interaction: Interaction) -> None:
        """Buttons and modals (commands and autocomplete go to the command tree)."""
        await self.adapter.on_interaction(interaction)

    async def on_ready(self) -> None:
        """Log where the bot is; it is online."""
        log.info("connected to Discord as %s in %d server(s)", self.user, len(self.guilds))
        self.adapter.gateway.connected()
        self.adapter.interest.reread()

    async def on_resumed(self) -> None:
        """Back online after a reconnect."""
        self.adapter.gateway.connected()
        self.adapter.interest.reread()

    async def on_socket_raw_receive(self, frame: object) -> None:
        """Every gateway frame; scheduled events' user adds and removes are answered."""
        self.adapter.interest.on_raw(frame)

    async def on_disconnect(self) -> None:
        """Offline until discord.py reconnects."""
        self.adapter.gateway.disconnected()


class DiscordAdapter:
    """Serves the core on Discord: slash commands, buttons, modals, and the outbox transport."""

    def __init__(
        self,
        core: Crossfade,
        token: str,
        *,
        guild_id: int | None = None,
        defer_after: float = DEFER_AFTER,
        ready_timeout: float = 60.0,
        guild_ready_timeout: float = 2.0,
        requests_per_second: float = 45.0,
        reconnect: Backoff | None = None,
    ) -> None:
        self.core = core
        self.guild_id = guild_id
        self.defer_after = defer_after
        self.client = CrossfadeClient(self, guild_ready_timeout=guild_ready_timeout)
        self.gateway = Gateway(
            self.client,
            token,
            link=Status(core.clock).link(LABEL),
            backoff=reconnect or Backoff(),
            ready_timeout=ready_timeout,
        )
        self.tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(self.client)
        self.tree.error(self._on_tree_error)
        # With a server configured, commands live there (instant updates); else globally.
        self._scope = discord.Object(id=guild_id) if guild_id else None
        for command in build_commands(core.registry, self._run, self._suggest, dms=False):
            self.tree.add_command(command, guild=self._scope)
        self.discord_transport = DiscordTransport(
            self.client, requests_per_second=requests_per_second
        )
        self.transport: Transport = self.discord_transport
        events = DiscordEvents(self.client, self.discord_transport.pacer)
        self.discord_transport.events = events
        self.interest = InterestListener(core, self.client, events)
        self.drafts = Drafts()

    @classmethod
    def from_settings(cls, settings: Settings, core: Crossfade) -> DiscordAdapter:
        """The adapter the settings describe."""
        if settings.discord_token is None:
            raise StartupError("DISCORD_TOKEN is not set.")
        return cls(core, settings.discord_token, guild_id=settings.discord_guild_id)

    # -- lifecycle --------------------------------------------------------------------------

    def report_to(self, status: Status) -> None:
        """Report the gateway connection into ``status`` (read by the health check)."""
        self.gateway.link = status.link(LABEL)

    async def start(self) -> None:
        """Log in, connect, and sync the slash commands if they changed."""
        await self.gateway.open()
        try:
            await sync_if_changed(self.tree, self._scope)
        except discord.Forbidden:
            await self.stop()
            raise StartupError(
                "Discord refused the slash commands for this server: invite the bot with the "
                "applications.commands scope (crossfade discord-invite prints the link)."
            ) from None

    async def stop(self) -> None:
        """Disconnect cleanly."""
        await self.interest.stop()
        await self.gateway.close()

    # -- who and where ----------------------------------------------------------------------

    def actor(self, interaction: Interaction, community: str = "") -> Actor:
        """The member behind an interaction, in the community it concerns.

        In a server that is the server. In a DM (a check-in prompt's buttons) it is the community
        the custom_id carries, else DISCORD_GUILD_ID, else the bot's only server.
        """
        if interaction.guild_id is not None:
            community = str(interaction.guild_id)
        elif not community.isdigit():
            guilds = self.client.guilds
            if self.guild_id:
                community = str(self.guild_id)
            elif len(guilds) == 1:
                community = str(guilds[0].id)
            else:
                raise NoCommunity
        permissions = interaction.permissions
        admin = interaction.guild_id is not None and (
            permissions.manage_guild or permissions.administrator
        )
        guild = self.client.get_guild(int(community))
        user = interaction.user
        return Actor(
            platform="discord",
            community_id=community,
            user_id=str(user.id),
            display_name=user.display_name,
            community_name=guild.name if guild else "",
            is_admin=admin,
            channel_id=str(interaction.channel_id) if interaction.channel_id else None,
        )

    # -- slash commands and autocomplete ----------------------------------------------------

    async def _run(
        self, interaction: Interaction, command: Command, values: dict[str, Any]
    ) -> None:
        """A slash command: Discord's typed values go to the core as they are."""
        raw = {
            name: str(value.id) if isinstance(value, discord.User | discord.Member) else value
            for name, value in values.items()
        }
        await self._handle(
            interaction,
            "",
            lambda actor: self._reply_for(actor, self.core.run(actor, command, raw)),
        )

    async def _suggest(
        self, interaction: Interaction, command: Command, option: Option, typed: str
    ) -> list[app_commands.Choice[Any]]:
        """Autocomplete from the core (time zones, skills, the member's own sprints)."""
        try:
            actor = self.actor(interaction)
            found = await asyncio.wait_for(
                self.core.suggest(actor, command, option.name, typed), SUGGEST_TIMEOUT
            )
        except Exception:
            log.warning("no suggestions for /%s %s", command.name, option.name, exc_info=True)
            return []
        choices: list[app_commands.Choice[Any]] = []
        for choice in found[:SUGGESTIONS]:
            if len(choice.value) > CHOICE_TEXT:
                continue
            value: str | int = choice.value
            if option.type is OptionType.INTEGER:
                if not choice.value.isdigit():
                    continue
                value = int(choice.value)
            name = clip(" ".join(choice.label.split()), CHOICE_TEXT) or choice.value
            choices.append(app_commands.Choice(name=name, value=value))
        return choices

    async def _on_tree_error(
        self, interaction: Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
            log.warning("a member used an outdated command: %s", error)
            await self._say(interaction, COMMAND_CHANGED)
            return
        log.error("slash command failed", exc_info=error)
        await self._say(interaction, OOPS)

    # -- buttons and modals -----------------------------------------------------------------

    async def on_interaction(self, interaction: Interaction) -> None:
        """Route a button click or modal submission by its custom_id."""
        if interaction.guild_id is None and interaction.channel_id is not None:
            self.discord_transport.remember_dm(interaction.user.id, interaction.channel_id)
        if interaction.type not in (
            discord.InteractionType.component,
            discord.InteractionType.modal_submit,
        ):
            return
        data = cast(Mapping[str, Any], interaction.data or {})
        found = parse(str(data.get("custom_id", "")))
        if isinstance(found, ButtonId):
            action = found.action
            await self._handle(
                interaction,
                found.community,
                lambda actor: self._reply_for(actor, self.core.press(actor, action)),
            )
        elif isinstance(found, StepId) and found.opens:
            await self._open_step(interaction, found)
        elif isinstance(found, StepId):
            values = submitted_values(data)
            await self._handle(
                interaction,
                found.community,
                lambda actor: self._submit_step(actor, found, values),
            )

    async def _open_step(self, interaction: Interaction, step: StepId) -> None:
        """A "continue" or "fix" button: the form step as a modal, prefilled (no core call)."""
        try:
            actor = self.actor(interaction, step.community)
            community = actor.community_id
            draft = self._draft(actor, step.form_id)
            if draft is not None and self.drafts.missing(draft, step.step):
                # The earlier steps were lost: say so now, before the member types more.
                await self._send(interaction, self._start_again(community, draft.form), None)
                return
            modal = build_modal(draft.form, step.step, community, draft.values) if draft else None
            if modal is None:
                await self._say(interaction, STALE_FORM)
                return
            await interaction.response.send_modal(modal)
        except NoCommunity:
            await self._say(interaction, OUTSIDE_COMMUNITY)
        except Exception:
            log.exception("could not open a form step")
            await self._say(interaction, OOPS)

    def _draft(self, actor: Actor, form_id: str) -> Draft | None:
        """The member's draft of a form, or a fresh one (after a restart lost it)."""
        draft = self.drafts.get(actor.user_id, form_id)
        if draft is not None:
            return draft
        command = self.core.form_command(form_id)
        if command is None:
            return None
        return self.drafts.start(actor.user_id, form_for(command, {}))

    async def _submit_step(self, actor: Actor, step: StepId, values: dict[str, str]) -> Reply:
        """A submitted modal: the next step, what to fix, or the core's answer to the whole form."""
        community = actor.community_id
        draft = self._draft(actor, step.form_id)
        if draft is None:
            return self._notice(community, STALE_FORM)
        draft.values.update(values)
        parts = steps(draft.form)
        if step.step < len(parts):
            problems: dict[str, str] = {}
            for field in parts[step.step - 1]:
                value = values.get(field.name, "")
                problem = await self.core.check_field(actor, draft.form.form_id, field.name, value)
                if problem:
                    problems[field.name] = problem
            if problems:
                return self._fix(community, draft.form, problems)
            rendered = render(step_done_message(draft.form, step.step), community)
            return self._with_button(rendered, "Continue", community, step.step + 1, draft.form)
        if self.drafts.missing(draft, step.step):
            return self._start_again(community, draft.form)
        response = await self.core.submit_form(actor, draft.form.form_id, draft.values)
        if response.field_errors:
            return self._fix(community, draft.form, response.field_errors)
        self.drafts.drop(actor.user_id, draft.form.form_id)
        return await self._reply_for(actor, _done(response))

    def _start_again(self, community: str, form: Form) -> Reply:
        rendered = render(start_again_message(form), community)
        return self._with_button(rendered, "Start again", community, 1, form)

    def _fix(self, community: str, form: Form, problems: Mapping[str, str]) -> Reply:
        rendered = render(problems_message(problems), community)
        first = step_of(form, next(iter(problems)))
        return self._with_button(rendered, "Fix my answers", community, first, form)

    @staticmethod
    def _with_button(
        rendered: Rendered, label: str, community: str, step: int, form: Form
    ) -> Reply:
        custom_id = open_step_id(community, step, form.form_id)
        if custom_id is not None:
            rendered.buttons.append(ButtonSpec(label, custom_id, discord.ButtonStyle.primary))
        return Reply(rendered)

    @staticmethod
    def _notice(community: str, words: str) -> Reply:
        return Reply(render(notice(words), community))

    # -- answering --------------------------------------------------------------------------

    async def _reply_for(self, actor: Actor, pending: Awaitable[Response] | Response) -> Reply:
        """The core's response as a reply; a form starts a draft and shows its first step."""
        response = pending if isinstance(pending, Response) else await pending
        if response.form is not None:
            draft = self.drafts.start(actor.user_id, response.form)
            return Reply(form=draft.form, step=1)
        if response.message is None:
            return Reply()
        return Reply(
            render(response.message, actor.community_id),
            public=response.public,
            replace_source=response.replace_source,
        )

    async def _handle(
        self,
        interaction: Interaction,
        community: str,
        work: Callable[[Actor], Awaitable[Reply]],
    ) -> None:
        """Answer an interaction with ``work``'s reply, deferring first if it is slow."""
        try:
            actor = self.actor(interaction, community)
            task = asyncio.ensure_future(work(actor))
            deferral: Deferral = None
            try:
                reply = await asyncio.wait_for(asyncio.shield(task), self.defer_after)
            except TimeoutError:
                deferral = await self._defer(interaction)
                reply = await task
            await self._deliver(interaction, actor.community_id, reply, deferral)
        except NoCommunity:
            await self._say(interaction, OUTSIDE_COMMUNITY)
        except Exception:
            log.exception("could not answer an interaction")
            await self._say(interaction, OOPS)

    async def _defer(self, interaction: Interaction) -> Deferral:
        if interaction.message is not None:
            await interaction.response.defer()
            return "update"
        await interaction.response.defer(ephemeral=True, thinking=True)
        return "thinking"

    async def _deliver(
        self, interaction: Interaction, community: str, reply: Reply, deferral: Deferral
    ) -> None:
        if reply.form is not None:
            await self._show_form(interaction, community, reply.form, reply.step, deferral)
        elif reply.rendered is not None:
            await self._send(interaction, reply, deferral)
        elif deferral is None and interaction.message is not None:
            await interaction.response.defer()  # nothing to say: just acknowledge the click
        elif deferral != "update":
            done = render(Message(body=text("Done."), tone=Tone.SUCCESS), community)
            await self._send(interaction, Reply(done), deferral)

    async def _show_form(
        self, interaction: Interaction, community: str, form: Form, step: int, deferral: Deferral
    ) -> None:
        """A modal when it can be the first answer; otherwise a button that opens it."""
        draft = self.drafts.get(str(interaction.user.id), form.form_id)
        values = draft.values if draft else {}
        modal = build_modal(form, step, community, values)
        first_answer = deferral is None and not interaction.response.is_done()
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
        await self._send(
            interaction,
            self._with_button(rendered, "Open the form", community, step, form),
            deferral,
        )

    async def _send(self, interaction: Interaction, reply: Reply, deferral: Deferral) -> None:
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

    async def _say(self, interaction: Interaction, words: str) -> None:
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


def _done(response: Response) -> Response:
    # A submitted form never reopens itself: a form in the core's answer is dropped.
    return replace(response, form=None) if response.form is not None else response
