"""Rendering for Discord without a connection: limits, mentions, timestamps, ids, modals."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.discord.custom_ids import ButtonId, StepId, button_id, modal_id, open_step_id, parse
from bot.messages import (
    Button,
    ChannelLink,
    Field,
    FieldStyle,
    Form,
    FormField,
    Mention,
    Message,
    Timestamp,
    Tone,
    text,
)

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    from adapters.discord.embeds import read_marker, render
    from adapters.discord.modals import build_modal, steps, submitted_values

from tests.discord_stack import check_embeds

AT = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
EPOCH = int(AT.timestamp())
MEMBERS = [str(1100000000000001000 + n) for n in range(400)]


def payload(message: Message, **options: Any) -> dict[str, Any]:
    """A rendered message as the JSON discord.py would send."""
    rendered = render(message, "1100000000000000100", **options)
    return {
        "content": rendered.content,
        "embeds": [e.to_dict() for e in rendered.embeds],
        "allowed_mentions": rendered.allowed_mentions.to_dict(),
    }


def everyone_listed() -> tuple[Mention | str, ...]:
    parts: list[Mention | str] = []
    for member in MEMBERS:
        parts += [", "] if parts else []
        parts += [Mention(member, f"member {member}"), " (3\U0001f525)"]
    return tuple(parts)


def test_a_huge_message_fits_every_limit_and_shows_every_field() -> None:
    message = Message(
        title="A" * 400,
        body=text("Body " * 2000),
        fields=(
            Field("Checked in", everyone_listed(), inline=False),
            Field("Confidence", text("4.0 / 5")),
            Field("Blocked", text("Waiting on gear. " * 300), inline=False),
        ),
        footer=text("F" * 3000),
    )

    sent = payload(message, key="cf-9")

    check_embeds(sent)
    fields = [f for e in sent["embeds"] for f in e.get("fields", [])]
    names = [f["name"] for f in fields]
    assert {"Checked in", "Confidence", "Blocked"} <= set(names)
    assert sent["embeds"][0]["title"].endswith("\u2026")
    assert sent["embeds"][0]["description"].startswith("Body Body")
    assert fields[-1]["value"].endswith("\u2026")  # "Blocked" continues, then is cut visibly
    # Mention syntax is never split across fields.
    for field in fields:
        assert not re.search(r"<@\d*$", field["value"].rstrip("\u2026 ,"))
        assert not re.match(r"^\d+>", field["value"])
    assert read_marker(sent["embeds"][-1]["footer"]["text"]) == "cf-9"


def test_a_long_field_continues_in_further_fields_when_there_is_room() -> None:
    message = Message(title="Journey", fields=(Field("Notes", text("word " * 500)),))

    sent = payload(message)

    check_embeds(sent)
    fields = sent["embeds"][0]["fields"]
    assert [f["name"] for f in fields] == ["Notes", "\u200b", "\u200b"]
    assert "".join(f["value"] for f in fields).split() == ["word"] * 500
    assert not any(f["inline"] for f in fields)


@pytest.mark.parametrize(
    "typed",
    [
        "@everyone",
        "@here",
        "@Everyone",
        "<@&123456789012345678>",
        "<@1100000000000000301>",
        "<@!1100000000000000301>",
    ],
)
def test_user_text_cannot_ping(typed: str) -> None:
    sent = payload(
        Message(
            title=f"Goal: {typed}", body=text("Note: ", typed), fields=(Field(typed, text(typed)),)
        )
    )

    shown = "\n".join(
        [sent["embeds"][0]["title"], sent["embeds"][0]["description"]]
        + [v for f in sent["embeds"][0]["fields"] for v in (f["name"], f["value"])]
    )
    assert not re.search(r"@everyone|@here|<@[!&]?\d+>", shown, re.IGNORECASE)
    assert typed.replace("@", "") in shown.replace("\u200b", "").replace("@", "")
    assert sent["content"] is None
    assert sent["allowed_mentions"] == {"parse": []}


def test_mention_syntax_split_across_parts_is_still_neutralised() -> None:
    sent = payload(Message(body=text("<", "@1100000000000000301>", " @every", "one")))
    description = sent["embeds"][0]["description"]
    assert "<@1100000000000000301>" not in description
    assert "@everyone" not in description


def test_members_named_on_purpose_are_pinged_and_only_them() -> None:
    quiet, loud = (
        Mention("1100000000000000301", "Ada"),
        Mention("1100000000000000302", "Grace", True),
    )

    sent = payload(Message(title="Clinic", body=text(quiet, " and ", loud, " are on")))

    assert (
        sent["embeds"][0]["description"]
        == "<@1100000000000000301> and <@1100000000000000302> are on"
    )
    # Mentions inside embeds never notify; the one meant to ping goes in the content.
    assert sent["content"] == "<@1100000000000000302>"
    assert sent["allowed_mentions"] == {"parse": [], "users": [1100000000000000302]}


def test_channels_show_as_links_that_ping_nobody() -> None:
    channel = "1100000000000000201"
    message = Message(
        title="",
        body=text("Summaries go to ", ChannelLink(channel), "."),
        fields=(Field("Channel for announcements", text(ChannelLink(channel))),),
        footer=text("Set in ", ChannelLink(channel)),
    )

    sent = payload(message)
    (embed,) = sent["embeds"]

    # In embeds a channel mention links to the channel; it notifies nobody.
    assert embed["description"] == f"Summaries go to <#{channel}>."
    assert embed["fields"][0]["value"] == f"<#{channel}>"
    # Footers show text literally: the channel is written out.
    assert embed["footer"]["text"] == f"Set in #{channel}"
    assert sent["content"] is None
    assert sent["allowed_mentions"] == {"parse": []}
    # Something that isn't a Discord channel id is shown as text, never as mention syntax.
    odd = payload(Message(body=text(ChannelLink("<@&1100000000000000999> @here"))))
    assert odd["embeds"][0]["description"] == "#<\u200b@&1100000000000000999> @\u200bhere"


def test_a_channel_link_is_never_split_across_fields() -> None:
    link = ChannelLink("1100000000000000201")
    long = text(*(part for _ in range(200) for part in ("words ", link, " ")))

    sent = payload(Message(fields=(Field("Where", long, inline=False),)))

    check_embeds(sent)
    values = [f["value"] for e in sent["embeds"] for f in e.get("fields", [])]
    assert len(values) > 1
    for value in values:
        assert re.sub(r"<#\d+>", "", value).count("#") == 0  # every link whole


def test_times_show_in_each_readers_zone() -> None:
    message = Message(
        title="Week opens",
        body=text(
            "Open until ",
            Timestamp(AT),
            ", on ",
            Timestamp(AT, "date"),
            " at ",
            Timestamp(AT, "time"),
            ", ",
            Timestamp(AT, "relative"),
        ),
        footer=text("Completed ", Timestamp(AT, "date")),
    )

    sent = payload(message)

    assert sent["embeds"][0]["description"] == (
        f"Open until <t:{EPOCH}:F> (<t:{EPOCH}:R>), on <t:{EPOCH}:D> at <t:{EPOCH}:t>, "
        f"<t:{EPOCH}:R>"
    )
    # Footers show text literally, so times there are written out in UTC.
    assert sent["embeds"][0]["footer"]["text"] == "Completed Mon 07 Dec 2026"


def test_tone_colours_and_buttons() -> None:
    message = Message(
        title="Check in",
        buttons=(Button("Check in", "checkin.open:12:3"), Button("x" * 90, "checkin.skip:12:3")),
        tone=Tone.SUCCESS,
    )

    rendered = render(message, "1100000000000000100")

    assert rendered.embeds[0].colour is not None
    assert rendered.embeds[0].colour.value == 0x57F287
    assert [b.custom_id for b in rendered.buttons] == [
        "cf:1100000000000000100:checkin.open:12:3",
        "cf:1100000000000000100:checkin.skip:12:3",
    ]
    assert len(rendered.buttons[1].label) == 80
    assert rendered.buttons[1].label.endswith("\u2026")


def test_custom_ids_round_trip_and_stay_within_100_characters() -> None:
    assert parse("cf:81:checkin.open:12:3") == ButtonId("81", "checkin.open:12:3")
    assert parse("cfo:81:2:cmd:sprint.start") == StepId("81", 2, "cmd:sprint.start", opens=True)
    assert parse("cfm:81:1:cmd:checkin.submit") == StepId("81", 1, "cmd:checkin.submit", False)
    assert parse("someone-else:button") is None
    assert button_id("1" * 19, "a" * 80) is None
    assert (
        open_step_id("1" * 19, 1, "cmd:sprint.start")
        == "cfo:1111111111111111111:1:cmd:sprint.start"
    )
    assert modal_id("1", 1, "f" * 100) is None


def test_long_forms_are_split_into_modal_sized_steps() -> None:
    fields = tuple(FormField(f"f{n}", f"Field {n}", False) for n in range(12))
    form = Form("cmd:x", "Twelve", fields)

    assert [len(s) for s in steps(form)] == [5, 5, 2]
    assert steps(Form("cmd:y", "Empty", ())) == [()]


@pytest.mark.parametrize("shape", ["action_row", "label"])
def test_both_modal_submission_shapes_are_read(shape: str) -> None:
    def wrap(component: dict[str, Any]) -> dict[str, Any]:
        if shape == "label":
            return {"type": 18, "id": 1, "component": component}
        return {"type": 1, "id": 1, "components": [component]}

    data = {
        "custom_id": "cfm:1:1:cmd:checkin.submit",
        "components": [
            wrap({"type": 4, "id": 2, "custom_id": "progress", "value": "Mixed it"}),
            wrap({"type": 4, "id": 3, "custom_id": "blockers", "value": ""}),
            wrap({"type": 3, "id": 4, "custom_id": "kind", "values": ["workshop"]}),
        ],
    }

    assert submitted_values(data) == {"progress": "Mixed it", "blockers": "", "kind": "workshop"}


@pytest.mark.asyncio
async def test_a_form_step_becomes_a_modal_with_labels_prefilled() -> None:
    fields = (
        FormField("progress", "What moved forward?", True, FieldStyle.PARAGRAPH, 1000),
        FormField("kind", "Kind", True, choices=(("workshop", "Workshop"), ("other", "Other"))),
        FormField("hours", "Hours spent", False, hint="0–168"),
    )
    form = Form("cmd:checkin.submit", "A check-in with a rather long title indeed", fields)

    modal = build_modal(form, 1, "81", {"progress": "Mixed it", "kind": "other"})

    assert modal is not None
    data = modal.to_dict()
    assert data["custom_id"] == "cfm:81:1:cmd:checkin.submit"
    assert len(data["title"]) <= 45
    progress, kind, hours = data["components"]
    assert [c["type"] for c in data["components"]] == [18, 18, 18]
    assert progress["component"]["style"] == 2  # paragraph
    assert progress["component"]["value"] == "Mixed it"
    assert progress["component"]["max_length"] == 1000
    assert [o.get("default", False) for o in kind["component"]["options"]] == [False, True]
    assert hours["description"] == "0–168"
    assert hours["component"]["required"] is False


def test_a_relative_time_the_core_adds_is_not_shown_twice() -> None:
    # The core writes "<time> (<relative>)" for every platform; Discord's full time has both.
    message = Message(
        title="Clinic",
        body=text("When: ", Timestamp(AT), " (", Timestamp(AT, "relative"), ") in Studio A"),
    )

    sent = payload(message)

    assert sent["embeds"][0]["description"] == (f"When: <t:{EPOCH}:F> (<t:{EPOCH}:R>) in Studio A")
