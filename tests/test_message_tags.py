"""Message.tags: saved with the outbox row, and shown as plain, escaped text off Discord forums."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.console.render import render_message
from adapters.discord.embeds import render
from adapters.slack.blocks import message_blocks
from adapters.slack.transport import SlackTransport
from bot.delivery import Target
from bot.messages import Button, Field, Message, Timestamp, text
from bot.models import DestinationKind
from tests.fakes.slack_fake import SlackFake
from tests.slack_stack import check_blocks, texts_of

NOON = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
HOSTILE = ("<!everyone>", "<!channel>", "<@U0BOSS>", "<#C0SECRET>", "@here", "<!here|x>")


def gig() -> Message:
    return Message(
        title="Spatial mix for a podcast",
        body=text("Eight episodes, Atmos deliverables, from ", Timestamp(NOON)),
        fields=(Field("Pay", text("400-600 EUR per day")),),
        buttons=(Button("I'm interested", "gig.interested:1"),),
        tags=("spatial mixing", "live sound"),
    )


def test_tags_round_trip_through_the_outbox_json() -> None:
    message = gig()
    saved = json.loads(json.dumps(message.to_dict()))
    assert saved["tags"] == ["spatial mixing", "live sound"]
    assert Message.from_dict(saved) == message


def test_a_message_without_tags_is_saved_byte_for_byte_as_before() -> None:
    message = Message(title="Plain", body=text("No tags"), footer=text("f"))
    saved = json.dumps(message.to_dict(), sort_keys=True)
    assert saved == (
        '{"body": ["No tags"], "buttons": [], "fields": [], "footer": ["f"], '
        '"title": "Plain", "tone": "info"}'
    )
    assert Message.from_dict(json.loads(saved)).tags == ()


def test_tags_are_trimmed_and_checked() -> None:
    assert Message(tags=("  live   sound ", "mixing")).tags == ("live sound", "mixing")
    assert Message(tags=["a", "b"]).tags == ("a", "b")  # type: ignore[arg-type]
    assert Message(tags=("mixing", "   ", "")).tags == ("mixing",)  # blank: no tag
    with pytest.raises(TypeError):
        Message(tags="mixing")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Message(tags=(3,))  # type: ignore[arg-type]


def test_the_console_shows_tags_as_a_line() -> None:
    lines = render_message(gig(), ZoneInfo("Europe/Paris"), NOON)
    assert "\u2502 Tags: spatial mixing \u00b7 live sound" in lines
    # A message with only a body and tags is still a card, so the tags show.
    lines = render_message(Message(body=text("Hi"), tags=("x",)), ZoneInfo("UTC"), NOON)
    assert "\u2502 Tags: x" in lines


def test_slack_shows_tags_in_a_context_block() -> None:
    blocks = message_blocks(gig())
    check_blocks(blocks, max_blocks=50)
    contexts = [b for b in blocks if b["type"] == "context"]
    assert contexts[0]["elements"][0]["text"] == "Tags: spatial mixing \u00b7 live sound"
    # After the fields, before the buttons.
    kinds = [b["type"] for b in blocks]
    assert kinds.index("context") == kinds.index("actions") - 1


@pytest.mark.parametrize("hostile", HOSTILE)
def test_no_tag_can_ping_on_slack(hostile: str) -> None:
    blocks = message_blocks(Message(title="T", tags=(hostile, f"a {hostile} b")))
    check_blocks(blocks, max_blocks=50)  # no <!channel>/<!here>/… in any mrkdwn
    shown = texts_of(blocks)
    assert not re.search(r"<!|<@|<#", shown), shown


@pytest.mark.parametrize("hostile", HOSTILE)
def test_no_tag_can_ping_on_discord(hostile: str) -> None:
    rendered = render(Message(title="T", tags=(hostile,)), "1")
    (embed,) = rendered.embeds
    (tags,) = [f for f in embed.fields if f.name == "Tags"]
    assert tags.value is not None
    assert not re.search(r"@everyone|@here|<@", tags.value), tags.value
    assert rendered.content is None
    assert rendered.allowed_mentions.everyone is False


@pytest.mark.asyncio
async def test_a_tagged_post_reaches_slack_with_its_tags(slack_fake: SlackFake) -> None:
    client = AsyncWebClient(
        token=slack_fake.bot_token, base_url=slack_fake.api_url, retry_handlers=[]
    )
    transport = SlackTransport(client, channel_interval=0.0)
    target = Target("T0CROSSFD", DestinationKind.CHANNEL, channel_id="C0GIGS")
    message = Message(title="Gig", tags=("spatial mixing", "<!channel> pay"))

    receipt = await transport.send(target, message, key="cf-7")

    posted = slack_fake.message("C0GIGS", receipt.message_id)
    assert posted is not None
    shown = texts_of(posted["blocks"])
    assert "Tags: spatial mixing \u00b7 &lt;!channel&gt; pay" in shown
    assert "<!channel>" not in json.dumps(posted)
