"""docs/discord.md lists the slash commands exactly as Discord shows them to members."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from discord import app_commands

from adapters.discord.commands import build_commands
from bot.app import build_registry

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "discord.md"


async def _run(*_: Any) -> None:
    return None


async def _suggest(*_: Any) -> list[app_commands.Choice[Any]]:
    return []


def discord_names() -> list[str]:
    """Every command a member can type on Discord, e.g. ``checkin submit``."""
    names: list[str] = []
    for command in build_commands(build_registry(), _run, _suggest, dms=False):
        if isinstance(command, app_commands.Group):
            names += [f"{command.name} {sub.name}" for sub in command.commands]
        else:
            names.append(command.name)
    return names


def test_the_guide_lists_every_discord_command_and_no_other() -> None:
    table = re.findall(r"^\| `/([a-z -]+)` \|", GUIDE.read_text(), re.MULTILINE)

    assert sorted(table) == sorted(discord_names())
    assert "checkin submit" in table  # the README's /checkin, as Discord names it
