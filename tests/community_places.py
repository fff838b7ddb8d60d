"""Several communities in one harness: the same script run in each, at the same moments.

``Place`` is one community of the harness's platform (its own platform id), whose members
run commands as the harness's do; ``use_everything`` gives a community rows in every
feature's tables (sprints and check-ins, clinics and RSVPs, gig leads and interest, skill
aliases, form drafts, the workspace's installation), for the tests of forgetting one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cryptography.fernet import Fernet

from bot.installations import Installations, Workspace
from bot.messages import Response
from bot.models import Actor
from bot.secrets_at_rest import TokenCipher
from tests.clinic_helpers import CREATE
from tests.gig_helpers import POST
from tests.harness import PLATFORM, Harness, reply_text

SPRINT = (
    '/sprint start goal:"Binaural podcast pilot" skill:"spatial mixing" deliverable:workshop '
    'deliverable-note:"A 45-minute workshop on binaural monitoring"'
)
KEY = Fernet.generate_key().decode()


class Place:
    """One community of the harness: ``ext`` is its platform id."""

    def __init__(self, harness: Harness, ext: str) -> None:
        self.h = harness
        self.ext = ext

    def actor(self, name: str, *, admin: bool = False, channel: str | None = "general") -> Actor:
        """A member of this community."""
        return Actor(
            PLATFORM, self.ext, name, name.capitalize(), f"Community {self.ext}", admin, channel
        )

    async def run(
        self, name: str, line: str, *, admin: bool = False, channel: str | None = "general"
    ) -> Response:
        """Run a command as a member here, then deliver what it queued."""
        response = await self.h.core.run_line(self.actor(name, admin=admin, channel=channel), line)
        await self.h.engine.tick()
        return response

    async def ok(self, name: str, line: str, **kwargs: Any) -> str:
        """Run a command that must not be refused; its reply as text."""
        said = reply_text(await self.run(name, line, **kwargs))
        assert "Usage:" not in said, said
        assert "fill in the form" not in said, said
        return said


async def use_everything(place: Place) -> None:
    """Rows of this community in every feature's tables (channels mapped first)."""
    for purpose, channel in (
        ("checkins", "check-ins"),
        ("announcements", "announcements"),
        ("gigs", "gigs"),
        ("gig-review", "gig-review"),
    ):
        await place.run("boss", f"/admin channel purpose:{purpose}", admin=True, channel=channel)
    await place.ok(
        "ana", '/profile timezone:Europe/London skills:"spatial mixing" gig-alerts:digest'
    )
    await place.ok("bob", '/profile timezone:Europe/London skills:"spatial mixing"')
    await place.ok("ana", SPRINT)
    await place.ok("boss", "/admin host member:ana", admin=True)
    await place.ok("ana", CREATE)
    await place.ok("bob", "/clinic rsvp clinic:1 answer:going")
    await place.ok("carol", "/profile clinic-reminders:off")
    await place.ok("boss", "/admin clinics reminders:24h", admin=True)
    await place.ok("boss", "/admin gigs posts-per-week:5", admin=True)
    await place.ok("carol", SPRINT + " weeks:1")  # ends after a week: its wrap-up DM
    await place.ok("ana", "/sprint complete link:https://example.com/workshop")  # not confirmed
    await place.ok("boss", '/admin skill-alias alias:atmos skill:"spatial mixing"', admin=True)
    await place.ok("carol", POST)
    await place.ok("bob", "/gig interested gig:1")
    await place.ok("bob", '/gig report gig:1 reason:"Looks like spam"')
    await place.ok("boss", "/admin calendar-link", admin=True)
    # Native events (Discord's) and the interest shown in them.
    community, member = await place.h.store.ensure_member(place.actor("bob"), place.h.clock.now())
    now = place.h.clock.now()
    await place.h.store.native_event_creating(community.id, "clinic:1", now)
    await place.h.store.record_interest(community.id, "clinic:1", member.id, True, None, None, now)
    installations = Installations(place.h.store, TokenCipher([KEY]), place.h.clock)
    await installations.save(Workspace(PLATFORM, "", place.ext), "bot", "", '{"bot_token": "x"}')


async def leave_a_draft(place: Place) -> None:
    """A form left half-filled (Discord's steps wait in form_drafts for an hour)."""
    actor = place.actor("ana")
    form = await place.h.core.run_line(actor, "/sprint edit", forms=True)
    assert form.form is not None
    await place.h.core.drafts.add(actor, form.form, {"goal": "A new goal"})


async def a_week_later(harness: Harness) -> None:
    """Four weeks of the jobs: prompts, weeks missed and summed up, a pause offer, a sprint's
    end, clinic announcements and reminders, gig digests and expiry."""
    await harness.advance(timedelta(days=29))
