"""The prompts and reminders a batch fills in from templates are the very payloads the cards
render: byte for byte, whatever a member's goal holds."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.features.checkins.cards import (
    prompt_card,
    prompt_message,
    reminder_card,
    reminder_message,
)
from bot.features.checkins.jobs import decide_prompts, decide_reminders
from bot.messages import Message, text
from bot.models import CheckinWeek, Destination, NewOutbox, Sprint, SprintStatus, WeekStatus
from bot.payload_templates import Template
from tests.harness import PLATFORM, Harness
from tests.stores import query, write

CLOSES = datetime(2026, 12, 14, 10, 0, tzinfo=UTC)
GOALS = [
    "Mix a Dolby Atmos episode",
    "",
    'Quotes " and \\ backslashes \\u0000 and {braces} {0} {}',
    "\u201cCurly\u201d caf\u00e9 \u2014 dash, emoji \U0001f3a7\U0001f525",
    "Tabs\tnew\nlines\r and \x00 NUL \x1f",
    "  spaces kept  ",
]


def sprint(goal: str, sprint_id: int = 41, weeks: int = 12) -> Sprint:
    return Sprint(
        id=sprint_id,
        member_id=7,
        goal=goal,
        skill="spatial mixing",
        deliverable_kind="workshop",
        deliverable="A workshop",
        start_date=date(2026, 12, 1),
        weeks=weeks,
        status=SprintStatus.ACTIVE,
        created_at=CLOSES - timedelta(weeks=3),
        next_week=2,
        next_prompt_at=CLOSES,
    )


def week(number: int) -> CheckinWeek:
    return CheckinWeek(
        id=3,
        sprint_id=41,
        week=number,
        status=WeekStatus.OPEN,
        opens_at=CLOSES - timedelta(weeks=1),
        closes_at=CLOSES,
        community_week=date(2026, 12, 7),
    )


@pytest.mark.parametrize("goal", GOALS)
def test_a_filled_prompt_is_the_rendered_prompt(goal: str) -> None:
    template = Template(lambda s, g, w: prompt_card(s, g, w, 12, CLOSES), 3)
    for sprint_id, number in ((41, 2), (9, 12)):
        rendered = json.dumps(prompt_message(sprint(goal, sprint_id), week(number)).to_dict())
        assert template.fill(str(sprint_id), goal, str(number)) == rendered


@pytest.mark.parametrize("goal", GOALS)
def test_a_filled_reminder_is_the_rendered_reminder(goal: str) -> None:
    template = Template(lambda s, g, w: reminder_card(s, g, w, CLOSES), 3)
    rendered = json.dumps(reminder_message(sprint(goal), week(5)).to_dict())
    assert template.fill("41", goal, "5") == rendered


def test_a_card_that_changes_its_values_is_refused() -> None:
    with pytest.raises(ValueError, match="changes its values"):
        Template(lambda g: Message(title="Goal", body=text(g.strip().upper())), 1)
    with pytest.raises(ValueError, match="every hole"):
        Template(lambda g: Message(title="Goal"), 1)


@pytest.mark.asyncio
async def test_the_batch_queues_the_cards_payloads(harness: Harness) -> None:
    goal = 'Binaural "pilot" {0} \\ caf\u00e9 \U0001f3a7'
    await harness.run(
        "ana",
        f"/sprint start goal:'{goal}' skill:\"spatial mixing\" deliverable:workshop "
        'deliverable-note:"A 45-minute workshop"',
    )
    store = harness.store
    [(active, _)] = await store.active_sprints_in(1)
    assert active.goal == goal
    assert active.next_prompt_at is not None
    assert await decide_prompts(store, active.next_prompt_at) == 1
    [opened] = await store.weeks(active.id)
    queued = await store.get_outbox(opened.prompt_outbox_id or 0)
    assert queued is not None
    assert queued.payload == json.dumps(prompt_message(active, opened).to_dict())
    assert opened.remind_at is not None
    assert await decide_reminders(store, opened.remind_at) == 1
    due = await store.due_outbox(opened.remind_at, [PLATFORM])
    [reminded] = [d.item for d in due if (d.item.dedupe_key or "").startswith("reminder:")]
    assert reminded.payload == json.dumps(reminder_message(active, opened).to_dict())


# Goals a database can hold (PostgreSQL's text has no NUL), the separator of a stored row's
# words among them.
STORED_GOALS = [g for g in GOALS if "\x00" not in g] + ["Part 1: mix::stems:", ":", "a:b:c"]


@pytest.mark.asyncio
@pytest.mark.parametrize("goal", STORED_GOALS)
async def test_a_queued_prompt_and_reminder_are_the_cards_members_are_sent(
    harness: Harness, goal: str
) -> None:
    await harness.run(
        "ana",
        '/sprint start goal:"Placeholder" skill:"spatial mixing" deliverable:workshop '
        'deliverable-note:"A 45-minute workshop"',
    )
    store = harness.store
    [(active, _)] = await store.active_sprints_in(1)
    await write(harness.database, "UPDATE sprints SET goal = ? WHERE id = ?", (goal, active.id))
    active = replace(active, goal=goal)
    assert active.next_prompt_at is not None
    assert await decide_prompts(store, active.next_prompt_at) == 1
    [opened] = await store.weeks(active.id)
    assert opened.remind_at is not None
    assert await decide_reminders(store, opened.remind_at) == 1
    prompt = json.dumps(prompt_message(active, opened).to_dict())
    reminder = json.dumps(reminder_message(active, opened).to_dict())
    # Stored as a template and the member's words, read back whole, byte for byte.
    [(stored_prompt, prompt_template)] = await query(
        harness.database,
        "SELECT payload, template_id FROM outbox WHERE dedupe_key = ?",
        (f"prompt:{active.id}:1",),
    )
    assert prompt_template is not None
    assert len(stored_prompt) < len(prompt) // 4
    queued = await store.get_outbox(opened.prompt_outbox_id or 0)
    assert queued is not None
    assert queued.payload == prompt
    due = {d.item.dedupe_key: d.item for d in await store.due_outbox(opened.remind_at, [PLATFORM])}
    assert due[f"prompt:{active.id}:1"].payload == prompt
    assert due[f"reminder:{active.id}:1"].payload == reminder
    # And delivered as those very cards.
    harness.clock.set(opened.remind_at)
    await harness.advance(timedelta(minutes=1))
    assert [s.message for s in harness.transport.dms("ana")] == [
        Message.from_dict(json.loads(prompt)),
        Message.from_dict(json.loads(reminder)),
    ]


@pytest.mark.asyncio
async def test_a_row_queued_whole_still_reads_as_it_was(harness: Harness) -> None:
    # As every row was queued before templates (and every other feature's still is).
    await harness.store.ensure_member(harness.actor("ana"), CLOSES)
    whole = json.dumps(Message(title="Weekly check-in · week 1 of 12", body=text("x")).to_dict())
    [queued_id] = await harness.store.enqueue(
        [
            NewOutbox(
                community_id=1,
                destination=Destination.channel("checkins"),
                payload=whole,
                dedupe_key="old:1",
                feature="checkins",
            )
        ],
        CLOSES,
    )
    queued = await harness.store.get_outbox(queued_id)
    assert queued is not None
    assert queued.payload == whole
    [(template_id,)] = await query(
        harness.database, "SELECT template_id FROM outbox WHERE id = ?", (queued_id,)
    )
    assert template_id is None
