"""Reading Slack's request payloads: who asked, where, how to answer, and what they typed."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

# Slack's escaped tokens in slash command text (should_escape: true), see "Formatting text
# for app surfaces: Escaping text": users, channels, special mentions, user groups, links.
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!([a-z]+)(?:\^[^|>]*)?(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")

METADATA_LIMIT = 3000  # a view's private_metadata: max 3000 characters


@dataclass(frozen=True)
class Origin:
    """Where a request came from and how to answer it."""

    team_id: str
    user_id: str
    user_name: str
    team_name: str = ""
    channel_id: str | None = None
    response_url: str | None = None
    trigger_id: str | None = None
    from_home: bool = False


@dataclass(frozen=True)
class FormMeta:
    """What a modal remembers about where it was opened (its private_metadata)."""

    form_id: str
    channel_id: str | None = None
    response_url: str | None = None
    from_home: bool = False


def _team(body: Mapping[str, Any]) -> tuple[str, str]:
    team = body.get("team") or {}
    user = body.get("user") or {}
    team_id = body.get("team_id") or team.get("id") or user.get("team_id") or ""
    return str(team_id), str(body.get("team_domain") or team.get("domain") or "")


def command_origin(body: Mapping[str, Any]) -> Origin:
    """A slash command (form fields as Slack sends them)."""
    team_id, domain = _team(body)
    return Origin(
        team_id=team_id,
        user_id=str(body.get("user_id", "")),
        user_name=str(body.get("user_name", "")),
        team_name=domain,
        channel_id=body.get("channel_id") or None,
        response_url=body.get("response_url") or None,
        trigger_id=body.get("trigger_id") or None,
    )


def _user(body: Mapping[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    return str(user.get("id", "")), str(user.get("username") or user.get("name") or "")


def action_origin(body: Mapping[str, Any]) -> Origin:
    """A button click in a message (answer by response_url) or in the App Home tab."""
    team_id, domain = _team(body)
    user_id, user_name = _user(body)
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    view = body.get("view") or {}
    return Origin(
        team_id=team_id,
        user_id=user_id,
        user_name=user_name,
        team_name=domain,
        channel_id=channel or None,
        response_url=body.get("response_url") or None,
        trigger_id=body.get("trigger_id") or None,
        from_home=view.get("type") == "home",
    )


def view_origin(body: Mapping[str, Any], meta: FormMeta) -> Origin:
    """A modal submission: the rest of the origin comes from the modal's metadata."""
    team_id, domain = _team(body)
    user_id, user_name = _user(body)
    return Origin(
        team_id=team_id,
        user_id=user_id,
        user_name=user_name,
        team_name=domain,
        channel_id=meta.channel_id,
        response_url=meta.response_url,
        trigger_id=body.get("trigger_id") or None,
        from_home=meta.from_home,
    )


def home_origin(body: Mapping[str, Any], event: Mapping[str, Any]) -> Origin:
    """An app_home_opened event (it carries no name: People finds one, or the cache has it)."""
    team_id, domain = _team(body)
    user = str(event.get("user", ""))
    return Origin(team_id=team_id, user_id=user, user_name="", team_name=domain, from_home=True)


def _special(match: re.Match[str]) -> str:
    label = match.group(2)
    return label if label else f"@{match.group(1)}"


def command_line(command: str, text: str) -> str:
    """The command as the core reads it: Slack's escaping undone, mentions kept as ``<@U…>``."""
    text = _USER.sub(lambda m: f"<@{m.group(1)}>", text)
    text = _CHANNEL.sub(lambda m: f"#{m.group(2) or m.group(1)}", text)
    text = _LINK.sub(lambda m: m.group(1).removeprefix("mailto:"), text)
    text = _SPECIAL.sub(_special, text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return f"{command} {text}".strip()


def dump_meta(form_id: str, origin: Origin) -> str:
    """A modal's private_metadata: the form and where to answer once it is submitted."""
    meta = FormMeta(form_id, origin.channel_id, origin.response_url, origin.from_home)
    encoded = _encode(meta)
    if len(encoded) > METADATA_LIMIT:
        # Without the response_url the answer goes to the channel or DMs instead.
        encoded = _encode(replace(meta, response_url=None))
    return encoded


def _encode(meta: FormMeta) -> str:
    data = {"f": meta.form_id, "c": meta.channel_id, "r": meta.response_url, "h": meta.from_home}
    return json.dumps({k: v for k, v in data.items() if v})


def load_meta(raw: str) -> FormMeta | None:
    """Read a modal's private_metadata; None if it isn't one of ours."""
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("f"), str):
        return None
    return FormMeta(
        form_id=data["f"],
        channel_id=data.get("c") or None,
        response_url=data.get("r") or None,
        from_home=bool(data.get("h")),
    )
