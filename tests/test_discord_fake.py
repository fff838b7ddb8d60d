"""The real discord.py client logs in to the loopback fake and handles interactions from it."""

from __future__ import annotations

import asyncio
import time
import warnings
from typing import Any, Literal

import aiohttp
import pytest

from tests.fakes import discord_fixtures
from tests.fakes.discord_fake import (
    ROUTE_APP_INFO,
    ROUTE_CALLBACK,
    ROUTE_FOLLOWUP,
    ROUTE_GUILD_COMMANDS_PUT,
    ROUTE_MESSAGE_CREATE,
    ROUTE_ORIGINAL_EDIT,
    ROUTE_USERS_ME,
    DiscordFake,
    RateLimitRule,
)
from tests.fakes.discord_fixtures import (
    FAKE_APPLICATION_ID,
    FAKE_CHANNEL_ID,
    FAKE_DM_CLOSED_USER_ID,
    FAKE_GUILD_ID,
    FAKE_TOKEN,
    FAKE_USER_ID,
    running_client,
)

with warnings.catch_warnings():
    # discord.py 2.7.1 imports the deprecated stdlib audioop; filterwarnings=error would fail.
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord
    from discord import app_commands

discord_fake = discord_fixtures.discord_fake  # the fixture, imported explicitly

GUILD = discord.Object(id=FAKE_GUILD_ID)
Seen = asyncio.Queue[tuple[str, Any]]


class JoinView(discord.ui.View):
    """A persistent view: no timeout and a fixed custom_id, registered with add_view."""

    def __init__(self, seen: Seen) -> None:
        super().__init__(timeout=None)
        self.seen = seen

    @discord.ui.button(
        label="Join sprint", custom_id="crossfade:join", style=discord.ButtonStyle.primary
    )
    async def join(
        self, interaction: discord.Interaction, button: discord.ui.Button[JoinView]
    ) -> None:
        await interaction.response.edit_message(content=f"{interaction.user.id} joined")
        await self.seen.put(("join", interaction.user.id))


class RsvpView(discord.ui.View):
    """A normal view attached to a message the bot sent: dispatched by that message's id."""

    def __init__(self, seen: Seen) -> None:
        super().__init__(timeout=60)
        self.seen = seen

    @discord.ui.button(label="RSVP", custom_id="rsvp")
    async def rsvp(
        self, interaction: discord.Interaction, button: discord.ui.Button[RsvpView]
    ) -> None:
        await interaction.response.defer()  # type 6: acknowledge without a new message
        await interaction.edit_original_response(content="RSVP noted", view=None)
        await self.seen.put(("rsvp", interaction.message.id if interaction.message else None))


class RowsModal(discord.ui.Modal, title="Session feedback"):
    """Text inputs as direct children: discord.py sends them wrapped in action rows."""

    topic: discord.ui.TextInput[RowsModal] = discord.ui.TextInput(label="Topic", custom_id="topic")
    notes: discord.ui.TextInput[RowsModal] = discord.ui.TextInput(
        label="Notes", custom_id="notes", style=discord.TextStyle.paragraph
    )

    def __init__(self, seen: Seen) -> None:
        super().__init__()
        self.seen = seen

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Thanks!", ephemeral=True)
        await self.seen.put(("modal", {"topic": self.topic.value, "notes": self.notes.value}))


class LabelModal(discord.ui.Modal, title="Session feedback"):
    """Text inputs inside discord.ui.Label: discord.py sends type 18 label components."""

    topic: discord.ui.Label[LabelModal] = discord.ui.Label(
        text="Topic", component=discord.ui.TextInput(custom_id="topic")
    )
    notes: discord.ui.Label[LabelModal] = discord.ui.Label(
        text="Notes",
        component=discord.ui.TextInput(custom_id="notes", style=discord.TextStyle.paragraph),
    )

    def __init__(self, seen: Seen) -> None:
        super().__init__()
        self.seen = seen

    async def on_submit(self, interaction: discord.Interaction) -> None:
        topic, notes = self.topic.component, self.notes.component
        assert isinstance(topic, discord.ui.TextInput)
        assert isinstance(notes, discord.ui.TextInput)
        await interaction.response.send_message("Thanks!", ephemeral=True)
        await self.seen.put(("modal", {"topic": topic.value, "notes": notes.value}))


class FakeBot(discord.Client):
    """A client shaped like the future adapter: a command tree and a persistent view.

    Callbacks report to ``seen`` *after* responding, so a test that saw the report can close
    the client without cutting off a response in flight.
    """

    def __init__(self) -> None:
        super().__init__(
            intents=discord.Intents.default(),
            guild_ready_timeout=0.05,  # on_ready waits this long after the last GUILD_CREATE
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.seen: Seen = asyncio.Queue()
        self.tree = app_commands.CommandTree(self)
        seen = self.seen

        @self.tree.command(name="echo", description="Echo some text", guild=GUILD)
        @app_commands.describe(text="What to echo")
        async def echo(interaction: discord.Interaction, text: str) -> None:
            await interaction.response.send_message(f"echo: {text}")
            await seen.put(("echo", text))

        @self.tree.command(name="feedback", description="Leave feedback", guild=GUILD)
        async def feedback(interaction: discord.Interaction, layout: str) -> None:
            modal = LabelModal(seen) if layout == "label" else RowsModal(seen)
            await interaction.response.send_modal(modal)

        @self.tree.command(name="slow", description="Defer, then follow up", guild=GUILD)
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send("still working")
            await interaction.edit_original_response(content="done")
            await seen.put(("slow", "done"))

        @self.tree.command(name="ping", description="Global command, usable in DMs")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pong", ephemeral=True)
            channel = interaction.channel
            await seen.put(("ping", (type(channel).__name__, interaction.guild_id)))

    async def setup_hook(self) -> None:
        self.add_view(JoinView(self.seen))


async def next_seen(bot: FakeBot) -> tuple[str, Any]:
    async with asyncio.timeout(3.0):
        return await bot.seen.get()


@pytest.mark.asyncio
async def test_login_gateway_and_guild_command_sync(discord_fake: DiscordFake) -> None:
    bot = FakeBot()
    async with running_client(bot):
        assert bot.user is not None
        assert bot.user.id == FAKE_APPLICATION_ID
        assert bot.application_id == FAKE_APPLICATION_ID
        guild = bot.get_guild(FAKE_GUILD_ID)
        assert guild is not None
        assert guild.me is not None
        assert isinstance(guild.get_channel(FAKE_CHANNEL_ID), discord.TextChannel)
        assert guild.member_count == 3
        # Default intents lack GUILD_MEMBERS: Discord lists only the bot, so members aren't cached.
        assert guild.get_member(FAKE_USER_ID) is None

        # Login: the bot token in the Authorization header, then application info.
        (me,) = discord_fake.find(ROUTE_USERS_ME)
        assert me.headers["Authorization"] == f"Bot {FAKE_TOKEN}"
        assert discord_fake.find(ROUTE_APP_INFO)

        # Gateway: discord.py's default transport compression, IDENTIFY with token and intents.
        session = discord_fake.sessions[0]
        assert session.compress == "zlib-stream"
        assert session.query["v"] == "10"
        assert session.query["encoding"] == "json"
        assert session.identify is not None
        assert session.identify["token"] == FAKE_TOKEN
        assert session.identify["intents"] == discord.Intents.default().value
        # One heartbeat right after HELLO, then every heartbeat_interval; each one ACKed.
        await discord_fake.wait_for_gateway(1, count=2)
        await discord_fake.wait_for_gateway(11, count=2, direction="send")

        synced = await bot.tree.sync(guild=GUILD)
        (put,) = discord_fake.find(ROUTE_GUILD_COMMANDS_PUT)
        assert put.params == {
            "application_id": str(FAKE_APPLICATION_ID),
            "guild_id": str(FAKE_GUILD_ID),
        }
        echo = next(c for c in put.json if c["name"] == "echo")
        (option,) = echo["options"]
        assert (option["type"], option["name"], option["required"]) == (3, "text", True)
        assert option["description"] == "What to echo"
        stored_ids = {c["name"]: int(c["id"]) for c in discord_fake.commands[FAKE_GUILD_ID]}
        assert {c.name: c.id for c in synced} == stored_ids
        assert {c.guild_id for c in synced} == {FAKE_GUILD_ID}
    assert discord_fake.unhandled == []


@pytest.mark.asyncio
async def test_slash_command_reply_reaches_fake(discord_fake: DiscordFake) -> None:
    bot = FakeBot()
    async with running_client(bot):
        await bot.tree.sync(guild=GUILD)
        interaction = discord_fake.build_slash_command("echo", {"text": "hello <@1>"})
        assert interaction["data"]["guild_id"] == str(FAKE_GUILD_ID)
        await discord_fake.push_interaction(interaction)

        assert await next_seen(bot) == ("echo", "hello <@1>")
        callback = await discord_fake.wait_for_callback(interaction)
        assert callback.route == ROUTE_CALLBACK
        assert callback.query["with_response"] == "1"
        assert callback.json["type"] == 4
        assert callback.json["data"]["content"] == "echo: hello <@1>"
        # Client-wide AllowedMentions.none() is sent with every message.
        assert callback.json["data"]["allowed_mentions"] == {"parse": []}
        (reply,) = discord_fake.messages(FAKE_CHANNEL_ID)
        assert reply["content"] == "echo: hello <@1>"
        assert reply["mentions"] == []
        assert discord_fake.interaction_state(interaction).response_type == 4
    assert discord_fake.unhandled == []


@pytest.mark.asyncio
async def test_deferred_reply_follow_up_and_edit_original(discord_fake: DiscordFake) -> None:
    bot = FakeBot()
    async with running_client(bot):
        await bot.tree.sync(guild=GUILD)
        interaction = discord_fake.build_slash_command("slow")
        await discord_fake.push_interaction(interaction)

        assert await next_seen(bot) == ("slow", "done")
        callback = await discord_fake.wait_for_callback(interaction)
        assert callback.json == {"type": 5}  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
        (followup,) = discord_fake.find(ROUTE_FOLLOWUP)
        assert followup.params["webhook_id"] == str(FAKE_APPLICATION_ID)
        assert followup.json["content"] == "still working"
        (edit,) = discord_fake.find(ROUTE_ORIGINAL_EDIT)
        assert edit.json["content"] == "done"
        state = discord_fake.interaction_state(interaction)
        assert state.original_message_id is not None
        original = discord_fake.message(state.original_message_id)
        assert original is not None
        assert original["content"] == "done"
        assert original["flags"] == 0  # no longer "thinking"
    assert discord_fake.unhandled == []


@pytest.mark.asyncio
async def test_persistent_view_button_click(discord_fake: DiscordFake) -> None:
    bot = FakeBot()
    async with running_client(bot):
        # The client has never seen this message: dispatch relies on add_view(view) alone.
        interaction = discord_fake.build_component("crossfade:join", user_id=FAKE_USER_ID)
        await discord_fake.push_interaction(interaction)

        assert await next_seen(bot) == ("join", FAKE_USER_ID)
        callback = await discord_fake.wait_for_callback(interaction)
        assert callback.json["type"] == 7
        assert callback.json["data"]["content"] == f"{FAKE_USER_ID} joined"
        message = discord_fake.message(int(interaction["message"]["id"]))
        assert message is not None
        assert message["content"] == f"{FAKE_USER_ID} joined"
    assert discord_fake.unhandled == []


@pytest.mark.asyncio
async def test_view_on_sent_message_deferred_update_and_edit(discord_fake: DiscordFake) -> None:
    bot = FakeBot()
    async with running_client(bot):
        channel = bot.get_channel(FAKE_CHANNEL_ID)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("Sprint demo on Friday", view=RsvpView(bot.seen))
        stored = discord_fake.message(sent.id)
        assert stored is not None
        assert stored["components"][0]["components"][0]["custom_id"] == "rsvp"

        interaction = discord_fake.build_component("rsvp", message=stored)
        await discord_fake.push_interaction(interaction)

        assert await next_seen(bot) == ("rsvp", sent.id)
        callback = await discord_fake.wait_for_callback(interaction)
        assert callback.json == {"type": 6}
        (edit,) = discord_fake.find(ROUTE_ORIGINAL_EDIT)
        assert edit.json["components"] == []
        # For a component interaction "@original" is the message holding the component.
        assert stored["content"] == "RSVP noted"
        assert stored["components"] == []
    assert discord_fake.unhandled == []


@pytest.mark.asyncio
async def test_global_command_in_dm(discord_fake: DiscordFake) -> None:
    bot = FakeBot()
    async with running_client(bot):
        await bot.tree.sync()  # global commands: PUT /applications/{id}/commands
        assert [c["name"] for c in discord_fake.commands[None]] == ["ping"]
        interaction = discord_fake.build_slash_command("ping", dm=True, user_id=FAKE_USER_ID)
        assert "guild_id" not in interaction
        assert interaction["user"]["id"] == str(FAKE_USER_ID)
        await discord_fake.push_interaction(interaction)

        assert await next_seen(bot) == ("ping", ("DMChannel", None))
        callback = await discord_fake.wait_for_callback(interaction)
        assert callback.json["data"]["content"] == "pong"
        dm_id = discord_fake.dm_channel_id(FAKE_USER_ID)
        assert [m["content"] for m in discord_fake.messages(dm_id)] == ["pong"]
    assert discord_fake.unhandled == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("layout", "shape", "top_type"),
    [("rows", "action_row", 1), ("label", "label", 18)],
)
async def test_modal_submit_reaches_on_submit(
    discord_fake: DiscordFake,
    layout: str,
    shape: Literal["action_row", "label"],
    top_type: int,
) -> None:
    bot = FakeBot()
    async with running_client(bot):
        await bot.tree.sync(guild=GUILD)
        command = discord_fake.build_slash_command("feedback", {"layout": layout})
        await discord_fake.push_interaction(command)
        shown = await discord_fake.wait_for_callback(command)
        assert shown.json["type"] == 9
        modal = shown.json["data"]
        assert [c["type"] for c in modal["components"]] == [top_type, top_type]

        values = {"topic": "Sidechain comp", "notes": "Line one\nLine two"}
        submit = discord_fake.build_modal_submit(modal["custom_id"], values, shape=shape)
        # The mirroring builder produces the same layout from the recorded modal.
        mirrored = discord_fake.build_modal_submit_for(shown, values)
        assert [c["type"] for c in mirrored["data"]["components"]] == [top_type, top_type]
        await discord_fake.push_interaction(submit)

        assert await next_seen(bot) == ("modal", values)
        reply = await discord_fake.wait_for_callback(submit)
        assert reply.json["type"] == 4
        assert reply.json["data"]["flags"] == 64  # ephemeral
    assert discord_fake.unhandled == []


@pytest.mark.asyncio
async def test_rate_limited_message_is_retried_once(discord_fake: DiscordFake) -> None:
    bot = FakeBot()
    async with running_client(bot):
        channel = bot.get_channel(FAKE_CHANNEL_ID)
        assert isinstance(channel, discord.TextChannel)
        discord_fake.inject_rate_limit(ROUTE_MESSAGE_CREATE, retry_after=0.05)

        sent = await channel.send("gig lead: mixing engineer wanted")

        first, second = discord_fake.find(ROUTE_MESSAGE_CREATE)
        assert first.status == 429
        assert first.response == {
            "message": "You are being rate limited.",
            "retry_after": 0.05,
            "global": False,
        }
        for header in (
            "Retry-After",
            "X-RateLimit-Limit",
            "X-RateLimit-Remaining",
            "X-RateLimit-Reset",
        ):
            assert header in first.response_headers
        assert first.response_headers["X-RateLimit-Scope"] == "user"
        assert second.status == 200
        (stored,) = discord_fake.messages(FAKE_CHANNEL_ID)
        assert int(stored["id"]) == sent.id
        assert sent.content == "gig lead: mixing engineer wanted"
        assert sent.author.id == FAKE_APPLICATION_ID


@pytest.mark.asyncio
async def test_dm_to_user_with_closed_dms_raises_forbidden(discord_fake: DiscordFake) -> None:
    bot = FakeBot()
    async with running_client(bot):
        open_dm = await bot.create_dm(discord.Object(id=FAKE_USER_ID))
        await open_dm.send("Your weekly check-in is due")
        assert [m["content"] for m in discord_fake.messages(open_dm.id)] == [
            "Your weekly check-in is due"
        ]

        closed_dm = await bot.create_dm(discord.Object(id=FAKE_DM_CLOSED_USER_ID))
        with pytest.raises(discord.Forbidden) as caught:
            await closed_dm.send("Your weekly check-in is due")
        assert caught.value.code == 50007
        assert caught.value.status == 403
        assert caught.value.text == "Cannot send messages to this user"
        assert discord_fake.messages(closed_dm.id) == []


@pytest.mark.asyncio
async def test_enforced_route_limit_is_respected_by_discord_py(discord_fake: DiscordFake) -> None:
    discord_fake.enable_rate_limits(rules={ROUTE_MESSAGE_CREATE: RateLimitRule(2, 0.3)})
    bot = FakeBot()
    async with running_client(bot):
        channel = bot.get_channel(FAKE_CHANNEL_ID)
        assert isinstance(channel, discord.TextChannel)
        started = time.monotonic()
        for n in range(5):
            await channel.send(f"message {n}")
        elapsed = time.monotonic() - started

    creates = discord_fake.find(ROUTE_MESSAGE_CREATE)
    # discord.py read X-RateLimit-Remaining/Reset-After and waited instead of hitting 429s.
    assert [r.status for r in creates] == [200] * 5
    assert elapsed >= 0.55  # windows {0,1} {2,3} {4}: two full resets
    assert discord_fake.rate_limit_stats.rejected == 0
    assert discord_fake.rate_limit_stats.accepted_by_route[ROUTE_MESSAGE_CREATE] == 5
    assert creates[1].response_headers["X-RateLimit-Remaining"] == "0"
    assert creates[0].response_headers["X-RateLimit-Limit"] == "2"
    assert [m["content"] for m in discord_fake.messages(FAKE_CHANNEL_ID)] == [
        f"message {n}" for n in range(5)
    ]


@pytest.mark.asyncio
async def test_enforced_global_limit_answers_429_like_discord(discord_fake: DiscordFake) -> None:
    discord_fake.enable_rate_limits(global_limit=3)
    headers = {"Authorization": f"Bot {FAKE_TOKEN}"}
    async with aiohttp.ClientSession() as http:

        async def get_me() -> tuple[int, Any, dict[str, str]]:
            async with http.get(f"{discord_fake.api_base}/users/@me", headers=headers) as resp:
                return resp.status, await resp.json(), dict(resp.headers)

        results = await asyncio.gather(*(get_me() for _ in range(5)))

    statuses = sorted(status for status, _, _ in results)
    assert statuses == [200, 200, 200, 429, 429]
    _, body, limited_headers = next(r for r in results if r[0] == 429)
    assert body["message"] == "You are being rate limited."
    assert body["global"] is True
    assert 0 < body["retry_after"] <= 1.0
    assert limited_headers["X-RateLimit-Global"] == "true"
    assert limited_headers["X-RateLimit-Scope"] == "global"
    assert "Retry-After" in limited_headers
    assert limited_headers["Via"]
    assert discord_fake.rate_limit_stats.accepted == 3
    assert discord_fake.rate_limit_stats.rejected == 2
    assert discord_fake.rate_limit_stats.rejected_global == 2


@pytest.mark.asyncio
async def test_rest_errors_look_like_discord(discord_fake: DiscordFake) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{discord_fake.api_base}/users/@me") as resp:
            assert resp.status == 401
            assert await resp.json() == {"code": 0, "message": "401: Unauthorized"}
        async with http.delete(f"{discord_fake.api_base}/guilds/{FAKE_GUILD_ID}") as resp:
            assert resp.status == 404
            assert await resp.json() == {"code": 0, "message": "404: Not Found"}
    (gap,) = discord_fake.unhandled
    assert (gap.method, gap.path) == ("DELETE", f"/guilds/{FAKE_GUILD_ID}")

    bot = FakeBot()
    async with bot:
        with pytest.raises(discord.LoginFailure):
            await bot.login("not-the-token")


@pytest.mark.asyncio
async def test_clients_reconnect_and_resume(discord_fake: DiscordFake) -> None:
    first = FakeBot()
    async with running_client(first):
        pass
    assert first.is_closed()
    assert discord_fake.sessions[0].closed

    second = FakeBot()
    async with running_client(second):
        # A brand-new client: a fresh connection and a fresh IDENTIFY.
        identifies = discord_fake.gateway_find(2)
        assert [f.connection for f in identifies] == [1, 2]

        # Server-requested reconnect: the client RESUMEs on resume_gateway_url.
        resumed = asyncio.ensure_future(second.wait_for("resumed", timeout=3.0))
        await discord_fake.request_reconnect()
        await resumed
        (resume,) = discord_fake.gateway_find(6)
        assert resume.d["session_id"] == discord_fake.sessions[1].session_id
        assert discord_fake.sessions[2].resumed

        # Interactions still flow on the resumed connection.
        interaction = discord_fake.build_component("crossfade:join")
        await discord_fake.push_interaction(interaction)
        assert (await next_seen(second))[0] == "join"
    assert len(discord_fake.gateway_find(2)) == 2
