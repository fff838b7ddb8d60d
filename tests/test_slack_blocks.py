"""Message → Block Kit, Form → modal, Slack text → core text: what a reader would see."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from adapters.cli import main
from adapters.slack.blocks import fallback_text, home_view, message_blocks
from adapters.slack.manifest import BOT_SCOPES, manifest
from adapters.slack.modals import field_errors, form_view, submitted_values
from adapters.slack.requests import Origin, command_line, dump_meta, load_meta
from bot.app import build_registry
from bot.forms import form_for
from bot.messages import (
    Button,
    ChannelLink,
    Field,
    Form,
    FormField,
    Mention,
    Message,
    Timestamp,
    text,
)
from tests.slack_stack import buttons_of, check_blocks, check_view, texts_of

NOON = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _mrkdwn(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for block in blocks:
        if isinstance(block.get("text"), dict) and block["text"]["type"] == "mrkdwn":
            found.append(block["text"])
        found += [f for f in block.get("fields", []) if f["type"] == "mrkdwn"]
        if block["type"] == "context":
            found += [e for e in block["elements"] if e["type"] == "mrkdwn"]
    return found


def test_times_become_date_tokens_each_reader_sees_in_their_zone() -> None:
    blocks = message_blocks(
        Message(
            body=text("Opens ", Timestamp(NOON), ", on ", Timestamp(NOON, "date")),
            fields=(Field("Ago", text(Timestamp(NOON, "relative"))),),
        )
    )
    shown = texts_of(blocks)
    epoch = int(NOON.timestamp())
    assert f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|Mon 07 Dec 2026 12:00 UTC>" in shown
    assert f"<!date^{epoch}^{{date_short_pretty}}|Mon 07 Dec 2026>" in shown
    assert f"<!date^{epoch}^{{ago}}|" in shown
    check_blocks(blocks, max_blocks=50)


def test_mentions_ping_only_when_the_core_asks() -> None:
    shown = texts_of(
        message_blocks(
            Message(body=text(Mention("U0ALICE", "Alice", ping=True), Mention("U0BOB", "Bob")))
        )
    )
    assert "<@U0ALICE>" in shown
    assert "Bob" in shown
    assert "<@U0BOB>" not in shown


def test_channels_become_links_that_notify_nobody() -> None:
    message = Message(
        body=text("Summaries go to ", ChannelLink("C0CHECKINS"), "."),
        fields=(Field("Private", text(ChannelLink("G0SECRET"))),),
    )
    blocks = message_blocks(message)
    shown = texts_of(blocks)
    assert "Summaries go to <#C0CHECKINS>." in shown
    assert "<#G0SECRET>" in shown
    assert "<#C0CHECKINS>" in fallback_text(message)  # the notification names it too
    check_blocks(blocks, max_blocks=50)

    # An id that isn't a Slack channel's is shown as text, never as markup.
    odd = texts_of(message_blocks(Message(body=text(ChannelLink("C1>|<!channel")))))
    assert odd == "#C1&gt;|&lt;!channel"


@pytest.mark.parametrize(
    "hostile",
    ["<!channel>", "<!here|here>", "<!everyone>", "<!subteam^S123|@team>", "<@U0BOSS>", "&<>"],
)
def test_user_text_is_escaped_everywhere(hostile: str) -> None:
    message = Message(
        title=hostile,
        body=text(f"body {hostile}"),
        fields=(Field(f"name {hostile}", text(f"value {hostile}")),),
        footer=text(f"footer {hostile}"),
        buttons=(Button(f"label {hostile}", "checkin.open:1"),),
    )
    blocks = message_blocks(message)
    check_blocks(blocks, max_blocks=50)  # also: no <!channel>/<!here>/… in any mrkdwn
    mrkdwn = [t["text"] for t in _mrkdwn(blocks)]
    assert len(mrkdwn) == 3  # body, field and footer: escaped, not dropped
    assert all("&lt;" in t or "&amp;" in t for t in mrkdwn)
    assert not any("<@U0BOSS>" in t for t in mrkdwn)
    # Header and button labels are plain_text, which Slack never parses for mentions.
    assert blocks[0]["text"]["type"] == "plain_text"
    assert "<" not in fallback_text(message).replace("&lt;", "")


def test_long_text_is_split_into_sections_and_kept_whole() -> None:
    words = " ".join(f"word{n}" for n in range(1500))  # about 12,000 characters
    blocks = message_blocks(Message(title="Long", body=text(words)))
    check_blocks(blocks, max_blocks=50)
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(sections) >= 4
    assert " ".join(sections).split() == words.split()


def test_too_much_content_is_shortened_visibly_and_buttons_stay() -> None:
    fields = tuple(Field(f"Entry {n}", text("x" * 2500), inline=False) for n in range(80))
    message = Message(
        title="T" * 400,
        fields=fields,
        footer=text("footer"),
        buttons=(Button("A very long button label " * 5, "checkin.open:1"),),
    )
    blocks = message_blocks(message)
    check_blocks(blocks, max_blocks=50)
    assert len(blocks) == 50
    assert blocks[0]["text"]["text"].endswith("…")
    assert len(blocks[0]["text"]["text"]) == 150
    assert "Shortened to fit Slack" in blocks[-3]["elements"][0]["text"]
    assert blocks[-1]["type"] == "actions"
    label = blocks[-1]["elements"][0]["text"]["text"]
    assert len(label) == 75
    assert label.endswith("…")
    assert buttons_of(blocks)[label] == "checkin.open:1"


def test_many_short_fields_sit_ten_to_a_section() -> None:
    fields = tuple(Field(f"F{n}", text(str(n))) for n in range(23))
    blocks = message_blocks(Message(title="Grid", fields=fields))
    check_blocks(blocks, max_blocks=50)
    assert [len(b["fields"]) for b in blocks if "fields" in b] == [10, 10, 3]


def test_home_view_allows_a_hundred_blocks() -> None:
    fields = tuple(Field(f"E{n}", text("y" * 2500), inline=False) for n in range(80))
    view = home_view(Message(title="Home", fields=fields))
    check_view(view)
    assert len(view["blocks"]) == 81


def test_a_command_form_becomes_a_valid_modal() -> None:
    registry = build_registry()
    command = registry.get("sprint.start")
    assert command is not None
    form = form_for(command, {"goal": "Prefilled goal", "deliverable": "workshop"})
    origin = Origin("T1", "U1", "u1", channel_id="C1", response_url="https://r.example/1")
    view = form_view(form, metadata=dump_meta(form.form_id, origin))
    check_view(view)
    inputs = {b["block_id"]: b for b in view["blocks"]}
    assert inputs["goal"]["element"]["initial_value"] == "Prefilled goal"
    assert inputs["goal"]["element"]["max_length"] == 200
    assert inputs["deliverable"]["element"]["initial_option"]["value"] == "workshop"
    assert inputs["deliverable-note"]["label"]["text"] == "Deliverable in one sentence"
    meta = load_meta(view["private_metadata"])
    assert meta is not None
    assert meta.form_id == form.form_id
    assert (meta.channel_id, meta.response_url) == ("C1", "https://r.example/1")


def test_every_command_form_is_a_valid_modal() -> None:
    origin = Origin("T1", "U1", "u1")
    for command in build_registry():
        view = form_view(form_for(command, {}), metadata=dump_meta("cmd:x", origin))
        if view["blocks"]:
            check_view(view)


def test_modal_titles_are_shortened_to_slacks_24_characters() -> None:
    form = Form("cmd:x", "Check in for this week: progress", (FormField("a", "A", True),))
    view = form_view(form, metadata="{}")
    check_view(view)
    assert view["title"]["text"] == "Check in for this week:…"


def test_submitted_values_and_errors_map_to_fields() -> None:
    view = {
        "blocks": [
            {"type": "input", "block_id": "progress"},
            {"type": "input", "block_id": "confidence"},
        ],
        "state": {
            "values": {
                "progress": {"value": {"type": "plain_text_input", "value": "Did it"}},
                "confidence": {
                    "value": {"type": "static_select", "selected_option": {"value": "4"}}
                },
                "hours": {"value": {"type": "plain_text_input", "value": None}},
            }
        },
    }
    assert submitted_values(view) == {"progress": "Did it", "confidence": "4"}
    assert field_errors(view, {"confidence": "Pick 1 to 5", "member": "Unknown"}) == {
        "confidence": "Pick 1 to 5",
        "progress": "member: Unknown",
    }


def test_slack_escaping_is_undone_for_the_core() -> None:
    line = command_line(
        "/sprint",
        'start goal:"Mix &amp; master &lt;fast&gt;" '
        "note:<https://a.example/x?y=1&amp;z=2|a.example> "
        "who:<@U0BOB|bob> in:<#C0NEWS|news> <!here> <!subteam^S1|@crew>",
    )
    assert line == (
        '/sprint start goal:"Mix & master <fast>" note:https://a.example/x?y=1&z=2 '
        "who:<@U0BOB> in:#news @here @crew"
    )


def test_manifest_has_every_command_and_only_used_scopes() -> None:
    registry = build_registry()
    data = manifest(registry)
    commands = {c["command"]: c for c in data["features"]["slash_commands"]}
    assert list(commands) == [f"/{name}" for name in registry.top_level()]
    assert commands["/sprint"]["usage_hint"].startswith("[start|status|edit|complete|abandon]")
    assert all(c["should_escape"] and c["description"] for c in commands.values())
    assert data["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)
    assert data["settings"]["socket_mode_enabled"] is True
    assert data["settings"]["interactivity"]["is_enabled"] is True
    # Issue 11: a distributed app hears when a workspace uninstalls it or revokes its token.
    assert data["settings"]["event_subscriptions"]["bot_events"] == [
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    ]
    assert "redirect_urls" not in data["oauth_config"]
    assert data["features"]["app_home"]["home_tab_enabled"] is True

    http = manifest(registry, request_url="https://bot.example/slack/events")
    assert http["settings"]["socket_mode_enabled"] is False
    assert {c["url"] for c in http["features"]["slash_commands"]} == {
        "https://bot.example/slack/events"
    }


def test_cli_prints_the_manifest_as_yaml(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slack-manifest"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["display_information"]["name"] == "Crossfade"
    assert "/checkin" in [c["command"] for c in printed["features"]["slash_commands"]]


def test_the_manifest_carries_the_oauth_redirect_url_from_crossfade_public_url(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSFADE_PUBLIC_URL", "https://crossfade.example.org/")
    assert (
        main(["slack-manifest", "--request-url", "https://crossfade.example.org/slack/events"]) == 0
    )
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["oauth_config"]["redirect_urls"] == [
        "https://crossfade.example.org/slack/oauth_redirect"
    ]
    assert printed["settings"]["socket_mode_enabled"] is False

    monkeypatch.setenv("CROSSFADE_PUBLIC_URL", "crossfade.example.org")
    assert main(["slack-manifest"]) == 2
    assert "CROSSFADE_PUBLIC_URL" in capsys.readouterr().out
