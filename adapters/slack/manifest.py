"""The Slack app manifest, generated from the command registry: one paste creates the app.

Format: Slack's app manifest reference (docs.slack.dev/reference/app-manifest).
"""

from __future__ import annotations

from typing import Any

import yaml

from adapters.slack.mrkdwn import fit
from bot.commands.registry import Registry

APP_NAME = "Crossfade"
DESCRIPTION = "Learning sprints and weekly check-ins for audio professionals."
# Bot scopes, each for the calls that need it.
BOT_SCOPES = (
    "commands",  # slash commands
    "chat:write",  # chat.postMessage, chat.update, chat.postEphemeral
    "im:write",  # conversations.open: a DM's channel id, to look for a post after a crash
    "users:read",  # users.info: display name, admin flag, time zone
    "im:history",  # conversations.history: after a crash, did a DM go out? (its metadata)
    "channels:history",  # ... the same for a public summary/announcements channel
    "groups:history",  # ... and for a private one
    # files.getUploadURLExternal + files.completeUploadExternal: a message's attachments
    "files:write",
)
# The revocation events tell a distributed app a workspace uninstalled it or revoked its token.
BOT_EVENTS = ("app_home_opened", "app_uninstalled", "tokens_revoked")
# Where Slack sends an installer back to, under CROSSFADE_PUBLIC_URL.
REDIRECT_PATH = "/slack/oauth_redirect"
# Slack's built-in commands can't be registered by apps (slack.com/help/articles/201259356).
RESERVED = frozenset(
    {
        "active", "away", "dm", "dnd", "feed", "invite", "leave", "me", "msg", "mute",
        "remind", "search", "shortcuts", "shrug", "status", "topic", "who", "collapse",
        "expand", "join", "open", "pro", "archive",
    }
)  # fmt: skip
DESCRIPTION_TEXT = 100  # a slash command's short description, as Slack's form shows it
USAGE_TEXT = 100


def _usage(registry: Registry, name: str) -> str:
    if name in registry.groups:
        subcommands = "|".join(c.path[1] for c in registry.group_commands(name))
        return f"[{subcommands}] [option:value …]"
    command = registry.get(name)
    return command.usage().removeprefix(f"/{name}").strip() if command else ""


def _description(registry: Registry, name: str) -> str:
    if name in registry.groups:
        return registry.groups[name].description
    command = registry.get(name)
    return command.description if command else name


def slash_commands(registry: Registry, request_url: str | None = None) -> list[dict[str, Any]]:
    """Every top-level command of the registry as a Slack slash command."""
    taken = [n for n in registry.top_level() if n in RESERVED]
    if taken:
        raise ValueError(f"Slack reserves these command names: {', '.join(taken)}")
    commands: list[dict[str, Any]] = []
    for name in registry.top_level():
        entry: dict[str, Any] = {
            "command": f"/{name}",
            "description": fit(_description(registry, name), DESCRIPTION_TEXT, markup=False),
            # Escaped mentions arrive as <@U…>, so member options get real user ids.
            "should_escape": True,
        }
        usage = _usage(registry, name)
        if usage:
            entry["usage_hint"] = fit(usage, USAGE_TEXT, markup=False)
        if request_url:
            entry["url"] = request_url
        commands.append(entry)
    return commands


def manifest(
    registry: Registry, *, request_url: str | None = None, public_url: str | None = None
) -> dict[str, Any]:
    """The app manifest: Socket Mode, or HTTP to ``request_url`` when given; with
    ``public_url`` (CROSSFADE_PUBLIC_URL) the OAuth redirect URL, to distribute it."""
    oauth: dict[str, Any] = {"scopes": {"bot": list(BOT_SCOPES)}}
    if public_url:
        oauth["redirect_urls"] = [public_url.rstrip("/") + REDIRECT_PATH]
    interactivity: dict[str, Any] = {"is_enabled": True}
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    if request_url:
        interactivity["request_url"] = request_url
        events["request_url"] = request_url
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": APP_NAME,
            "description": DESCRIPTION,
            "background_color": "#1d1c1d",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                # Prompts arrive there; answers go through buttons and commands.
                "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": APP_NAME, "always_online": True},
            "slash_commands": slash_commands(registry, request_url),
        },
        "oauth_config": oauth,
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": request_url is None,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(
    registry: Registry, *, request_url: str | None = None, public_url: str | None = None
) -> str:
    """The manifest as YAML, ready to paste into "Create an app → From a manifest"."""
    return yaml.safe_dump(
        manifest(registry, request_url=request_url, public_url=public_url),
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
