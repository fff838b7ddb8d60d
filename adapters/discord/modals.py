"""The core's forms as Discord modals: five inputs a modal, longer forms in steps.

A modal's custom_id names its form and step (see custom_ids). Between steps, and after a
rejected submission, the answers so far wait in the core's drafts (bot/drafts.py: the store,
an hour) so the next step or the "fix" modal can be prefilled, by whichever process gets it.
Submissions are read from the raw interaction data, in the older shape (action rows holding
text inputs) and the newer one (label components).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import discord

from adapters.discord.custom_ids import modal_id
from adapters.discord.embeds import clip
from bot.drafts import Draft
from bot.messages import FieldStyle, Form, FormField, Message, Tone, text

# Discord limits (Component Reference: Modal, Label, Text Input, String Select): at most 5
# components a modal, modal title 45, label 45, label description 100, placeholder 100,
# text value 4,000, select options 25 of 100 characters.
INPUTS = 5
MODAL_TITLE = 45
LABEL = 45
LABEL_DESCRIPTION = 100
PLACEHOLDER = 100
TEXT_VALUE = 4000
OPTIONS = 25
OPTION = 100


def steps(form: Form) -> list[tuple[FormField, ...]]:
    """The form's fields in modal-sized steps."""
    fields = form.fields
    return [fields[i : i + INPUTS] for i in range(0, len(fields), INPUTS)] or [()]


def step_of(form: Form, name: str) -> int:
    """The step (from 1) holding a field."""
    for number, fields in enumerate(steps(form), start=1):
        if any(f.name == name for f in fields):
            return number
    return 1


def _input(field: FormField, value: str) -> discord.ui.Item[discord.ui.Modal]:
    if field.choices and len(field.choices) <= OPTIONS:
        options = [
            discord.SelectOption(
                label=clip(label, OPTION), value=choice[:OPTION], default=choice == value
            )
            for choice, label in field.choices
        ]
        return discord.ui.Select(
            custom_id=field.name,
            options=options,
            min_values=1 if field.required else 0,
            max_values=1,
            required=field.required,
            placeholder=clip(field.placeholder, PLACEHOLDER) or None,
        )
    limit = min(field.max_length or TEXT_VALUE, TEXT_VALUE)
    return discord.ui.TextInput(
        custom_id=field.name,
        style=discord.TextStyle.paragraph
        if field.style is FieldStyle.PARAGRAPH
        else discord.TextStyle.short,
        placeholder=clip(field.placeholder, PLACEHOLDER) or None,
        default=value[:limit] or None,
        required=field.required,
        max_length=limit,
    )


def build_modal(
    form: Form, step: int, community: str, values: Mapping[str, str]
) -> discord.ui.Modal | None:
    """One step of a form as a modal, prefilled; None if the form's id is too long to carry."""
    parts = steps(form)
    step = min(max(step, 1), len(parts))
    custom_id = modal_id(community, step, form.form_id)
    if custom_id is None:
        return None
    suffix = f" ({step}/{len(parts)})" if len(parts) > 1 else ""
    title = clip(form.title or "Form", MODAL_TITLE - len(suffix)) + suffix
    modal = discord.ui.Modal(title=title, custom_id=custom_id, timeout=None)
    for field in parts[step - 1]:
        modal.add_item(
            discord.ui.Label(
                text=clip(field.label, LABEL),
                description=clip(field.hint, LABEL_DESCRIPTION) or None,
                component=_input(field, values.get(field.name, field.value)),
            )
        )
    # Stopped, so discord.py keeps nothing: the submission is routed by its custom_id.
    modal.stop()
    return modal


def submitted_values(data: Mapping[str, Any]) -> dict[str, str]:
    """A modal submission's values by input id, from action rows or from labels."""
    values: dict[str, str] = {}

    def walk(component: Mapping[str, Any]) -> None:
        custom_id = component.get("custom_id")
        if isinstance(custom_id, str):
            if "value" in component:
                values[custom_id] = str(component.get("value") or "")
            elif "values" in component:
                chosen = component.get("values") or []
                values[custom_id] = str(chosen[0]) if chosen else ""
        for child in component.get("components") or []:
            if isinstance(child, Mapping):
                walk(child)
        inner = component.get("component")
        if isinstance(inner, Mapping):
            walk(inner)

    for component in data.get("components") or []:
        if isinstance(component, Mapping):
            walk(component)
    return values


# What the form steps tell a member, kept short and alike: each says whether anything was saved.


def problems_message(problems: Mapping[str, str]) -> Message:
    """What to fix, field by field (a modal can't show errors beside its inputs)."""
    # The core's messages already name their field.
    lines = [f"\u2022 {problem}" for problem in problems.values()]
    return Message(
        title="Please check your answers",
        body=text("\n".join(lines), "\n\nNothing was saved yet; your answers are kept."),
        tone=Tone.ERROR,
    )


def step_done_message(form: Form, step: int) -> Message:
    """Between steps of a long form."""
    total = len(steps(form))
    return Message(
        title=f"{form.title}: step {step} of {total} done",
        body=text("Nothing is saved until the last step."),
    )


def start_again_message(form: Form) -> Message:
    """A later step whose earlier answers are gone (an hour went by, or the form was sent)."""
    return Message(
        title=f"{form.title}: please start again",
        body=text(
            "I no longer have your earlier answers (a form waits an hour between steps). "
            "Nothing was saved."
        ),
        tone=Tone.WARNING,
    )


def missing(draft: Draft, before: int) -> Sequence[FormField]:
    """Required fields of steps before ``before`` with no answer (the draft was lost)."""
    earlier = [f for part in steps(draft.form)[: before - 1] for f in part]
    return [f for f in earlier if f.required and not draft.values.get(f.name, "").strip()]
