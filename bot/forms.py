"""Forms derived from commands: a command's options become fields with the same rules."""

from __future__ import annotations

from collections.abc import Mapping

from bot.commands.registry import Command, Option, OptionType
from bot.messages import FieldStyle, Form, FormField

FORM_PREFIX = "cmd:"


def form_id(command: Command) -> str:
    """The id a form carries so its submission reaches its command."""
    return f"{FORM_PREFIX}{command.key}"


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
