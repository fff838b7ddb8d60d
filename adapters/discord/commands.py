"""The command registry as Discord slash commands, synced to Discord only when they changed.

Each registry command becomes an ``app_commands.Command`` whose callback signature is built
from its options (typed, with lengths, ranges, choices and autocomplete), so discord.py declares
and parses the options and no command is written out by hand. Groups become slash-command
groups; groups whose commands are all admin-only are hidden from members without Manage Server
(default_member_permissions), and the core checks again.
"""

from __future__ import annotations

import inspect
import keyword
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any

import discord
from discord import app_commands

from bot.commands.registry import Command, Option, OptionType, Permission, Registry

log = logging.getLogger(__name__)

Interaction = discord.Interaction[discord.Client]
Run = Callable[[Interaction, Command, dict[str, Any]], Awaitable[None]]
Suggester = Callable[[Interaction, Command, Option, str], Awaitable[list[app_commands.Choice[Any]]]]
SlashCommand = app_commands.Command[Any, ..., None] | app_commands.Group

# Discord (Application Commands, "Application Command Option Structure"): descriptions 1-100
# characters, at most 25 choices, string options up to 6,000 characters.
DESCRIPTION = 100
CHOICES = 25
STRING_MAX = 6000
# Who sees admin-only groups in the command picker; server admins can change it per server.
ADMIN_PERMISSIONS = discord.Permissions(manage_guild=True)
_RANGE: Any = app_commands.Range  # built at run time from the registry's limits


def _describe(value: str) -> str:
    value = " ".join(value.split()) or "\u2026"
    return value if len(value) <= DESCRIPTION else value[: DESCRIPTION - 1] + "\u2026"


def _ident(name: str) -> str:
    """A Python identifier for an option name (``deliverable-note`` → ``deliverable_note``)."""
    ident = re.sub(r"\W", "_", name)
    # An option may be named like a Python keyword (/clinic edit from:…).
    return f"{ident}_" if keyword.iskeyword(ident) else ident


def _annotation(option: Option) -> Any:
    if option.type is OptionType.INTEGER:
        if option.min_value is None and option.max_value is None:
            return int
        return _RANGE[int, option.min_value, option.max_value]
    if option.type is OptionType.NUMBER:
        if option.min_value is None and option.max_value is None:
            return float
        return _RANGE[float, option.min_value, option.max_value]
    if option.type is OptionType.BOOLEAN:
        return bool
    if option.type is OptionType.MEMBER:
        return discord.User
    if option.max_length is not None:
        return _RANGE[str, None, min(option.max_length, STRING_MAX)]
    return str


def _callback(
    command: Command, run: Run, suggest: Suggester
) -> Callable[..., Coroutine[Any, Any, None]]:
    """A callback whose signature declares the command's options to discord.py."""
    options = {_ident(o.name): o for o in command.options}

    async def callback(interaction: Interaction, **values: Any) -> None:
        given = {options[k].name: v for k, v in values.items() if v is not None}
        await run(interaction, command, given)

    params = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Interaction
        )
    ]
    for ident, option in options.items():
        params.append(
            inspect.Parameter(
                ident,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_annotation(option),
                default=inspect.Parameter.empty if option.required else None,
            )
        )
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    described: Callable[..., Coroutine[Any, Any, None]] = app_commands.describe(
        **{i: _describe(o.description) for i, o in options.items()}
    )(callback)
    renamed = {i: o.name for i, o in options.items() if i != o.name}
    if renamed:
        described = app_commands.rename(**renamed)(described)
    choices = {
        i: [app_commands.Choice(name=_describe(c.label), value=c.value) for c in o.choices]
        for i, o in options.items()
        if o.choices and len(o.choices) <= CHOICES and o.type is not OptionType.BOOLEAN
    }
    if choices:
        described = app_commands.choices(**choices)(described)
    completers: dict[str, Any] = {
        i: _completer(command, o, suggest) for i, o in options.items() if o.suggest is not None
    }
    if completers:
        described = app_commands.autocomplete(**completers)(described)
    return described


def _completer(
    command: Command, option: Option, suggest: Suggester
) -> Callable[[Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[Any]]]]:
    async def complete(interaction: Interaction, current: str) -> list[app_commands.Choice[Any]]:
        return await suggest(interaction, command, option, str(current or ""))

    return complete


def build_commands(
    registry: Registry, run: Run, suggest: Suggester, *, dms: bool
) -> list[SlashCommand]:
    """Every registry command as a slash command or group, in declaration order.

    ``dms`` False restricts commands to servers (global commands would otherwise show in DMs,
    where there is no community to act in).
    """
    contexts = None if dms else app_commands.AppCommandContext(guild=True)
    built: list[SlashCommand] = []
    for name in registry.top_level():
        admin = registry.group_permission(name) is Permission.ADMIN
        permissions = ADMIN_PERMISSIONS if admin else None
        if name in registry.groups:
            group = app_commands.Group(
                name=name,
                description=_describe(registry.groups[name].description),
                guild_only=not dms,
                allowed_contexts=contexts,
                default_permissions=permissions,
            )
            for command in registry.group_commands(name):
                group.add_command(
                    app_commands.Command(
                        name=command.path[1],
                        description=_describe(command.description),
                        callback=_callback(command, run, suggest),
                    )
                )
            built.append(group)
            continue
        command = registry.commands[(name,)]
        single: app_commands.Command[Any, ..., None] = app_commands.Command(
            name=name,
            description=_describe(command.description),
            callback=_callback(command, run, suggest),
            allowed_contexts=contexts,
        )
        single.guild_only = not dms
        single.default_permissions = permissions
        built.append(single)
    return built


def _option_form(option: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": int(option.get("type", 3)),
        "name": option.get("name"),
        "description": option.get("description") or "",
        "required": bool(option.get("required", False)),
        "autocomplete": bool(option.get("autocomplete", False)),
        "choices": [(c.get("name"), c.get("value")) for c in option.get("choices") or []],
        **{k: option.get(k) for k in ("min_value", "max_value", "min_length", "max_length")},
        "options": [_option_form(o) for o in option.get("options") or []],
    }


def canonical(commands: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Commands as comparable data: what we send and what Discord returns, minus ids and noise."""
    forms = []
    for command in commands:
        permissions = command.get("default_member_permissions")
        contexts = command.get("contexts")
        forms.append(
            {
                "name": command.get("name"),
                "type": int(command.get("type", 1)),
                "description": command.get("description") or "",
                "options": [_option_form(o) for o in command.get("options") or []],
                "default_member_permissions": None if permissions is None else str(permissions),
                "contexts": None if contexts is None else sorted(int(c) for c in contexts),
                "nsfw": bool(command.get("nsfw", False)),
            }
        )
    return sorted(forms, key=lambda c: (c["type"], str(c["name"])))


async def sync_if_changed(
    tree: app_commands.CommandTree[discord.Client], guild: discord.abc.Snowflake | None
) -> bool:
    """Upload the commands only when Discord's copy differs; True if they were uploaded.

    Comparing with what Discord holds (rather than a stored hash) also repairs commands
    changed or deleted from elsewhere.
    """
    client = tree.client
    app_id = client.application_id
    if app_id is None:
        raise RuntimeError("the client has no application id yet (not logged in)")
    local = [c.to_dict(tree) for c in tree.get_commands(guild=guild)]
    if guild is None:
        remote = await client.http.get_global_commands(app_id)
    else:
        remote = await client.http.get_guild_commands(app_id, guild.id)
        # Commands synced globally by an earlier run would show twice in this server.
        if await client.http.get_global_commands(app_id):
            log.info("removing global commands left by an earlier run: using the server's")
            await client.http.bulk_upsert_global_commands(app_id, [])
    if canonical(local) == canonical(remote):
        log.info("slash commands unchanged; not syncing")
        return False
    await tree.sync(guild=guild)
    where = f"server {guild.id}" if guild is not None else "all servers (global)"
    log.info("slash commands synced to %s", where)
    return True
