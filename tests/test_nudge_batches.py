"""Sprint nudges recorded a batch at a time: each sprint once however often a batch names it,
and a sprint changed between the read and the write is left out (decided again later)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.features.sprints.jobs import decide_ending, decide_ending_reminder
from tests.harness import Harness

SPRINT = (
    '/sprint start goal:"Dolby Atmos podcast pilot" skill:"spatial mixing" '
    'deliverable:workshop deliverable-note:"A 45-minute workshop" weeks:2'
)
FIRST = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
ENDS = FIRST + timedelta(weeks=2)


@pytest.mark.asyncio
async def test_a_batch_of_endings_records_each_sprint_once_and_skips_a_changed_one(
    harness: Harness,
) -> None:
    await harness.setup_channels()
    for who in ("ana", "ben", "cy"):
        await harness.run(who, SPRINT)
    # Every week opens; nobody answers (no pause question for two weeks).
    await harness.advance_to(ENDS - timedelta(hours=1))
    store = harness.store
    due = await store.due_sprint_endings(ENDS, 100)
    assert sorted(d.sprint.id for d in due) == [1, 2, 3]
    decided = [decide_ending(d, ENDS) for d in due]
    # Cy extends the sprint after the read: it no longer ended there.
    await harness.run("cy", "/sprint edit weeks:4")
    assert await store.record_sprint_endings([*decided, *decided], ENDS) == 2
    assert await store.record_sprint_endings(decided, ENDS) == 0
    # Each recorded ending is linked to its one queued DM; the reminder follows once.
    later = ENDS + timedelta(weeks=1, hours=1)
    reminders = await store.due_ending_reminders(later, 100)
    assert sorted(d.sprint.id for d in reminders) == [1, 2]
    again = [decide_ending_reminder(d, later) for d in reminders]
    assert await store.record_ending_reminders([*again, *again], later) == 2
    assert await store.record_ending_reminders(again, later) == 0
    await harness.advance_to(later + timedelta(hours=1))
    for who in ("ana", "ben"):
        titles = [s.message.title for s in harness.transport.dms(who)]
        assert titles.count("Your sprint's last week is over") == 1
        assert titles.count("Reminder: wrap up your sprint") == 1
    assert "Your sprint's last week is over" not in [
        s.message.title for s in harness.transport.dms("cy")
    ]
