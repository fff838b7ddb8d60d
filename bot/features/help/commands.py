"""Help: every command the caller may run, straight from the registry."""

from __future__ import annotations

from bot.commands.args import Args
from bot.commands.registry import Command, Option, Permission, Registry
from bot.context import Context
from bot.errors import UserError
from bot.messages import Field, Message, Response, text
from bot.storage.base import IdentityStore


def _described(option: Option) -> str:
    """An option's description, marked optional once (some already say so)."""
    if option.required or "optional" in option.description.lower():
        return option.description
    return f"{option.description} (optional)"


async def help_command(ctx: Context[IdentityStore], args: Args) -> Response:
    """List commands, or explain one."""
    wanted = args.optional_text("command")
    # A command for a feature's role (hosts) is listed: members may hold it.
    admin = ctx.actor.is_admin
    allowed = [c for c in ctx.registry if c.permission is not Permission.ADMIN or admin]
    if wanted:
        name = wanted.strip().lstrip("/").lower()
        matches = [c for c in allowed if c.name == name or c.path[0] == name]
        if not matches:
            raise UserError(f"There's no command /{name}. Type /help to list them.")
        fields: list[Field] = []
        for command in matches:
            lines = [command.description, command.usage()]
            lines += [f"  {o.name}: {_described(o)}" for o in command.options]
            fields.append(Field(f"/{command.name}", text("\n".join(lines)), inline=False))
        return Response(Message(title=f"Help: /{name}", fields=tuple(fields)))
    listing = tuple(Field(f"/{c.name}", text(c.description), inline=False) for c in allowed)
    return Response(
        Message(
            title="Crossfade commands",
            body=text(
                "Small, deliberate career moves: a three-month sprint with one public "
                "deliverable, a weekly check-in to keep it moving, monthly clinics, and gig "
                "leads that bring the first paid work for a new skill."
            ),
            fields=listing,
            footer=text("/help command:<name> shows a command's options."),
        )
    )


def register(registry: Registry) -> None:
    """Declare the help command."""
    registry.add(
        Command(
            ("help",),
            "What Crossfade can do",
            help_command,
            options=(Option("command", "A command to explain", max_length=40),),
            positional="command",
        )
    )
