"""Forms derived from commands: a command's options become fields with the same rules."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode

from bot.commands.registry import Command, Option, OptionType
from bot.messages import FieldStyle, Form, FormField

FORM_PREFIX = "cmd:"


def form_id(command: Command, fixed: Mapping[str, str] | None = None) -> str:
    """The id a form carries so its submission reaches its command (with any fixed options)."""
    base = f"{FORM_PREFIX}{command.key}"
    return f"{base}?{urlencode(dict(fixed))}" if fixed else base


def split_form_id(form_id: str) -> tuple[str, dict[str, str]]:
    """A form id's command key and the option values it fixes (none for most forms)."""
    key, _, query = form_id.removeprefix(FORM_PREFIX).partition("?")
    return key, dict(parse_qsl(query))


def _hint(opt: Option) -> str:
    if opt.type in (OptionType.INTEGER, OptionType.NUMBER) and opt.min_value is not None:
        return f"{opt.min_value}–{opt.max_value}" if opt.max_value is not None else ""
    if opt.max_length:
        return f"up to {opt.max_length} characters"
    return ""


def _shown(value: object) -> str:
    """A prefilled value as it would be typed: 6 hours, not 6.0."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def field_for(opt: Option, value: object = None) -> FormField:
    """The form field for one option."""
    choices: tuple[tuple[str, str], ...] = tuple((c.value, c.label) for c in opt.choices)
    if opt.type is OptionType.BOOLEAN:
        choices = (("yes", "Yes"), ("no", "No"))
    return FormField(
        name=opt.name,
        label=opt.title,
        required=opt.required,
        style=FieldStyle.PARAGRAPH if opt.paragraph else FieldStyle.SHORT,
        max_length=opt.max_length,
        placeholder=opt.placeholder,
        value=_shown(value),
        choices=choices,
        hint=f"{_hint(opt)}; none clears it" if opt.clearable and value else _hint(opt),
    )


def form_for(command: Command, prefill: Mapping[str, object]) -> Form:
    """A form asking for a command's options, prefilled with what is already known."""
    return Form(
        form_id=form_id(command),
        title=command.form_title or command.description,
        fields=tuple(
            field_for(o, prefill.get(o.name))
            for o in command.options
            if o.type is not OptionType.MEMBER
        ),
        submit_label="Save",
    )


def fixed_form(command: Command, fixed: Mapping[str, str]) -> Form:
    """A form for a command whose ``fixed`` options are known already (a button's lead): it asks
    only the others, and its submission carries the fixed values in its id."""
    asked = form_for(command, {})
    return Form(
        form_id=form_id(command, fixed),
        title=asked.title,
        fields=tuple(f for f in asked.fields if f.name not in fixed),
        submit_label=asked.submit_label,
    )
