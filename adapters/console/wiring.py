"""Assembling a console session: core, engine, transport and the REPL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from adapters.console.files import FileDrop, beside
from adapters.console.lines import LineSource
from adapters.console.session import ConsoleSession
from adapters.console.transport import ConsoleTransport
from bot.app import Crossfade
from bot.clock import Clock, MovableClock, OffsetClock
from bot.delivery import Dispatcher
from bot.engine import Engine, TickReport
from bot.errors import StartupError
from bot.links import PublicUrl
from bot.storage.base import Store
from bot.storage.sqlite import SqliteStore

# Where the console keeps how far /advance has moved its clock ahead of real time.
CLOCK_OFFSET = "console.clock_offset"
_MICROSECOND = timedelta(microseconds=1)


async def console_clock(store: Store, base: Clock | None = None) -> OffsetClock:
    """The console's clock, as far ahead of real time as it was when this database was left."""
    raw = await store.get_setting(CLOCK_OFFSET)
    if raw is None:
        return OffsetClock(base)
    try:
        return OffsetClock(base, int(raw) * _MICROSECOND)
    except (ValueError, OverflowError):
        raise StartupError(
            f"The console clock kept in the database ({CLOCK_OFFSET} = {raw!r}) is not a "
            "forward offset in microseconds; fix or delete that row of the settings table."
        ) from None


class _ClockKeepingEngine(Engine):
    """Keeps the clock's offset with the database before each tick, so everything a tick
    records happens at a time the console reaches again after a restart."""

    def __init__(self, store: Store, clock: OffsetClock, dispatcher: Dispatcher) -> None:
        super().__init__(store, clock, dispatcher)
        self._offset_clock = clock
        self._kept = clock.offset

    async def tick(self) -> TickReport:
        """Keep the offset if it moved, then tick."""
        offset = self._offset_clock.offset
        if offset != self._kept:
            await self.store.set_setting(CLOCK_OFFSET, str(offset // _MICROSECOND))
            self._kept = offset
        return await super().tick()


def build_session(
    store: Store,
    clock: MovableClock,
    source: LineSource,
    write: Callable[[str], None],
    *,
    public_url: PublicUrl | None = None,
    files_dir: Path | None = None,
) -> ConsoleSession:
    """A ready-to-run console session on a store; an OffsetClock's lead is kept with it.

    Attachments are written into ``files_dir``: by default ``files/`` beside the database.
    """
    if files_dir is None:
        if not isinstance(store, SqliteStore):
            raise ValueError("build_session needs files_dir for a store that isn't a file")
        files_dir = beside(store.path)
    files = FileDrop(files_dir)
    holder: list[ConsoleSession] = []
    transport = ConsoleTransport(
        clock,
        write,
        buttons=lambda message: holder[0].register_buttons(message),
        default_zone=lambda: holder[0].zone,
        files=files,
    )
    dispatcher = Dispatcher(store, clock, {"console": transport})
    engine = (
        _ClockKeepingEngine(store, clock, dispatcher)
        if isinstance(clock, OffsetClock)
        else Engine(store, clock, dispatcher)
    )
    core = Crossfade(store, clock, public_url=public_url)
    session = ConsoleSession(core, engine, clock, source, write, files)
    holder.append(session)
    return session
