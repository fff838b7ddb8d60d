"""One pass of everything time-driven: decide what is due, then deliver the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.cycle import CycleReport, run_cycle
from bot.delivery import DeliveryReport, Dispatcher
from bot.storage.base import Store


@dataclass
class TickReport:
    """What one tick decided and delivered."""

    cycle: CycleReport
    delivery: DeliveryReport


class Engine:
    """Runs the check-in cycle and the outbox at the clock's current time."""

    def __init__(self, store: Store, clock: Clock, dispatcher: Dispatcher) -> None:
        self.store = store
        self.clock = clock
        self.dispatcher = dispatcher

    async def tick(self) -> TickReport:
        """Decide what is due now and deliver everything queued."""
        cycle = await run_cycle(self.store, self.clock.now())
        delivery = await self.dispatcher.deliver_due()
        return TickReport(cycle, delivery)

    async def next_due_at(self) -> datetime | None:
        """When the next tick has something to do."""
        return await self.store.next_due_at(self.dispatcher.platforms())
