"""What /help and the gig options' errors say: no repeated labels, options named as typed."""

from __future__ import annotations

import pytest

from tests.gig_helpers import POST, channels
from tests.harness import Harness, reply_text


@pytest.mark.asyncio
async def test_gig_help_reads_cleanly(harness: Harness) -> None:
    said = reply_text(await harness.run("ana", "/help gig post"))
    for repeated in ("pay: Pay:", "where: Where:", "when: When:"):
        assert repeated not in said, said
    assert "pay: " in said
    listing = reply_text(await harness.run("boss", "/help", admin=True))
    assert "/gig post: Post a work lead, paid or unpaid" in listing, listing
    assert "gig leads" in listing.split("\n/")[0].lower()
    # The gig commands sit together; /admin gigs and /admin skill-alias come after them.
    names = [line.split(":")[0] for line in listing.splitlines() if line.startswith("/")]
    gigs = [i for i, n in enumerate(names) if n.startswith("/gig ")]
    assert gigs == list(range(gigs[0], gigs[0] + len(gigs))), names
    assert names.index("/admin gigs") > gigs[-1]
    assert names.index("/admin skill-alias") > gigs[-1]


@pytest.mark.asyncio
async def test_gig_option_errors_name_the_option_as_typed(harness: Harness) -> None:
    h = harness
    await channels(h)
    days = reply_text(await h.run("boss", "/admin gigs min-member-days:400", admin=True))
    assert days.startswith("min-member-days must be between 0 and 365"), days
    posts = reply_text(await h.run("boss", "/admin gigs posts-per-week:99", admin=True))
    assert posts.startswith("posts-per-week must be between 0 and 50"), posts
    typed = reply_text(await h.run("ana", POST + " open-days:abc"))
    assert typed.startswith("open-days must be a whole number"), typed
    long = reply_text(await h.run("ana", POST.replace("dolby atmos", "x" * 41)))
    assert "keep each to 40 characters" in long, long
