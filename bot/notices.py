"""The few things the bot says when it can't do what was asked, worded once for every platform."""

from __future__ import annotations

from bot.messages import Message, Tone, text

OOPS = (
    "Something went wrong on my side and nothing was changed. Please try again; "
    "if it keeps happening, tell a community admin."
)
STALE_FORM = "That form is out of date; please start again."
STALE_BUTTON = "That button is out of date; type /help to see what I can do."
OUTSIDE_COMMUNITY = "Please use Crossfade's commands in your server or workspace."
COMMAND_CHANGED = "That command has changed; please try again in a minute."


def notice(words: str, *, tone: Tone = Tone.ERROR) -> Message:
    """A one-line message, as every platform shows errors."""
    return Message(body=text(words), tone=tone)
