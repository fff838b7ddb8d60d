"""The platform-neutral message model: what handlers return and adapters render.

Text is a tuple of parts. A plain ``str`` part is always literal user-safe text that
adapters escape; a ``Timestamp`` is shown in each reader's own time zone; a ``Mention``
names a member and pings them only when the core asks for it. A message may carry
``Attachment``s (a calendar file, an image): named files every platform delivers with it,
and ``tags``: labels a Discord forum applies as its post's tags and other platforms show as text.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
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


# What one message may carry: every platform takes this much (Discord 10 files, Slack's
# external upload 1 GB), and an outbox row holds it as base64 in its JSON payload.
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 1024 * 1024
MAX_FILENAME = 100
# type/subtype with optional parameters (RFC 6838 names), e.g. "text/calendar; charset=utf-8".
_TOKEN = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*"
_MEDIA_TYPE = re.compile(rf"{_TOKEN}/{_TOKEN}(\s*;\s*{_TOKEN}=[^;\s]+)*")


class AttachmentError(ValueError):
    """An attachment the core refuses to carry: too big, too many, or a name that isn't safe."""


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:.1f} MiB" if count >= 1024 * 1024 else f"{count:,} bytes"


def _filename_problem(name: str) -> str | None:
    """Why a name can't be a file name on every platform and on disk, or None."""
    if not name.strip():
        return "is empty"
    if len(name) > MAX_FILENAME:
        return f"is {len(name)} characters long; at most {MAX_FILENAME} are allowed"
    if "/" in name or "\\" in name:
        return "contains a path separator (/ or \\); give a plain file name"
    if not name.isprintable():
        return "contains a control or unprintable character"
    if name != name.strip():
        return "starts or ends with a space"
    if name.startswith("."):
        return "starts with a dot (a hidden file, or . and ..)"
    return None


@dataclass(frozen=True)
class Attachment:
    """A file a message carries: a safe file name, its media type and its bytes."""

    filename: str
    media_type: str
    data: bytes = field(repr=False)

    def __post_init__(self) -> None:
        problem = _filename_problem(self.filename)
        if problem is not None:
            raise AttachmentError(f"The attachment name {self.filename!r} {problem}.")
        if not _MEDIA_TYPE.fullmatch(self.media_type):
            raise AttachmentError(
                f"{self.filename}: {self.media_type!r} is not a media type such as text/calendar."
            )
        if isinstance(self.data, bytearray | memoryview):
            object.__setattr__(self, "data", bytes(self.data))
        if not isinstance(self.data, bytes):
            raise AttachmentError(f"{self.filename}: the data must be bytes.")
        if len(self.data) > MAX_ATTACHMENT_BYTES:
            raise AttachmentError(
                f"{self.filename} is {_size(len(self.data))}; a file may be at most "
                f"{_size(MAX_ATTACHMENT_BYTES)}."
            )

    def to_dict(self) -> dict[str, str]:
        """Serialise for the outbox (the bytes as base64)."""
        return {
            "filename": self.filename,
            "media_type": self.media_type,
            "data": base64.b64encode(self.data).decode("ascii"),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Attachment:
        """Rebuild an attachment saved by ``to_dict``."""
        try:
            raw = base64.b64decode(str(data["data"]), validate=True)
        except binascii.Error as exc:
            raise AttachmentError(f"{data.get('filename')}: the saved data is not base64.") from exc
        return cls(str(data["filename"]), str(data["media_type"]), raw)


@dataclass(frozen=True)
class Message:
    """Something the bot says: a card with a title, body, fields, footer and buttons.

    ``attachments`` are files that go with it (at most ``MAX_ATTACHMENTS``, together at most
    ``MAX_ATTACHMENT_BYTES``); an edit changes a message's words and buttons, never its files.
    ``tags`` label the post (skills, topics): literal user text, trimmed, blank ones dropped.
    """

    title: str = ""
    body: Text = ()
    fields: tuple[Field, ...] = ()
    footer: Text = ()
    buttons: tuple[Button, ...] = ()
    tone: Tone = Tone.INFO
    attachments: tuple[Attachment, ...] = ()
    # Labels for the post (a lead's skills): a Discord forum applies them as its tags, other
    # places show them as plain text.
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "tags", _checked_tags(self.tags))
        if not isinstance(self.attachments, tuple):
            object.__setattr__(self, "attachments", tuple(self.attachments))
        if len(self.attachments) > MAX_ATTACHMENTS:
            raise AttachmentError(
                f"A message may carry at most {MAX_ATTACHMENTS} files, not {len(self.attachments)}."
            )
        total = sum(len(a.data) for a in self.attachments)
        if total > MAX_ATTACHMENT_BYTES:
            raise AttachmentError(
                f"A message may carry at most {_size(MAX_ATTACHMENT_BYTES)} of files; these "
                f"come to {_size(total)}."
            )

    def to_dict(self) -> dict[str, Any]:
        """Serialise for the outbox."""
        saved: dict[str, Any] = {
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
        if self.attachments:
            # Only when there are files, so every other payload stays as it was.
            saved["attachments"] = [a.to_dict() for a in self.attachments]
        if self.tags:
            saved["tags"] = list(self.tags)
        return saved

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
            attachments=tuple(Attachment.from_dict(a) for a in data.get("attachments", [])),
            tags=tuple(str(t) for t in data.get("tags", [])),
        )


def _checked_tags(tags: object) -> tuple[str, ...]:
    """Tags as a tuple of trimmed strings; blank ones are no tags and are dropped."""
    if isinstance(tags, str) or not isinstance(tags, tuple | list):
        raise TypeError("Message.tags must be a tuple of strings")
    out: list[str] = []
    for tag in tags:
        if not isinstance(tag, str):
            raise TypeError(f"a message tag must be a str, not {type(tag).__name__}")
        trimmed = " ".join(tag.split())
        if trimmed:
            out.append(trimmed)
    return tuple(out)


TAG_SEPARATOR = " \u00b7 "


def tag_line(tags: tuple[str, ...]) -> str:
    """Tags as one line of plain text ("spatial mixing · live sound")."""
    return TAG_SEPARATOR.join(tags)


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
