"""Crossfade on Discord: the client's lifecycle, and every interaction routed to the core.

Slash commands and autocomplete reach the core through the command tree (commands.py); button
clicks and modal submissions are routed here by the state their custom_id carries, so they keep
working after a restart. Discord wants every interaction answered within 3 seconds: the core
usually answers in milliseconds and its reply goes straight back; past ``defer_after`` the
interaction is deferred and the reply follows up. Posting a reply is replies.py's job, and
walking a multi-step form is form_steps.py's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, cast

import discord
from discord import app_commands

from adapters.discord.commands import build_commands, sync_if_changed
from adapters.discord.connection import Gateway
from adapters.discord.custom_ids import ButtonId, StepId, parse
from adapters.discord.embeds import clip
from adapters.discord.event_interest import InterestListener
from adapters.discord.form_steps import FormSteps
from adapters.discord.forum import DiscordForums
from adapters.discord.modals import submitted_values
from adapters.discord.replies import Deferral, Interaction, Reply, defer, deliver, reply_for, say
from adapters.discord.scheduled_events import DiscordEvents
from adapters.discord.transport import DiscordTransport, retry_guard, shared_requests
from bot.app import Crossfade
from bot.commands.registry import Command, Option, OptionType
from bot.config import Settings
from bot.delivery import Transport
from bot.errors import StartupError
from bot.messages import Response
from bot.models import Actor
from bot.notices import COMMAND_CHANGED, OOPS, OUTSIDE_COMMUNITY
from bot.status import Backoff, Status

log = logging.getLogger(__name__)

# Discord allows 3 s to answer an interaction; leave room for the round trip.
DEFER_AFTER = 1.5
SUGGEST_TIMEOUT = 2.5
# Discord: at most 25 autocomplete choices, names and values of 1-100 characters.
SUGGESTIONS = 25
CHOICE_TEXT = 100


class NoCommunity(Exception):
    """An interaction outside any server, where the adapter can't tell which community is meant."""


def _channel_of(interaction: Interaction) -> str | None:
    """The channel a command was typed in; in a forum's post, the forum (which takes no
    messages of its own, so an admin picks it from inside one of its posts)."""
    channel = interaction.channel
    if isinstance(channel, discord.Thread) and isinstance(channel.parent, discord.ForumChannel):
        return str(channel.parent.id)
    return str(interaction.channel_id) if interaction.channel_id else None


class CrossfadeClient(discord.Client):
    """The discord.py client: guilds and scheduled events intents only, nothing pinged."""

    def __init__(
        self, adapter: DiscordAdapter, *, guild_ready_timeout: float, **sharding: Any
    ) -> None:
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
            # ShardedClient's shard_count and shard_ids (AutoShardedClient takes them).
            **sharding,
        )
        self.adapter = adapter

    @property
    def sharded(self) -> bool:
        """Whether this is the sharded client (links are reported per shard)."""
        return isinstance(self, discord.AutoShardedClient)

    async def on_interaction(self, interaction: Interaction) -> None:
        """Buttons and modals (commands and autocomplete go to the command tree)."""
        await self.adapter.on_interaction(interaction)

    async def on_ready(self) -> None:
        """Log where the bot is; it is online."""
        log.info("connected to Discord as %s in %d server(s)", self.user, len(self.guilds))
        if not self.sharded:
            self._online(None)

    async def on_resumed(self) -> None:
        """Back online after a reconnect."""
        if not self.sharded:
            self._online(None)

    async def on_shard_ready(self, shard_id: int) -> None:
        """One shard is online (sharded only)."""
        self._online(shard_id)

    async def on_shard_resumed(self, shard_id: int) -> None:
        """One shard is back online after a reconnect (sharded only)."""
        self._online(shard_id)

    def _online(self, shard: int | None) -> None:
        self.adapter.gateway.connected(shard)
        self.adapter.interest.reread()

    async def on_socket_raw_receive(self, frame: object) -> None:
        """Every gateway frame; scheduled events' user adds and removes are answered."""
        self.adapter.interest.on_raw(frame)

    async def on_disconnect(self) -> None:
        """Offline until discord.py reconnects."""
        if not self.sharded:
            self.adapter.gateway.disconnected(None)

    async def on_shard_disconnect(self, shard_id: int) -> None:
        """One shard is offline until discord.py reconnects it (sharded only)."""
        self.adapter.gateway.disconnected(shard_id)


class ShardedClient(CrossfadeClient, discord.AutoShardedClient):
    """The same client holding some of DISCORD_SHARD_COUNT's gateway shards (all its code is
    CrossfadeClient's; AutoShardedClient runs one connection per shard)."""


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
        shard_count: int | None = None,
        shard_ids: Sequence[int] | None = None,
    ) -> None:
        self.core = core
        self.guild_id = guild_id
        self.defer_after = defer_after
        self.client: CrossfadeClient
        if shard_count is None:
            self.client = CrossfadeClient(self, guild_ready_timeout=guild_ready_timeout)
        else:
            ids = list(shard_ids) if shard_ids is not None else None
            self.client = ShardedClient(
                self,
                guild_ready_timeout=guild_ready_timeout,
                shard_count=shard_count,
                shard_ids=ids,
            )
        # Slash commands are one set per application, not per shard: every process syncing
        # would spend the commands' rate limit again and race its PUTs, so shard 0's does.
        self.syncs_commands = shard_ids is None or 0 in shard_ids
        self.gateway = Gateway(
            self.client,
            token,
            status=Status(core.clock),
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
            self.client,
            requests_per_second=requests_per_second,
            shared_pacing=shared_requests(core.store, requests_per_second),
        )
        self.transport: Transport = self.discord_transport
        events = DiscordEvents(self.client, self.discord_transport.pacer)
        self.discord_transport.events = events
        transport = self.discord_transport
        transport.forums = DiscordForums(transport, transport.edit_message)
        self.interest = InterestListener(core, self.client, events)
        self.forms = FormSteps(core)

    @classmethod
    def from_settings(cls, settings: Settings, core: Crossfade) -> DiscordAdapter:
        """The adapter the settings describe."""
        if settings.discord_token is None:
            raise StartupError("DISCORD_TOKEN is not set.")
        return cls(
            core,
            settings.discord_token,
            guild_id=settings.discord_guild_id,
            shard_count=settings.discord_shard_count,
            shard_ids=settings.discord_shard_ids,
        )

    # -- lifecycle --------------------------------------------------------------------------

    def report_to(self, status: Status) -> None:
        """Report the gateway connection into ``status`` (read by the health check)."""
        self.gateway.report_to(status)

    async def start(self) -> None:
        """Log in, connect, and sync the slash commands if changed (shard 0 or unsharded)."""
        await self.gateway.open()
        if not self.syncs_commands:
            return
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
            channel_id=_channel_of(interaction),
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
            await say(interaction, COMMAND_CHANGED)
            return
        log.error("slash command failed", exc_info=error)
        await say(interaction, OOPS)

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
                lambda actor: self.forms.submit(actor, found, values),
            )

    async def _open_step(self, interaction: Interaction, step: StepId) -> None:
        """A "continue" or "fix" button: the form step as a modal (see form_steps)."""
        try:
            await self.forms.open(interaction, self.actor(interaction, step.community), step)
        except NoCommunity:
            await say(interaction, OUTSIDE_COMMUNITY)
        except Exception:
            log.exception("could not open a form step")
            await say(interaction, OOPS)

    # -- answering --------------------------------------------------------------------------

    async def _reply_for(self, actor: Actor, pending: Awaitable[Response]) -> Reply:
        """The core's response as a reply (a form starts a draft)."""
        return await reply_for(self.core.drafts, actor, pending)

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
                deferral = await defer(interaction)
                reply = await task
            await deliver(interaction, actor.community_id, reply, deferral)
        except NoCommunity:
            await say(interaction, OUTSIDE_COMMUNITY)
        except Exception:
            log.exception("could not answer an interaction")
            await say(interaction, OOPS)
