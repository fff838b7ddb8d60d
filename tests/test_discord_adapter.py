"""The Discord adapter end to end: the real discord.py client against the loopback fake."""

from __future__ import annotations

import re
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import pytest

from bot.app import Crossfade
from bot.clock import FakeClock
from bot.context import Context
from bot.errors import StartupError
from bot.messages import Message, Response
from bot.notices import COMMAND_CHANGED, STALE_FORM
from bot.storage.sqlite import SqliteStore
from tests import discord_stack as stack_module
from tests.discord_stack import (
    EPHEMERAL,
    START,
    DiscordStack,
    assert_nothing_pings,
    buttons,
    message_data,
    modal_inputs,
    running_stack,
    text_of,
)
from tests.fakes.discord_fake import (
    ROUTE_DM_CREATE,
    ROUTE_GLOBAL_COMMANDS_GET,
    ROUTE_GUILD_COMMANDS_GET,
    ROUTE_GUILD_COMMANDS_PUT,
    ROUTE_MESSAGE_CREATE,
    ROUTE_MESSAGE_EDIT,
    DiscordFake,
)
from tests.fakes.discord_fixtures import (
    FAKE_CHANNEL_ID,
    FAKE_GUILD_ID,
    FAKE_OTHER_CHANNEL_ID,
    FAKE_TOKEN,
    FAKE_USER_ID,
)
from tests.stores import Database

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    from adapters.discord.adapter import DiscordAdapter

discord_stack = stack_module.discord_stack

SPRINT = {
    "goal": "Mix a Dolby Atmos podcast episode",
    "skill": "spatial mixing",
    "deliverable": "workshop",
    "deliverable-note": "A 45-minute online workshop on binaural monitoring",
    "weeks": 10,
}


async def set_channels(stack: DiscordStack) -> None:
    """An admin makes #general the check-ins channel and #gig-leads the announcements one."""
    await stack.command("admin channel", {"purpose": "checkins"}, admin=True)
    await stack.command(
        "admin channel",
        {"purpose": "announcements"},
        admin=True,
        channel_id=FAKE_OTHER_CHANNEL_ID,
    )


@pytest.mark.asyncio
async def test_commands_synced_from_the_registry_once(
    discord_fake: DiscordFake, tmp_path: Path
) -> None:
    async with running_stack(discord_fake, tmp_path / "db.sqlite") as stack:
        (put,) = discord_fake.find(ROUTE_GUILD_COMMANDS_PUT)
        assert put.params["guild_id"] == str(FAKE_GUILD_ID)
        synced = {c["name"]: c for c in put.json}
        assert list(synced) == stack.core.registry.top_level()
        # Admin-only groups are hidden from members without Manage Server.
        assert int(synced["admin"]["default_member_permissions"]) == 1 << 5  # Manage Server
        assert synced["sprint"]["default_member_permissions"] is None
        start = next(o for o in synced["sprint"]["options"] if o["name"] == "start")
        options = {o["name"]: o for o in start["options"]}
        assert (options["goal"]["type"], options["goal"]["max_length"]) == (3, 200)
        assert options["goal"]["required"] is True
        assert options["skill"]["autocomplete"] is True
        assert [c["value"] for c in options["deliverable"]["choices"]] == [
            "workshop",
            "sample-calibration",
            "video-series",
            "other",
        ]
        assert (options["weeks"]["type"], options["weeks"]["min_value"]) == (4, 1)
        assert options["weeks"]["max_value"] == 26
        profile = {o["name"]: o for o in synced["profile"]["options"]}
        assert profile["share-blockers"]["type"] == 5
        assert profile["timezone"]["autocomplete"] is True
        journey = {o["name"]: o for o in synced["journey"]["options"]}
        assert journey["member"]["type"] == 6

    # A restart with the same commands only compares: no second upload.
    async with running_stack(discord_fake, tmp_path / "db.sqlite"):
        assert len(discord_fake.find(ROUTE_GUILD_COMMANDS_PUT)) == 1
        assert len(discord_fake.find(ROUTE_GUILD_COMMANDS_GET)) == 2

    # Commands changed behind the bot's back (here: one deleted) are repaired at start.
    discord_fake.commands[FAKE_GUILD_ID] = discord_fake.commands[FAKE_GUILD_ID][1:]
    async with running_stack(discord_fake, tmp_path / "db.sqlite"):
        assert len(discord_fake.find(ROUTE_GUILD_COMMANDS_PUT)) == 2
        assert len(discord_fake.commands[FAKE_GUILD_ID]) == len(synced)
    assert discord_fake.find(ROUTE_GLOBAL_COMMANDS_GET)
    assert discord_fake.unhandled == []


@pytest.mark.asyncio
async def test_sprint_start_saves_replies_privately_and_announces(
    discord_stack: DiscordStack,
) -> None:
    stack, fake = discord_stack, discord_stack.fake
    await set_channels(stack)

    callback = await stack.command("sprint start", SPRINT)

    reply = message_data(callback)
    assert callback.json["type"] == 4
    assert reply["flags"] & EPHEMERAL
    (embed,) = reply["embeds"]
    assert embed["title"] == "Sprint started: Mix a Dolby Atmos podcast episode"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Deliverable"] == SPRINT["deliverable-note"]
    # Times render as Discord timestamps, so every reader sees their own zone.
    assert fields["First check-in"].startswith("<t:")
    assert fields["First check-in"].endswith(":R>)")
    community, member = await stack.member()
    sprint = await stack.store.active_sprint(member.id)
    assert sprint is not None
    assert (sprint.goal, sprint.weeks) == (SPRINT["goal"], 10)

    # The announcement is queued by the core and posted to the announcements channel.
    await stack.engine.tick()
    (announcement,) = [
        r
        for r in fake.find(ROUTE_MESSAGE_CREATE)
        if r.params["channel_id"] == str(FAKE_OTHER_CHANNEL_ID)
    ]
    assert "started a 10-week sprint" in text_of(announcement.json)
    channels = await stack.store.channels(community.id)
    assert channels["checkins"] == str(FAKE_CHANNEL_ID)
    assert assert_nothing_pings(fake) >= 4
    assert fake.unhandled == []


async def prompt_dm(stack: DiscordStack, user_id: int = FAKE_USER_ID) -> dict[str, Any]:
    """Start a sprint, fast-forward to the first prompt, and return the prompt DM as stored."""
    await stack.command("sprint start", SPRINT, user_id=user_id)
    await stack.advance(timedelta(days=8))
    dm = stack.fake.dm_channel_id(user_id)
    (prompt,) = [m for m in stack.fake.messages(dm) if "Weekly check-in" in text_of(m)]
    return prompt


@pytest.mark.asyncio
@pytest.mark.parametrize("shape", ["label", "action_row"])
async def test_checkin_prompt_button_modal_and_edit(
    discord_stack: DiscordStack, shape: Literal["label", "action_row"]
) -> None:
    stack, fake = discord_stack, discord_stack.fake
    prompt = await prompt_dm(stack)

    # Delivered by the scheduler through DiscordTransport: a DM with embed and buttons.
    (opened,) = fake.find(ROUTE_DM_CREATE)
    assert int(opened.json["recipient_id"]) == FAKE_USER_ID
    (post,) = [r for r in fake.find(ROUTE_MESSAGE_CREATE) if "Weekly check-in" in text_of(r.json)]
    assert post.json["enforce_nonce"] is True
    assert post.json["nonce"].startswith("cf-")
    (embed,) = prompt["embeds"]
    assert embed["title"] == "Weekly check-in · week 1 of 10"
    (until,) = embed["fields"]
    assert until["name"] == "Open until"
    assert re.fullmatch(r"<t:\d+:F> \(<t:\d+:R>\)", until["value"])
    custom_ids = buttons(prompt)
    assert set(custom_ids) == {"Check in", "Skip this week"}
    assert custom_ids["Check in"].startswith(f"cf:{FAKE_GUILD_ID}:checkin.open:")

    # "Check in" opens the form as a modal: the first answer, within Discord's limits.
    _, shown = await stack.click(prompt, "Check in")
    assert shown.json["type"] == 9
    modal = shown.json["data"]
    assert modal["title"] == "Check-in · week 1"
    inputs = modal_inputs(modal)
    assert list(inputs) == ["progress", "blockers", "confidence", "hours"]
    assert inputs["progress"]["max_length"] == 1000
    assert inputs["progress"]["style"] == 2  # paragraph

    values = {
        "progress": "Calibrated the 7.1.4 room",
        "blockers": "Waiting on height speakers",
        "confidence": "4",
        "hours": "6",
    }
    if shape == "label":
        reply = await stack.submit(modal, values, dm=True)
        assert [c["type"] for c in modal["components"]] == [18, 18, 18, 18]
    else:
        reply = await stack.submit(modal, values, shape="action_row", dm=True)
    data = message_data(reply)
    assert reply.json["type"] == 4
    assert data["flags"] & EPHEMERAL
    assert data["embeds"][0]["title"] == "Checked in for week 1 of 10"
    _, member = await stack.member()
    sprint = await stack.store.active_sprint(member.id)
    assert sprint is not None
    (week,) = await stack.store.weeks(sprint.id)
    assert (week.progress, week.confidence, week.hours) == ("Calibrated the 7.1.4 room", 4, 6)

    # The core queued an edit of the prompt: it now shows the week is done.
    await stack.engine.tick()
    (edit,) = fake.find(ROUTE_MESSAGE_EDIT)
    assert edit.params == {"channel_id": prompt["channel_id"], "message_id": prompt["id"]}
    stored = fake.message(int(prompt["id"]))
    assert stored is not None
    assert stored["embeds"][0]["title"] == "Weekly check-in · week 1 of 10 · done \u2713"
    assert list(buttons(stored)) == ["Edit check-in"]
    assert assert_nothing_pings(fake) >= 4
    assert fake.unhandled == []


@pytest.mark.asyncio
async def test_buttons_keep_working_after_a_restart(
    discord_fake: DiscordFake, tmp_path: Path
) -> None:
    db = tmp_path / "crossfade.db"
    async with running_stack(discord_fake, db) as first:
        prompt = await prompt_dm(first)
        clock = first.clock

    # A new client, same database: the prompt sent before the restart still works.
    async with running_stack(discord_fake, db, clock) as second:
        _, shown = await second.click(prompt, "Check in")
        assert shown.json["type"] == 9
        modal = shown.json["data"]
        values = {"progress": "Mixed the demo", "blockers": "", "confidence": "5", "hours": ""}
        reply = await second.submit(modal, values, dm=True)
        assert message_data(reply)["embeds"][0]["title"] == "Checked in for week 1 of 10"
        await second.engine.tick()
        stored = discord_fake.message(int(prompt["id"]))
        assert stored is not None
        assert "done" in stored["embeds"][0]["title"]
    assert discord_fake.unhandled == []


@pytest.mark.asyncio
async def test_invalid_answers_are_listed_and_the_form_reopens_prefilled(
    discord_stack: DiscordStack,
) -> None:
    stack, fake = discord_stack, discord_stack.fake
    prompt = await prompt_dm(stack)
    _, shown = await stack.click(prompt, "Check in")
    typed = {"progress": "Drafted the guide", "blockers": "", "confidence": "9", "hours": "3"}

    reply = await stack.submit(shown.json["data"], typed, dm=True)

    data = message_data(reply)
    assert data["flags"] & EPHEMERAL
    assert "• Confidence must be between 1 and 5." in text_of(data)
    _, member = await stack.member()
    sprint = await stack.store.active_sprint(member.id)
    assert sprint is not None
    (week,) = await stack.store.weeks(sprint.id)
    assert week.status.value == "open"  # nothing saved

    # "Fix my answers" reopens the form with what was typed.
    fix = fake.message(int(reply.response["resource"]["message"]["id"]))
    assert fix is not None
    _, reopened = await stack.click(fix, "Fix my answers", dm=True)
    assert reopened.json["type"] == 9
    inputs = modal_inputs(reopened.json["data"])
    assert inputs["progress"]["value"] == "Drafted the guide"
    assert inputs["confidence"]["value"] == "9"
    fixed = await stack.submit(reopened.json["data"], {**typed, "confidence": "3"}, dm=True)
    assert message_data(fixed)["embeds"][0]["title"] == "Checked in for week 1 of 10"


@pytest.mark.asyncio
async def test_a_form_longer_than_five_inputs_runs_in_steps(discord_stack: DiscordStack) -> None:
    stack, fake = discord_stack, discord_stack.fake
    # A core button that opens the /sprint start form (as on a home card).
    payload = fake.build_component(f"cf:{FAKE_GUILD_ID}:form:sprint.start")
    await fake.push_interaction(payload)
    first = (await fake.wait_for_callback(payload)).json
    assert first["type"] == 9
    assert first["data"]["title"] == "Start a sprint (1/2)"
    assert list(modal_inputs(first["data"])) == [
        "goal",
        "skill",
        "deliverable",
        "deliverable-note",
        "start",
    ]
    # Choices are a select menu inside a label.
    kinds = modal_inputs(first["data"])["deliverable"]
    assert kinds["type"] == 3
    assert [o["value"] for o in kinds["options"]] == [
        "workshop",
        "sample-calibration",
        "video-series",
        "other",
    ]

    step_one = {
        "goal": "Author podcast chapter metadata",
        "skill": "metadata",
        "deliverable": "video-series",
        "deliverable-note": "Three short videos on podcast metadata",
        "start": "",
    }
    done = await stack.submit(first["data"], step_one)
    assert "step 1 of 2 done" in text_of(message_data(done))
    continue_message = fake.message(int(done.response["resource"]["message"]["id"]))
    assert continue_message is not None
    _, second = await stack.click(continue_message, "Continue")
    assert second.json["data"]["title"] == "Start a sprint (2/2)"
    assert list(modal_inputs(second.json["data"])) == ["weeks"]

    reply = await stack.submit(second.json["data"], {"weeks": "8"})
    assert message_data(reply)["embeds"][0]["title"] == (
        "Sprint started: Author podcast chapter metadata"
    )
    _, member = await stack.member()
    sprint = await stack.store.active_sprint(member.id)
    assert sprint is not None
    assert (sprint.deliverable_kind, sprint.weeks) == ("video-series", 8)


@pytest.mark.asyncio
async def test_user_text_never_pings_anyone(discord_stack: DiscordStack) -> None:
    stack, fake = discord_stack, discord_stack.fake
    await set_channels(stack)
    loud = "@everyone <@&123456789012345678> @here <@1100000000000000302>"

    reply = await stack.command("sprint start", {**SPRINT, "goal": loud})
    await stack.engine.tick()

    shown = text_of(message_data(reply))
    assert "@\u200beveryone" in shown
    assert "@\u200bhere" in shown
    assert "<\u200b@&123456789012345678>" in shown
    assert "<\u200b@1100000000000000302>" in shown
    announcement = fake.messages(FAKE_OTHER_CHANNEL_ID)[-1]
    assert "@\u200beveryone" in text_of(announcement)
    assert announcement["mention_everyone"] is False
    assert announcement["mentions"] == []
    assert assert_nothing_pings(fake) >= 4


@pytest.mark.asyncio
async def test_admin_commands_are_checked_by_the_core_too(discord_stack: DiscordStack) -> None:
    stack = discord_stack

    refused = await stack.command("admin channel", {"purpose": "checkins"})

    data = message_data(refused)
    assert data["flags"] & EPHEMERAL
    assert "for community admins only" in text_of(data)
    community, _ = await stack.member()
    assert await stack.store.channels(community.id) == {}

    allowed = await stack.command("admin channel", {"purpose": "checkins"}, admin=True)
    data = message_data(allowed)
    assert not data.get("flags", 0) & EPHEMERAL  # announced to the channel
    assert data["embeds"][0]["title"] == "Channel set"
    assert await stack.store.channels(community.id) == {"checkins": str(FAKE_CHANNEL_ID)}


@pytest.mark.asyncio
async def test_autocomplete_answers_time_zones(discord_stack: DiscordStack) -> None:
    callback = await discord_stack.autocomplete("profile", "timezone", "Europe/Lon")

    assert callback.json["type"] == 8
    choices = callback.json["data"]["choices"]
    assert {"name": "Europe/London", "value": "Europe/London"} in choices
    assert all(c["value"].lower().startswith("europe/lon") for c in choices)


@pytest.mark.asyncio
async def test_autocomplete_lists_the_members_own_sprints(discord_stack: DiscordStack) -> None:
    await discord_stack.command("sprint start", SPRINT)

    callback = await discord_stack.autocomplete("sprint status", "sprint", "")

    (choice,) = callback.json["data"]["choices"]
    assert choice == {"name": f"#1 {SPRINT['goal']}", "value": 1}


@pytest.mark.asyncio
async def test_a_stale_button_gets_a_friendly_answer(discord_stack: DiscordStack) -> None:
    payload = discord_stack.fake.build_component(f"cf:{FAKE_GUILD_ID}:no.such.action:1")
    await discord_stack.fake.push_interaction(payload)
    callback = await discord_stack.fake.wait_for_callback(payload)

    data = message_data(callback)
    assert data["flags"] & EPHEMERAL
    assert "out of date" in text_of(data)


@pytest.mark.asyncio
async def test_stale_forms_and_changed_commands_get_the_cores_wording(
    discord_stack: DiscordStack,
) -> None:
    fake = discord_stack.fake
    gone = fake.build_component(f"cfo:{FAKE_GUILD_ID}:2:cmd:no.such.form")
    await fake.push_interaction(gone)
    told = message_data(await fake.wait_for_callback(gone))
    assert told["flags"] & EPHEMERAL
    assert text_of(told) == STALE_FORM

    renamed = fake.build_slash_command("retired-command")
    await fake.push_interaction(renamed)
    told = message_data(await fake.wait_for_callback(renamed))
    assert told["flags"] & EPHEMERAL
    assert text_of(told) == COMMAND_CHANGED


@pytest.mark.asyncio
async def test_a_wrong_token_stops_start_with_a_clear_message(
    discord_fake: DiscordFake, tmp_path: Path
) -> None:
    store = await SqliteStore.open(tmp_path / "db.sqlite")
    adapter = DiscordAdapter(Crossfade(store, FakeClock(START)), "not-the-token")
    try:
        with pytest.raises(StartupError, match="Discord rejected DISCORD_TOKEN"):
            await adapter.start()
    finally:
        await adapter.stop()
        await store.close()


@pytest.mark.asyncio
async def test_a_server_without_the_commands_scope_stops_start_with_a_clear_message(
    discord_fake: DiscordFake, tmp_path: Path
) -> None:
    store = await SqliteStore.open(tmp_path / "db.sqlite")
    core = Crossfade(store, FakeClock(START))
    adapter = DiscordAdapter(core, FAKE_TOKEN, guild_id=42, guild_ready_timeout=0.05)
    try:
        with pytest.raises(StartupError, match=r"applications\.commands scope"):
            await adapter.start()
    finally:
        await adapter.stop()
        await store.close()
    assert adapter.client.is_closed()


@pytest.mark.asyncio
async def test_skip_button_answers_privately_and_the_prompt_shows_skipped(
    discord_stack: DiscordStack,
) -> None:
    stack, fake = discord_stack, discord_stack.fake
    prompt = await prompt_dm(stack)

    _, callback = await stack.click(prompt, "Skip this week")

    data = message_data(callback)
    assert callback.json["type"] == 4
    assert data["flags"] & EPHEMERAL
    assert data["embeds"][0]["title"] == "Week 1 skipped"
    await stack.engine.tick()
    stored = fake.message(int(prompt["id"]))
    assert stored is not None
    assert stored["embeds"][0]["title"] == "Weekly check-in · week 1 of 10 · skipped"
    assert buttons(stored) == {}  # the edit removed the buttons


@pytest.mark.asyncio
async def test_a_response_replacing_its_source_edits_the_clicked_message(
    discord_stack: DiscordStack,
) -> None:
    stack, fake = discord_stack, discord_stack.fake

    async def replace_it(ctx: Context, args: list[str]) -> Response:
        return Response(Message(title=f"Replaced {args[0]}"), replace_source=True)

    stack.core.registry.action("test.replace", replace_it)
    payload = fake.build_component(f"cf:{FAKE_GUILD_ID}:test.replace:7")
    await fake.push_interaction(payload)
    callback = await fake.wait_for_callback(payload)

    assert callback.json["type"] == 7  # UPDATE_MESSAGE
    stored = fake.message(int(payload["message"]["id"]))
    assert stored is not None
    assert stored["embeds"][0]["title"] == "Replaced 7"
    assert stored["components"] == []


@pytest.mark.asyncio
async def test_community_settings_link_their_channels_without_pinging(
    discord_stack: DiscordStack,
) -> None:
    stack, fake = discord_stack, discord_stack.fake
    await set_channels(stack)

    shown = await stack.command("admin schedule", admin=True)

    fields = {f["name"]: f["value"] for f in message_data(shown)["embeds"][0]["fields"]}
    assert fields["Channel for check-ins (weekly summaries)"] == f"<#{FAKE_CHANNEL_ID}>"
    assert fields["Channel for announcements (sprints, clinics)"] == f"<#{FAKE_OTHER_CHANNEL_ID}>"
    assert assert_nothing_pings(fake) >= 3


@pytest.mark.asyncio
async def test_a_long_form_left_for_an_hour_asks_plainly_to_start_again(
    discord_fake: DiscordFake, database: Database
) -> None:
    # A restart no longer loses the earlier steps (they wait in the store, see
    # tests/test_discord_form_drafts.py); an hour without a step does.
    db = database
    step_one = {
        "goal": "Author podcast chapter metadata",
        "skill": "metadata",
        "deliverable": "video-series",
        "deliverable-note": "Three short videos on podcast metadata",
        "start": "",
    }
    async with running_stack(discord_fake, db) as first:
        payload = discord_fake.build_component(f"cf:{FAKE_GUILD_ID}:form:sprint.start")
        await discord_fake.push_interaction(payload)
        modal = (await discord_fake.wait_for_callback(payload)).json["data"]
        done = await first.submit(modal, step_one)
        continue_message = discord_fake.message(int(done.response["resource"]["message"]["id"]))
        assert continue_message is not None
        _, opened = await first.click(continue_message, "Continue")
        step_two = opened.json["data"]  # open while the hour goes by
        clock = first.clock
        clock.advance(timedelta(hours=1, seconds=1))

    async with running_stack(discord_fake, db, clock) as second:
        # "Continue" an hour later: told at once, before typing anything more.
        _, told = await second.click(continue_message, "Continue")
        assert told.json["type"] == 4
        data = message_data(told)
        assert data["flags"] & EPHEMERAL
        assert data["embeds"][0]["title"] == "Start a sprint: please start again"
        assert "Nothing was saved." in text_of(data)
        # The step-2 modal opened before the hour, submitted after it: told the same.
        late = await second.submit(step_two, {"weeks": "8"})
        assert message_data(late)["embeds"][0]["title"] == "Start a sprint: please start again"
        # "Start again" opens the first step, empty.
        notice = discord_fake.message(int(told.response["resource"]["message"]["id"]))
        assert notice is not None
        _, again = await second.click(notice, "Start again")
        assert again.json["type"] == 9
        assert again.json["data"]["title"] == "Start a sprint (1/2)"
        assert not modal_inputs(again.json["data"])["goal"].get("value")
        _, member = await second.member()
        assert await second.store.active_sprint(member.id) is None
    assert discord_fake.unhandled == []
