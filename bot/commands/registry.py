"""The one command registry: every command is declared here once and every adapter reads it."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.commands.args import Args
    from bot.context import Context
    from bot.features.base import Purpose
    from bot.messages import Response


class OptionType(enum.Enum):
    """The kinds of value an option can take; each adapter maps them to its own types."""

    TEXT = "text"
    INTEGER = "integer"
    # A decimal such as hours spent (5.5); ``step`` says which fractions are allowed.
    NUMBER = "number"
    CHOICE = "choice"
    DATE = "date"
    TIME = "time"
    TIMEZONE = "timezone"
    MEMBER = "member"
    BOOLEAN = "boolean"
    URL = "url"


# The type-ahead source the core itself keeps; features declare the others by name.
TIMEZONE_SOURCE = "timezone"


class Direction(enum.Enum):
    """Which way a date option looks: "Jan 5" is the next one for a start, the last for a past."""

    ANY = "any"
    FUTURE = "future"
    PAST = "past"


class Permission(enum.Enum):
    """Who may run a command or press a button."""

    MEMBER = "member"
    ADMIN = "admin"


@dataclass(frozen=True)
class Role:
    """A permission a feature defines (a clinic's host): who passes, and what others are told.

    ``allows`` gets the request and the pressed button's arguments; admins pass only if it
    says so, so a feature decides whether its role includes them.
    """

    name: str
    allows: Callable[[Context[Any], list[str]], Awaitable[bool]]
    refusal: str


@dataclass(frozen=True)
class Action:
    """What a button with an action name does, and who may press it."""

    handler: ActionHandler
    permission: Permission | Role = Permission.MEMBER


@dataclass(frozen=True)
class Choice:
    """One allowed value of a choice option."""

    value: str
    label: str


@dataclass(frozen=True)
class Option:
    """A typed command option with its limits; forms and every platform derive from it."""

    name: str
    description: str
    type: OptionType = OptionType.TEXT
    required: bool = False
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    choices: tuple[Choice, ...] = ()
    # The name of a type-ahead source ("timezone", or one a feature declares).
    suggest: str | None = None
    paragraph: bool = False
    label: str = ""
    placeholder: str = ""
    # Text that may be emptied again: the value "none" (or "-") clears it.
    clearable: bool = False
    # Dates: FUTURE takes the next such date and refuses the past; PAST the reverse.
    direction: Direction = Direction.ANY
    # Numbers: the allowed fractions, e.g. (0.1, 0.25) for one decimal or quarter hours.
    steps: tuple[float, ...] = (1.0,)

    @property
    def title(self) -> str:
        """A human label for forms."""
        return self.label or self.name.replace("-", " ").capitalize()


Handler = Callable[["Context[Any]", "Args"], Awaitable["Response"]]
# Runs before a form is shown, so nobody fills in a form that can't be accepted.
Precheck = Callable[["Context[Any]"], Awaitable[None]]
# The values a command's form starts with (what is saved already, when editing).
Prefill = Callable[["Context[Any]"], Awaitable[Mapping[str, object]]]
# What a button does: the request and the arguments the button carries after its name.
ActionHandler = Callable[["Context[Any]", list[str]], Awaitable["Response"]]


@dataclass(frozen=True)
class Command:
    """A command: its path (``("sprint", "start")``), options, permission and handler."""

    path: tuple[str, ...]
    description: str
    handler: Handler
    options: tuple[Option, ...] = ()
    # ADMIN, or a feature's Role (hosts): checked by the core before the handler runs.
    permission: Permission | Role = Permission.MEMBER
    form_title: str = ""
    # When some required options are missing, open a form rather than fail.
    form_when_incomplete: bool = True
    precheck: Precheck | None = None
    prefill: Prefill | None = None
    # The one option that takes words typed without a name (``/help checkin``); others refuse.
    positional: str | None = None

    def __post_init__(self) -> None:
        if self.positional is not None and self.option(self.positional) is None:
            raise ValueError(f"/{self.name}: positional option {self.positional!r} not declared")

    @property
    def name(self) -> str:
        """The command as typed, without the slash: ``sprint start``."""
        return " ".join(self.path)

    @property
    def key(self) -> str:
        """A compact id used inside form ids: ``sprint.start``."""
        return ".".join(self.path)

    def option(self, name: str) -> Option | None:
        """Find an option by name."""
        return next((o for o in self.options if o.name == name), None)

    def usage(self) -> str:
        """One-line usage, e.g. ``/sprint complete link:<url> [note:<text>]``."""
        parts = [f"/{self.name}"]
        for opt in self.options:
            shown = f"{opt.name}:<{_placeholder(opt)}>"
            parts.append(shown if opt.required else f"[{shown}]")
        return " ".join(parts)


def _placeholder(opt: Option) -> str:
    if opt.choices:
        return "|".join(c.value for c in opt.choices)
    return {
        OptionType.INTEGER: "number",
        OptionType.NUMBER: "number",
        OptionType.DATE: "YYYY-MM-DD",
        OptionType.TIME: "HH:MM",
        OptionType.TIMEZONE: "Area/City",
        OptionType.MEMBER: "@member",
        OptionType.BOOLEAN: "yes|no",
        OptionType.URL: "https://…",
    }.get(opt.type, "text")


@dataclass(frozen=True)
class Group:
    """A command group such as ``sprint``; ``default`` runs when the group is typed alone."""

    name: str
    description: str
    default: str | None = None


@dataclass
class Registry:
    """All commands and button actions of the bot."""

    commands: dict[tuple[str, ...], Command] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    # Every channel purpose the features declare, by name (read by /admin channel).
    purposes: dict[str, Purpose] = field(default_factory=dict)

    def add(self, command: Command) -> None:
        """Register a command; a path may hold one command only."""
        if command.path in self.commands:
            raise ValueError(f"command {command.name!r} declared twice")
        if len(command.path) == 2 and command.path[0] not in self.groups:
            raise ValueError(f"group {command.path[0]!r} must be declared first")
        if len(command.path) == 1 and command.path[0] in self.groups:
            raise ValueError(f"{command.path[0]!r} is a group")
        self.commands[command.path] = command

    def add_group(self, group: Group) -> None:
        """Register a command group."""
        self.groups[group.name] = group

    def action(
        self, name: str, handler: ActionHandler, permission: Permission | Role = Permission.MEMBER
    ) -> None:
        """Register what a button with this action name does, and who may press it."""
        if name in self.actions:
            raise ValueError(f"action {name!r} declared twice")
        self.actions[name] = Action(handler, permission)

    def add_purpose(self, purpose: Purpose) -> None:
        """Register a channel purpose a feature declares."""
        if purpose.name in self.purposes:
            raise ValueError(f"channel purpose {purpose.name!r} declared twice")
        self.purposes[purpose.name] = purpose

    def __iter__(self) -> Iterator[Command]:
        return iter(self.commands.values())

    def top_level(self) -> list[str]:
        """Top-level names (groups and single commands) in declaration order."""
        seen: list[str] = []
        for path in self.commands:
            if path[0] not in seen:
                seen.append(path[0])
        return seen

    def group_commands(self, name: str) -> list[Command]:
        """The subcommands of a group."""
        return [c for c in self.commands.values() if len(c.path) == 2 and c.path[0] == name]

    def group_permission(self, name: str) -> Permission:
        """ADMIN when every command under a top-level name is admin-only (so platforms hide it)."""
        cmds = [c for c in self.commands.values() if c.path[0] == name]
        if cmds and all(c.permission is Permission.ADMIN for c in cmds):
            return Permission.ADMIN
        return Permission.MEMBER

    def get(self, key: str) -> Command | None:
        """Find a command by its key (``sprint.start``) or name (``sprint start``)."""
        return self.commands.get(tuple(key.replace(".", " ").split()))

    def resolve(self, words: list[str]) -> tuple[Command, list[str]] | None:
        """Find the command a typed line names; returns it and the words left over."""
        if not words:
            return None
        head = words[0].lower()
        if head in self.groups:
            if len(words) > 1 and (head, words[1].lower()) in self.commands:
                return self.commands[(head, words[1].lower())], words[2:]
            default = self.groups[head].default
            # A bare group runs its default; option-like words go to it too, other words
            # are a mistyped subcommand.
            rest = words[1:]
            if default is not None and (not rest or _option_like(rest[0])):
                return self.commands[(head, default)], rest
            return None
        command = self.commands.get((head,))
        return (command, words[1:]) if command else None


def _option_like(word: str) -> bool:
    return word.startswith("--") or ":" in word or "=" in word
