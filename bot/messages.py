"""The platform-neutral message model: what handlers return and adapters render.

Text is a tuple of parts. A plain ``str`` part is always literal user-safe text that
adapters escape; a ``Timestamp`` is shown in each reader's own time zone; a ``Mention``
names a member and pings them only when the core asks for it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

TimestampStyle = Literal["datetime", "date", "time", "relative"]


@dataclass(frozen=True)
class Timestamp:
    """A moment each reader sees in their own time zone."""

    at: datetime
    style: TimestampStyle = "datetime"

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("Timestamp needs an aware datetime")


@dataclass(frozen=True)
class Mention:
    """A member named in a message; ``ping`` is set only where the core means to notify them."""

    user_id: str
    name: str
    ping: bool = False


@dataclass(frozen=True)
class ChannelLink:
    """A community channel, shown as a link to it (never a ping)."""

    channel_id: str


Part = str | Timestamp | Mention | ChannelLink
Text = tuple[Part, ...]


def text(*parts: Part | None) -> Text:
    """Build rich text from parts, dropping ``None`` and empty strings."""
    return tuple(p for p in parts if p is not None and p != "")


def utc_text(stamp: Timestamp) -> str:
    """A moment as readable UTC text, where a platform can't show the reader's own zone."""
    at = stamp.at.astimezone(UTC)
    if stamp.style == "date":
        return at.strftime("%a %d %b %Y")
    if stamp.style == "time":
        return at.strftime("%H:%M UTC")
    return at.strftime("%a %d %b %Y %H:%M UTC")


def plain(value: Text) -> str:
    """Flatten rich text to plain UTC text (for logs and fallbacks)."""
    out: list[str] = []
    for part in value:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Timestamp):
            out.append(part.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"))
        elif isinstance(part, ChannelLink):
            out.append(f"#{part.channel_id}")
        else:
            out.append(f"@{part.name}")
    return "".join(out)


class Tone(enum.Enum):
    """The mood of a message; adapters map it to a colour or an emoji."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


class ButtonStyle(enum.Enum):
    """How prominent a button is."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    DANGER = "danger"


@dataclass(frozen=True)
class Button:
    """An action button; ``action`` is the id the core gets back when it is pressed."""

    label: str
    action: str
    style: ButtonStyle = ButtonStyle.PRIMARY


@dataclass(frozen=True)
class Field:
    """A labelled value inside a message."""

    name: str
    value: Text
    inline: bool = True


@dataclass(frozen=True)
class Message:
    """Something the bot says: a card with a title, body, fields, footer and buttons."""

    title: str = ""
    body: Text = ()
    fields: tuple[Field, ...] = ()
    footer: Text = ()
    buttons: tuple[Button, ...] = ()
    tone: Tone = Tone.INFO

    def to_dict(self) -> dict[str, Any]:
        """Serialise for the outbox."""
        return {
            "title": self.title,
            "body": _text_to_json(self.body),
            "fields": [
                {"name": f.name, "value": _text_to_json(f.value), "inline": f.inline}
                for f in self.fields
            ],
            "footer": _text_to_json(self.footer),
            "buttons": [
                {"label": b.label, "action": b.action, "style": b.style.value} for b in self.buttons
            ],
            "tone": self.tone.value,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        """Rebuild a message saved by ``to_dict``."""
        return cls(
            title=str(data.get("title", "")),
            body=_text_from_json(data.get("body", [])),
            fields=tuple(
                Field(str(f["name"]), _text_from_json(f["value"]), bool(f.get("inline", True)))
                for f in data.get("fields", [])
            ),
            footer=_text_from_json(data.get("footer", [])),
            buttons=tuple(
                Button(str(b["label"]), str(b["action"]), ButtonStyle(b.get("style", "primary")))
                for b in data.get("buttons", [])
            ),
            tone=Tone(data.get("tone", "info")),
        )


def _text_to_json(value: Text) -> list[Any]:
    out: list[Any] = []
    for part in value:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Timestamp):
            out.append({"ts": part.at.astimezone(UTC).isoformat(), "style": part.style})
        elif isinstance(part, ChannelLink):
            out.append({"channel": part.channel_id})
        else:
            out.append({"mention": part.user_id, "name": part.name, "ping": part.ping})
    return out


def _text_from_json(items: Any) -> Text:
    parts: list[Part] = []
    for item in items:
        if isinstance(item, str):
            parts.append(item)
        elif "channel" in item:
            parts.append(ChannelLink(str(item["channel"])))
        elif "ts" in item:
            parts.append(
                Timestamp(datetime.fromisoformat(item["ts"]), item.get("style", "datetime"))
            )
        else:
            parts.append(Mention(str(item["mention"]), str(item["name"]), bool(item["ping"])))
    return tuple(parts)


class FieldStyle(enum.Enum):
    """A form field's input style."""

    SHORT = "short"
    PARAGRAPH = "paragraph"


@dataclass(frozen=True)
class FormField:
    """One input in a form; its rules are the command option's rules."""

    name: str
    label: str
    required: bool
    style: FieldStyle = FieldStyle.SHORT
    max_length: int | None = None
    placeholder: str = ""
    value: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    hint: str = ""


@dataclass(frozen=True)
class Form:
    """A few fields to fill in; ``form_id`` tells the core what to do with the answers."""

    form_id: str
    title: str
    fields: tuple[FormField, ...]
    submit_label: str = "Submit"


@dataclass(frozen=True)
class Response:
    """What the core answers to a command, a button press or a form.

    ``public`` replies are shown to the whole channel, others only to the caller.
    ``form`` asks the adapter to open a form; ``field_errors`` rejects a form
    submission with a message per field; ``replace_source`` replaces the message
    whose button was pressed.
    """

    message: Message | None = None
    public: bool = False
    form: Form | None = None
    field_errors: Mapping[str, str] = field(default_factory=dict)
    replace_source: bool = False
