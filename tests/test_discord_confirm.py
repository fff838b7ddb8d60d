"""On Discord, ending a sprint goes through its confirmation button, which edits that message."""

from __future__ import annotations

import pytest

from tests import discord_stack as stack_module
from tests.discord_stack import DiscordStack, buttons, message_data

discord_stack = stack_module.discord_stack

SPRINT = {
    "goal": "Mix a Dolby Atmos podcast episode",
    "skill": "spatial mixing",
    "deliverable": "workshop",
    "deliverable-note": "A 45-minute online workshop on binaural monitoring",
}


@pytest.mark.asyncio
async def test_abandon_is_confirmed_with_a_button(discord_stack: DiscordStack) -> None:
    stack, fake = discord_stack, discord_stack.fake
    await stack.command("sprint start", SPRINT)
    asked = await stack.command("sprint abandon", {"reason": "moving house " * 20})
    assert message_data(asked)["embeds"][0]["title"] == f"Stop “{SPRINT['goal']}”?"
    shown = fake.message(int(asked.response["resource"]["message"]["id"]))
    assert shown is not None
    assert list(buttons(shown)) == ["Stop sprint", "Keep going"]
    _, member = await stack.member()
    assert await stack.store.active_sprint(member.id) is not None

    _, pressed = await stack.click(shown, "Stop sprint")
    assert pressed.json["type"] == 7  # the confirmation message itself is updated
    updated = fake.message(int(shown["id"]))
    assert updated is not None
    assert updated["embeds"][0]["title"] == f"Sprint stopped: {SPRINT['goal']}"
    assert updated["components"] == []
    assert await stack.store.active_sprint(member.id) is None
    assert fake.unhandled == []
