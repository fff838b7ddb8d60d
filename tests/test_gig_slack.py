"""A lead on Slack: its blocks show pay, place, dates and both buttons; answers are private."""

from __future__ import annotations

import pytest

from tests import slack_stack as stack_module
from tests.slack_stack import PINGS, SlackStack, assert_payloads_valid, buttons_of, texts_of

slack_stack = stack_module.slack_stack

ADMIN = "U0ADMIN"
POSTER = "U0ALICE"


@pytest.mark.asyncio
async def test_the_post_shows_pay_where_when_and_buttons_and_answers_are_ephemeral(
    slack_stack: SlackStack,
) -> None:
    fake = slack_stack.fake
    fake.add_user(ADMIN, name="Ada", tz="Europe/London", is_admin=True)
    _, url = await slack_stack.command(
        "channel purpose:gigs", command="/admin", user=ADMIN, channel="C0GIGS"
    )
    await fake.wait_for_response(url)
    _, url = await slack_stack.command(
        'post title:"Atmos mix <!channel>" details:"Six episodes @here <!everyone>" '
        'skills:"spatial mixing, dolby atmos" pay:"£250 per project" where:"Bristol" '
        "when:2027-01-15 link:https://example.org/brief",
        command="/gig",
        user=POSTER,
    )
    answer = await fake.wait_for_response(url)
    assert answer.body["response_type"] == "ephemeral"
    assert "Gig #1 posted" in texts_of(answer.body["blocks"])

    await slack_stack.engine.tick()
    (post,) = [c for c in fake.calls("chat.postMessage") if c.params["channel"] == "C0GIGS"]
    shown = texts_of(post.params["blocks"])
    assert "£250 per project" in shown
    assert "Bristol" in shown
    assert "Fri 15 Jan 2027" in shown
    assert "https://example.org/brief" in shown
    assert "Tags: spatial mixing · dolby atmos" in shown
    assert list(buttons_of(post.params["blocks"])) == ["I'm interested", "Report"]
    # User text can't notify anyone: Slack's crowd mentions come out escaped.
    assert not any(p in shown for p in PINGS), shown
    assert "Atmos mix" in shown

    _, url = await slack_stack.command("mine", command="/gig", user=POSTER)
    mine = await fake.wait_for_response(url)
    assert mine.body["response_type"] == "ephemeral"
    assert "#1 Atmos mix" in texts_of(mine.body["blocks"])
    assert_payloads_valid(fake)
