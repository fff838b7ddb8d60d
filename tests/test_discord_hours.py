"""Decimal hours on Discord: the option is a number, and 5.5 reaches the core as 5.5 (issue 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import discord_stack as stack_module
from tests.discord_stack import DiscordStack, message_data, running_stack
from tests.fakes.discord_fake import ROUTE_GUILD_COMMANDS_PUT, DiscordFake
from tests.test_discord_adapter import prompt_dm

discord_stack = stack_module.discord_stack
NUMBER = 10  # Discord's option type for a decimal


@pytest.mark.asyncio
async def test_hours_are_declared_as_a_number(discord_fake: DiscordFake, tmp_path: Path) -> None:
    async with running_stack(discord_fake, tmp_path / "db.sqlite"):
        (put,) = discord_fake.find(ROUTE_GUILD_COMMANDS_PUT)
        checkin = next(c for c in put.json if c["name"] == "checkin")
        submit = next(o for o in checkin["options"] if o["name"] == "submit")
        hours = next(o for o in submit["options"] if o["name"] == "hours")
        assert (hours["type"], hours["min_value"], hours["max_value"]) == (NUMBER, 0, 168)


@pytest.mark.asyncio
async def test_a_slash_checkin_with_half_hours(discord_stack: DiscordStack) -> None:
    stack = discord_stack
    await prompt_dm(stack)
    payload = stack.slash("checkin submit", {"progress": "Tuned the room", "confidence": 4})
    payload["data"]["options"][0]["options"].append({"name": "hours", "type": NUMBER, "value": 5.5})
    await stack.fake.push_interaction(payload)
    reply = await stack.fake.wait_for_callback(payload)
    (embed,) = message_data(reply)["embeds"]
    assert embed["title"] == "Checked in for week 1 of 10"
    assert {f["name"]: f["value"] for f in embed["fields"]}["Hours"] == "5.5"
    _, member = await stack.member()
    sprint = await stack.store.active_sprint(member.id)
    assert sprint is not None
    (week,) = await stack.store.weeks(sprint.id)
    assert week.hours == 5.5
