"""Parsing a typed command line (console, Slack) into a command and raw option values."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from bot.commands.registry import Command, OptionType, Registry
from bot.errors import UserError

_CURLY = str.maketrans("\u201c\u201d\u2018\u2019", "\"\"''")
_KEY = re.compile(r"^([a-z][a-z0-9-]*)[:=](.*)$", re.DOTALL)


@dataclass(frozen=True)
class ParsedLine:
    """A command found in a line and the raw option values typed for it."""

    command: Command
    raw: dict[str, object]


def split_words(line: str) -> list[str]:
    """Split a line like a shell would, with friendly errors for unbalanced quotes."""
    # Slack and phones send curly quotes; treat them as plain ones.
    line = line.translate(_CURLY)
    try:
        return shlex.split(line)
    except ValueError:
        raise UserError('A quote is not closed. Put text with spaces in "double quotes".') from None


def parse_line(registry: Registry, line: str) -> ParsedLine:
    """Parse ``/sprint start goal:"Learn Atmos" weeks:10`` into a command and its raw values.

    Options may be ``name:value``, ``name=value`` or ``--name value``; unquoted words after
    a text option continue it. A yes/no option's bare name turns it on (``rotate`` is
    ``rotate:yes``). Other words without a name go to the command's positional option.
    """
    words = split_words(line.strip().lstrip("/"))
    if not words:
        raise UserError("Type a command, for example /help.")
    found = registry.resolve(words)
    if found is None:
        head = words[0].lower()
        if head in registry.groups:
            subs = ", ".join(c.path[1] for c in registry.group_commands(head))
            raise UserError(f"I don't know the command /{head} {words[1]}. /{head} has: {subs}.")
        raise UserError(f"I don't know the command /{head}. Type /help to see what I can do.")
    command, rest = found
    raw: dict[str, object] = {}
    positional: list[str] = []
    # Unquoted words after `reason:moving` continue that text: `reason:moving house`.
    continuing: str | None = None
    i = 0
    while i < len(rest):
        word = rest[i]
        match = _KEY.match(word)
        if match and match.group(2).startswith("//"):
            match = None
        if word.startswith("--") and len(word) > 2:
            name, _, value = word[2:].partition("=")
            if not value:
                if i + 1 >= len(rest):
                    raise UserError(f"--{name} needs a value.", usage=command.usage())
                i += 1
                value = rest[i]
            _put(command, raw, name, value)
            continuing = _text_option(command, name)
        elif match:
            _put(command, raw, match.group(1), match.group(2))
            continuing = _text_option(command, match.group(1))
        elif continuing is not None:
            raw[continuing] = f"{raw[continuing]} {word}"
        elif _flag(command, word):
            _put(command, raw, word.lower(), "yes")
        else:
            positional.append(word)
        i += 1
    _fill_positional(command, raw, positional)
    return ParsedLine(command, raw)


def _text_option(command: Command, name: str) -> str | None:
    option = command.option(name)
    return name if option is not None and option.type is OptionType.TEXT else None


def _flag(command: Command, word: str) -> bool:
    option = command.option(word.lower())
    return option is not None and option.type is OptionType.BOOLEAN


def _put(command: Command, raw: dict[str, object], name: str, value: str) -> None:
    if name in raw:
        raise UserError(f"'{name}' is given twice.", usage=command.usage())
    raw[name] = value


def _fill_positional(command: Command, raw: dict[str, object], words: list[str]) -> None:
    """Words typed without an option name go to the command's positional option, if any.

    Guessing which option they meant renamed sprints (``/sprint edit workshop``), so a command
    without a positional option refuses them.
    """
    if not words:
        return
    option = command.option(command.positional) if command.positional else None
    if option is None or option.name in raw:
        raise UserError(_unnamed(command, words), usage=command.usage())
    if len(words) > 1 and option.type is not OptionType.TEXT:
        raise UserError(f"I don't know what '{words[1]}' is for.", usage=command.usage())
    raw[option.name] = " ".join(words)


def _unnamed(command: Command, words: list[str]) -> str:
    if not command.options:
        return f"I don't know what '{words[0]}' is for. /{command.name} takes no options."
    typed = " ".join(words)
    example = f'"{typed}"' if " " in typed else typed
    return (
        f"I don't know what '{words[0]}' is for. Put the option's name before it, "
        f"e.g. {command.options[0].name}:{example}."
    )
