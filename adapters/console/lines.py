"""Where the console reads its lines: a terminal with completion and history, or a pipe."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

from bot.commands.registry import OptionType, Registry

if TYPE_CHECKING:
    from prompt_toolkit.completion import Completer
    from prompt_toolkit.input import Input
    from prompt_toolkit.output import Output
from bot.commands.values import timezone_matches


class Interrupted(Exception):
    """Ctrl-C at a prompt: it cancels a form being filled in, or drops a half-typed line."""


class LineSource(Protocol):
    """Reads one line of input; None means the input has ended, Interrupted is Ctrl-C."""

    async def read(self, prompt: str) -> str | None:
        """Show a prompt and read a line."""
        ...


class ScriptSource:
    """Lines from a script, echoed after their prompt so the transcript reads like a session."""

    def __init__(self, lines: Iterable[str], write: Callable[[str], None]) -> None:
        self._lines = iter(lines)
        self._write = write

    async def read(self, prompt: str) -> str | None:
        """The next scripted line."""
        line = next(self._lines, None)
        if line is not None:
            self._write(f"{prompt}{line}")
        return line


class StreamSource:
    """Lines from a text stream such as piped standard input, echoed like a script."""

    def __init__(self, stream: TextIO, write: Callable[[str], None]) -> None:
        self._stream = stream
        self._write = write

    async def read(self, prompt: str) -> str | None:
        """The next line of the stream."""
        line = await asyncio.to_thread(self._stream.readline)
        if not line:
            return None
        line = line.rstrip("\n")
        self._write(f"{prompt}{line}")
        return line


class PromptSource:
    """An interactive terminal: tab completion of commands and options, and history."""

    def __init__(
        self,
        registry: Registry,
        history: Path,
        *,
        terminal_input: Input | None = None,
        terminal_output: Output | None = None,
    ) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory

        history.parent.mkdir(parents=True, exist_ok=True)
        self._session: PromptSession[str] = PromptSession(
            history=FileHistory(str(history)),
            completer=_completer(registry),
            complete_while_typing=False,
            input=terminal_input,
            output=terminal_output,
        )

    async def read(self, prompt: str) -> str | None:
        """Prompt the person at the terminal."""
        try:
            return await self._session.prompt_async(prompt)
        except EOFError:
            return None
        except KeyboardInterrupt:
            raise Interrupted from None


CONSOLE_COMMANDS = ("as", "advance", "press", "channel", "whoami", "quit")


def completions(registry: Registry, line: str) -> Iterator[str]:
    """What could come next on a partly typed command line."""
    words = line.lstrip("/").split(" ")
    if len(words) == 1:
        for name in [*registry.top_level(), *CONSOLE_COMMANDS]:
            if name.startswith(words[0]):
                yield "/" + name
        return
    found = registry.resolve(words[:-1]) or registry.resolve(words[:1])
    last = words[-1]
    if found is None:
        return
    command, _ = found
    if len(words) == 2 and words[0] in registry.groups:
        for sub in registry.group_commands(words[0]):
            if sub.path[1].startswith(last):
                yield sub.path[1]
    name, sep, typed = last.partition(":")
    if not sep:
        for opt in command.options:
            if opt.name.startswith(last):
                yield f"{opt.name}:"
        return
    option = command.option(name)
    if option is None:
        return
    if option.type is OptionType.TIMEZONE:
        for zone in timezone_matches(typed, 20):
            yield f"{name}:{zone}"
    for choice in option.choices:
        if choice.value.startswith(typed):
            yield f"{name}:{choice.value}"


def _completer(registry: Registry) -> Completer:
    from prompt_toolkit.completion import Completer, Completion
    from prompt_toolkit.document import Document

    class _Complete(Completer):
        def get_completions(self, document: Document, event: object) -> Iterator[Completion]:
            text = document.text_before_cursor
            last = text.split(" ")[-1]
            for option in completions(registry, text):
                yield Completion(option, start_position=-len(last))

    return _Complete()
