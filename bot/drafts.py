"""Forms filled in over several steps: each member's answers so far, kept in the store.

A platform that shows a long form a few fields at a time (Discord's modals hold five) keeps
the member's earlier steps here until the last one, so any process sharing the database may
take the next step, and a restart loses nothing. A draft lasts an hour from its last use (the
core's clock); one past it is gone, and the platform asks the member plainly to start again.
Expired drafts are purged now and then, so the table holds only forms in progress.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

from bot.clock import Clock
from bot.messages import FieldStyle, Form, FormField
from bot.models import Actor, Community, Member

DRAFT_TTL = timedelta(hours=1)
PURGE_EVERY = timedelta(minutes=10)

# A draft as stored: the form as shown (form_json) and the answers so far.
Stored = tuple[str, dict[str, str]]


class DraftKey(NamedTuple):
    """Whose draft of which form."""

    community_id: int
    member_id: int
    form_id: str


class DraftStore(Protocol):
    """Members' drafts of forms, by community, member and form."""

    async def put_draft(
        self,
        key: DraftKey,
        form_json: str,
        answers: Mapping[str, str],
        expires_at: datetime,
    ) -> None:
        """Keep this draft, replacing any earlier one of the same form."""
        ...

    async def touch_draft(
        self, key: DraftKey, expires_at: datetime, now: datetime
    ) -> Stored | None:
        """The draft if still live, its expiry moved to ``expires_at``; None if gone."""
        ...

    async def add_to_draft(
        self,
        key: DraftKey,
        form_json: str,
        answers: Mapping[str, str],
        expires_at: datetime,
        now: datetime,
        *,
        keep: bool,
    ) -> Stored:
        """Add answers to the live draft (a new one on ``form_json`` if none), in one
        transaction; the whole draft, kept until ``expires_at``, or taken away unless ``keep``."""
        ...

    async def purge_drafts(self, now: datetime) -> int:
        """Forget the drafts past their expiry; how many."""
        ...


@dataclass
class Draft:
    """A form being filled in: its definition as shown and the answers so far."""

    form: Form
    values: dict[str, str] = field(default_factory=dict)


def form_to_json(form: Form) -> str:
    """A form as stored with its draft."""
    data = asdict(form)
    for item in data["fields"]:
        item["style"] = item["style"].value
    return json.dumps(data, separators=(",", ":"))


def form_from_json(raw: str) -> Form:
    """A stored form."""
    data: dict[str, Any] = json.loads(raw)
    fields = tuple(
        FormField(
            **{
                **item,
                "style": FieldStyle(item["style"]),
                "choices": tuple((str(v), str(label)) for v, label in item["choices"]),
            }
        )
        for item in data["fields"]
    )
    return Form(
        form_id=data["form_id"],
        title=data["title"],
        fields=fields,
        submit_label=data["submit_label"],
    )


class DraftingStore(DraftStore, Protocol):
    """Drafts, and the members they belong to."""

    async def ensure_member(self, actor: Actor, now: datetime) -> tuple[Community, Member]:
        """Find or create the actor's community and member."""
        ...


class FormDrafts:
    """The core's drafts of members' forms, for platforms that ask a form in steps."""

    def __init__(self, store: DraftingStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self.ttl = DRAFT_TTL
        self._purged_at: datetime | None = None

    async def _key(self, actor: Actor, form_id: str) -> DraftKey:
        community, member = await self._store.ensure_member(actor, self._clock.now())
        return DraftKey(community.id, member.id, form_id)

    async def start(self, actor: Actor, form: Form) -> Draft:
        """A fresh draft of a form just opened (any earlier one of it is replaced)."""
        now = self._clock.now()
        await self._purge(now)
        key = await self._key(actor, form.form_id)
        await self._store.put_draft(key, form_to_json(form), {}, now + self.ttl)
        return Draft(form)

    async def load(self, actor: Actor, form_id: str) -> Draft | None:
        """The member's draft of a form, if still kept (it then lasts another hour)."""
        now = self._clock.now()
        found = await self._store.touch_draft(await self._key(actor, form_id), now + self.ttl, now)
        return None if found is None else Draft(form_from_json(found[0]), found[1])

    async def add(
        self, actor: Actor, form: Form, values: Mapping[str, str], *, last: bool = False
    ) -> Draft:
        """A step's answers added to the member's draft (started on ``form`` if none is kept):
        the whole draft. After the ``last`` step the draft is taken away, so the form is
        submitted once; ``keep`` puts it back if the answers need fixing."""
        now = self._clock.now()
        await self._purge(now)
        key = await self._key(actor, form.form_id)
        stored = await self._store.add_to_draft(
            key, form_to_json(form), values, now + self.ttl, now, keep=not last
        )
        return Draft(form_from_json(stored[0]), stored[1])

    async def keep(self, actor: Actor, draft: Draft) -> None:
        """Keep a draft as it is now (a last step whose answers need fixing)."""
        now = self._clock.now()
        key = await self._key(actor, draft.form.form_id)
        await self._store.put_draft(key, form_to_json(draft.form), draft.values, now + self.ttl)

    async def _purge(self, now: datetime) -> None:
        """Now and then, forget every expired draft (the table holds only live ones)."""
        if self._purged_at is not None and now - self._purged_at < PURGE_EVERY:
            return
        self._purged_at = now
        await self._store.purge_drafts(now)
