"""The core's Form as a Slack modal, and a submitted modal back to field values and errors.

Limits from Slack's references for views (docs.slack.dev/reference/views), the input
block, plain_text_input and static_select elements, and option objects.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.slack.blocks import plain_text
from adapters.slack.mrkdwn import fit
from bot.messages import FieldStyle, Form, FormField

log = logging.getLogger(__name__)

CALLBACK_ID = "crossfade_form"
# Every input's element has this action_id; its block_id is the core's field name.
VALUE_ACTION = "value"

TITLE_TEXT = 24  # view title / submit / close: max 24 characters
LABEL_TEXT = 2000  # input block label and hint: max 2000 characters
PLACEHOLDER_TEXT = 150  # element placeholder: max 150 characters
INPUT_LENGTH = 3000  # plain_text_input max_length: at most 3000
SELECT_OPTIONS = 100  # static_select: at most 100 options
OPTION_TEXT = 75  # option text: max 75 characters
OPTION_VALUE = 150  # option value: max 150 characters
ERROR_TEXT = 500  # response_action errors: keep each message readable under its field
VIEW_BLOCKS = 100  # "100 blocks in modals"


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": plain_text(fit(label, OPTION_TEXT, markup=False)), "value": value}


def _element(field: FormField) -> dict[str, Any]:
    if field.choices:
        options = [_option(v, label) for v, label in field.choices if len(v) <= OPTION_VALUE]
        if len(options) < len(field.choices):
            log.error("form field %s: a choice value is longer than Slack allows", field.name)
        element: dict[str, Any] = {
            "type": "static_select",
            "action_id": VALUE_ACTION,
            "options": options[:SELECT_OPTIONS],
            "placeholder": plain_text("Choose…"),
        }
        chosen = next((o for o in element["options"] if o["value"] == field.value), None)
        if chosen is not None:
            element["initial_option"] = chosen
        return element
    element = {
        "type": "plain_text_input",
        "action_id": VALUE_ACTION,
        "multiline": field.style is FieldStyle.PARAGRAPH,
    }
    limit = min(field.max_length or INPUT_LENGTH, INPUT_LENGTH)
    if field.max_length:
        element["max_length"] = limit
    if field.value:
        # A prefill longer than the input allows would make Slack reject the whole view.
        element["initial_value"] = field.value[:limit]
    if field.placeholder:
        element["placeholder"] = plain_text(fit(field.placeholder, PLACEHOLDER_TEXT, markup=False))
    return element


def _input(field: FormField) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": field.name,
        "optional": not field.required,
        "label": plain_text(fit(field.label, LABEL_TEXT, markup=False)),
        "element": _element(field),
    }
    if field.hint:
        block["hint"] = plain_text(fit(field.hint, LABEL_TEXT, markup=False))
    return block


def form_view(form: Form, *, metadata: str) -> dict[str, Any]:
    """A modal for a form; ``metadata`` (private_metadata) says where it came from."""
    blocks = [_input(f) for f in form.fields[:VIEW_BLOCKS]]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": metadata,
        "title": plain_text(fit(form.title or "Crossfade", TITLE_TEXT, markup=False)),
        "submit": plain_text(fit(form.submit_label or "Submit", TITLE_TEXT, markup=False)),
        "close": plain_text("Cancel"),
        "blocks": blocks,
    }


def submitted_values(view: Mapping[str, Any]) -> dict[str, str]:
    """What was typed or chosen in a submitted modal, by field name (empty fields left out)."""
    values: dict[str, str] = {}
    state = (view.get("state") or {}).get("values") or {}
    for block_id, actions in state.items():
        element = (actions or {}).get(VALUE_ACTION) or {}
        chosen = element.get("selected_option")
        value = chosen.get("value") if isinstance(chosen, Mapping) else element.get("value")
        if isinstance(value, str) and value.strip():
            values[str(block_id)] = value
    return values


def _input_ids(view: Mapping[str, Any]) -> list[str]:
    blocks: Sequence[Mapping[str, Any]] = view.get("blocks") or []
    return [str(b["block_id"]) for b in blocks if b.get("type") == "input" and "block_id" in b]


def field_errors(view: Mapping[str, Any], errors: Mapping[str, str]) -> dict[str, str]:
    """``response_action: errors`` for a modal: each message under its field.

    A problem with something the modal doesn't show goes under the first field, naming it,
    so the person always sees why nothing was saved.
    """
    shown = _input_ids(view)
    out: dict[str, str] = {}
    for name, message in errors.items():
        if name in shown:
            out[name] = fit(message, ERROR_TEXT, markup=False)
        elif shown:
            earlier = out.get(shown[0])
            note = f"{name}: {message}"
            out[shown[0]] = fit(f"{earlier} {note}" if earlier else note, ERROR_TEXT, markup=False)
    return out
