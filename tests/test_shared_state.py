"""What a process remembers to stay safe, kept in the store: used keys and form drafts.

Two stores opened on one database stand for two processes sharing it. Each runs on SQLite and
on PostgreSQL; the replay guard is only kept in the database where it is shared.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio

from bot.clock import FakeClock
from bot.drafts import DRAFT_TTL, FormDrafts, form_from_json, form_to_json
from bot.forms import fixed_form, form_for
from bot.messages import FieldStyle, Form, FormField
from bot.models import Actor
from bot.replay import PURGE_EVERY, PURGE_GRACE, SeenInProcess, SeenInStore, seen_once_for
from tests.conftest import START
from tests.harness import Harness
from tests.stores import AnyStore, Database, is_postgres, open_store, query

pytestmark = pytest.mark.asyncio

ANA = Actor("console", "c1", "ana", "Ana")
FORM = Form(
    form_id="cmd:sprint.start",
    title="Start a sprint",
    fields=(
        FormField("goal", "Goal", True, max_length=200, placeholder="e.g. …", hint="up to 200"),
        FormField(
            "deliverable",
            "Deliverable",
            True,
            choices=(("workshop", "Workshop"), ("other", "Other")),
            value="workshop",
        ),
        FormField("note", "Note", False, style=FieldStyle.PARAGRAPH),
    ),
    submit_label="Save",
)


@pytest_asyncio.fixture
async def two(database: Database) -> AsyncIterator[tuple[AnyStore, AnyStore]]:
    """Two stores on one database, as two processes would open it."""
    first = await open_store(database)
    second = await open_store(database)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def rows(database: Database, table: str) -> int:
    return int((await query(database, f"SELECT COUNT(*) FROM {table}"))[0][0])


# ---------------------------------------------------------------------- used keys


async def test_the_replay_guard_is_in_the_database_only_when_it_is_shared(
    two: tuple[AnyStore, AnyStore], database: Database
) -> None:
    clock = FakeClock(START)
    guard = seen_once_for(two[0], clock)
    assert isinstance(guard, SeenInStore if is_postgres(database) else SeenInProcess)
    assert two[0].shared is is_postgres(database)


async def test_a_key_used_on_one_process_is_refused_on_another_until_its_window_closes(
    two: tuple[AnyStore, AnyStore], database: Database
) -> None:
    clock = FakeClock(START)
    here, there = SeenInStore(two[0], clock), SeenInStore(two[1], clock)
    until = START + timedelta(minutes=5)
    assert await here.first_use("v0=aa", until)
    assert not await there.first_use("v0=aa", until)
    assert not await here.first_use("v0=aa", until)
    assert await there.first_use("v0=bb", until)

    clock.advance(timedelta(minutes=5))
    # aa's window closed: the key may be used again (its row is taken over, not added).
    assert await there.first_use("v0=aa", START + timedelta(minutes=10))
    assert not await here.first_use("v0=aa", START + timedelta(minutes=10))
    # A key whose window has already passed is refused by its age elsewhere: not kept.
    assert await here.first_use("v0=old", START)
    # bb's window closed too: kept a while yet, for processes whose clock runs behind.
    assert await query(database, "SELECT key FROM seen_once ORDER BY key") == [
        ("v0=aa",),
        ("v0=bb",),
    ]


async def test_used_keys_are_purged_a_while_after_their_window_closed(
    two: tuple[AnyStore, AnyStore], database: Database
) -> None:
    clock = FakeClock(START)
    guard = SeenInStore(two[0], clock)
    for n in range(50):
        assert await guard.first_use(f"v0={n:02}", START + timedelta(minutes=5))
    assert await rows(database, "seen_once") == 50
    clock.advance(timedelta(minutes=5))
    await guard.first_use("v0=late", START + timedelta(minutes=6))
    # Their window just closed here; a process whose clock runs behind may still need them.
    assert await rows(database, "seen_once") == 51
    clock.advance(PURGE_GRACE + PURGE_EVERY)
    assert await guard.first_use("v0=new", clock.now() + timedelta(minutes=5))
    # Everything past its window and the grace went: the table holds only what is live.
    assert await query(database, "SELECT key FROM seen_once") == [("v0=new",)]


async def test_two_processes_offered_the_same_key_at_once_accept_it_once(
    two: tuple[AnyStore, AnyStore],
) -> None:
    clock = FakeClock(START)
    guards = [SeenInStore(store, clock) for store in two for _ in range(4)]
    until = START + timedelta(minutes=5)
    answers = await asyncio.gather(*(g.first_use("v0=same", until) for g in guards))
    assert sorted(answers) == [False] * 7 + [True]


# ---------------------------------------------------------------------- form drafts


async def test_a_form_survives_the_trip_to_the_store_unchanged() -> None:
    assert form_from_json(form_to_json(FORM)) == FORM


async def test_a_draft_started_on_one_process_is_continued_on_another(
    two: tuple[AnyStore, AnyStore], database: Database
) -> None:
    clock = FakeClock(START)
    here, there = FormDrafts(two[0], clock), FormDrafts(two[1], clock)
    await here.start(ANA, FORM)
    step = await here.add(ANA, FORM, {"goal": "Binaural pilot"})
    assert step.values == {"goal": "Binaural pilot"}

    found = await there.load(ANA, FORM.form_id)
    assert found is not None
    assert found.form == FORM  # the form as shown, prefilled values and choices kept
    assert found.values == {"goal": "Binaural pilot"}
    whole = await there.add(ANA, FORM, {"note": "Two episodes"}, last=True)
    assert whole.values == {"goal": "Binaural pilot", "note": "Two episodes"}
    # Taken by the last step: nobody else can submit it again.
    assert await here.load(ANA, FORM.form_id) is None
    assert await rows(database, "form_drafts") == 0

    # Put back (its answers needed fixing): there again, as it was.
    await there.keep(ANA, whole)
    again = await here.load(ANA, FORM.form_id)
    assert again is not None
    assert again.values == whole.values


async def test_a_draft_lasts_an_hour_from_its_last_use(two: tuple[AnyStore, AnyStore]) -> None:
    clock = FakeClock(START)
    drafts = FormDrafts(two[0], clock)
    await drafts.add(ANA, FORM, {"goal": "Binaural pilot"})
    clock.advance(DRAFT_TTL - timedelta(seconds=1))
    assert await drafts.load(ANA, FORM.form_id) is not None  # and it lasts another hour
    clock.advance(DRAFT_TTL - timedelta(seconds=1))
    assert await drafts.load(ANA, FORM.form_id) is not None
    clock.advance(DRAFT_TTL)
    assert await drafts.load(ANA, FORM.form_id) is None
    # A later step of an expired draft starts a new one, holding only that step.
    later = await drafts.add(ANA, FORM, {"note": "Two episodes"})
    assert later.values == {"note": "Two episodes"}


async def test_expired_drafts_are_purged(
    two: tuple[AnyStore, AnyStore], database: Database
) -> None:
    clock = FakeClock(START)
    drafts = FormDrafts(two[0], clock)
    for n in range(5):
        await drafts.start(Actor("console", "c1", f"m{n}", f"M{n}"), FORM)
    assert await rows(database, "form_drafts") == 5
    clock.advance(DRAFT_TTL)
    await drafts.start(ANA, FORM)
    assert await query(database, "SELECT form_id FROM form_drafts") == [(FORM.form_id,)]


async def test_the_core_offers_drafts_with_its_own_clock(harness: Harness) -> None:
    command = harness.core.registry.get("sprint.start")
    assert command is not None
    form = form_for(command, {})
    actor = harness.actor("ana")
    await harness.core.drafts.add(actor, form, {"goal": "Binaural pilot"})
    harness.clock.advance(DRAFT_TTL)
    assert await harness.core.drafts.load(actor, form.form_id) is None
    assert harness.core.blank_form(form.form_id) == form


async def test_a_blank_form_keeps_the_options_its_id_fixes(harness: Harness) -> None:
    command = harness.core.registry.get("gig.report")
    assert command is not None
    fixed = fixed_form(command, {"gig": "3"})
    blank = harness.core.blank_form(fixed.form_id)
    assert blank == fixed
    assert "gig" not in [f.name for f in fixed.fields]
    assert harness.core.blank_form("cmd:no.such") is None
