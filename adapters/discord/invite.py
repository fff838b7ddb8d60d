"""The link that adds Crossfade to a Discord server, asking only for the permissions it uses."""

from __future__ import annotations

import base64
import binascii

import discord

from bot.errors import StartupError

# In the channels an admin picks, the bot sees the channel, posts embeds (with files, such as
# a calendar), and reads its own recent posts back after a crash (to avoid posting twice).
# Commands, buttons and DMs need no permission of their own. Sessions are mirrored as
# scheduled events: Create Events lets the bot create, edit and cancel its own, and Discord
# also wants Connect on a voice channel an event is held in. (Manage Events would touch other
# people's events; the bot never does.)
PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    create_events=True,
    connect=True,
)
SCOPES = ("bot", "applications.commands")


def client_id_from_token(token: str) -> int | None:
    """The application id a bot token starts with (its first part is the id in base64)."""
    head = token.strip().split(".", 1)[0]
    try:
        decoded = base64.b64decode(head + "=" * (-len(head) % 4), altchars=b"-_", validate=True)
        text = decoded.decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def invite_url(client_id: int) -> str:
    """The OAuth2 URL adding the bot with its permissions and slash commands."""
    return discord.utils.oauth_url(client_id, permissions=PERMISSIONS, scopes=SCOPES)


def invite_url_for(token: str | None, client_id: str | None) -> str:
    """The invite URL from DISCORD_CLIENT_ID, or else from the bot token."""
    if client_id and client_id.strip():
        if not client_id.strip().isdigit():
            raise StartupError("DISCORD_CLIENT_ID must be the application's numeric id.")
        return invite_url(int(client_id.strip()))
    found = client_id_from_token(token) if token else None
    if found is None:
        raise StartupError(
            "Set DISCORD_CLIENT_ID (Developer Portal, General Information, Application ID) "
            "or DISCORD_TOKEN to print the invite link."
        )
    return invite_url(found)
