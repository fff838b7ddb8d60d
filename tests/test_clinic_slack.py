"""Clinics on Slack: session times as date tokens, so each reader sees their own time."""

from __future__ import annotations

import pytest

from tests import slack_stack as stack_module
from tests.clinic_helpers import FIRST
from tests.slack_stack import SlackStack, assert_payloads_valid, texts_of

slack_stack = stack_module.slack_stack

ADMIN = "U0ADMIN"
# Slack's date token for the first session: the reader's own date and time, UTC as fallback.
TOKEN = (
    f"<!date^{int(FIRST.timestamp())}^{{date_short_pretty}} at {{time}}|Fri 04 Dec 2026 19:00 UTC>"
)


async def run(stack: SlackStack, command: str, text: str) -> str:
    """A slash command by the admin in #news; the text of the reply Slack was sent."""
    _, url = await stack.command(text, command=command, user=ADMIN, channel="C0NEWS")
    reply = await stack.fake.wait_for_response(url)
    return texts_of(reply.body["blocks"])


@pytest.mark.asyncio
async def test_the_announcement_and_the_list_show_session_times_as_date_tokens(
    slack_stack: SlackStack,
) -> None:
    fake = slack_stack.fake
    fake.add_user(ADMIN, name="Ada", tz="Europe/London", is_admin=True)
    await run(slack_stack, "/admin", "channel purpose:clinics")
    await run(slack_stack, "/profile", "timezone:Europe/London")
    created = await run(
        slack_stack,
        "/clinic",
        'create title:"Room calibration" bring:"A room measurement" rule:"first friday" '
        'time:19:00 where:"Studio A"',
    )
    assert "created" in created, created

    await slack_stack.engine.tick()  # the first session is within its lead time: announced
    (post,) = [c for c in fake.calls("chat.postMessage") if c.params["channel"] == "C0NEWS"]
    announcement = texts_of(post.params["blocks"])
    assert "Room calibration" in announcement
    assert TOKEN in announcement
    assert f"<!date^{int(FIRST.timestamp())}^{{ago}}|" in announcement

    listed = await run(slack_stack, "/clinic", "list")
    assert TOKEN in listed
    assert_payloads_valid(fake)
