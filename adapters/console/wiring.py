"""Assembling a console session: core, engine, transport and the REPL."""

from __future__ import annotations

from collections.abc import Callable

from adapters.console.lines import LineSource
from adapters.console.session import ConsoleSession
from adapters.console.transport import ConsoleTransport
from bot.app import Crossfade
from bot.clock import MovableClock
from bot.delivery import Dispatcher
from bot.engine import Engine
from bot.storage.base import Store


def build_session(
    store: Store,
    clock: MovableClock,
    source: LineSource,
    write: Callable[[str], None],
) -> ConsoleSession:
    """A ready-to-run console session on a store."""
    holder: list[ConsoleSession] = []
    transport = ConsoleTransport(
        clock,
        write,
        buttons=lambda message: holder[0].register_buttons(message),
        default_zone=lambda: holder[0].zone,
    )
    engine = Engine(store, clock, Dispatcher(store, clock, {"console": transport}))
    core = Crossfade(store, clock)
    session = ConsoleSession(core, engine, clock, source, write)
    holder.append(session)
    return session
