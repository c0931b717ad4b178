"""A modal filled at the prompt: one question per input block, answers turned into the
``view.state.values`` Slack would submit.

Each answer is checked the way Slack's client checks it before submitting (a required
field left empty, a choice that is not offered); what the bot itself refuses comes back
from the ``view_submission`` as errors, and those fields are asked again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.render import plain

SELECTS = {"static_select", "radio_buttons"}
MULTI_SELECTS = {"multi_static_select", "checkboxes"}


class AnswerRefused(ValueError):
    """An answer Slack's client would not accept; the message says what would be."""


@dataclass
class Modal:
    """An open modal (the view the stand-in recorded) and the answers given so far."""

    view: dict[str, Any]
    user_of: Callable[[str], str | None]  # "@maria" → "U0MARIA"
    channel_of: Callable[[str], str | None]  # "#mlops" → "C0MLOPS"
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pending = self.inputs()

    @property
    def title(self) -> str:
        return plain(self.view.get("title") or {}) or "Modal"

    def inputs(self, block_ids: set[str] | None = None) -> list[dict[str, Any]]:
        return [b for b in self.view.get("blocks", [])
                if b.get("type") == "input" and (block_ids is None or b.get("block_id") in block_ids)]

    def ask_again(self, block_ids: set[str]) -> None:
        self.pending = self.inputs(block_ids)

    def question(self) -> str:
        """The next question, with its choices or its current value."""
        block = self.pending[0]
        element = block["element"]
        hint = ""
        if element["type"] in SELECTS | MULTI_SELECTS:
            hint = "  " + "  ".join(f"{i}) {plain(o['text'])}" for i, o in enumerate(element.get("options", []), 1))
            hint += "  (several: 1,3)" if element["type"] in MULTI_SELECTS else ""
        if _initial(element):
            hint += f"  (Enter keeps: {_initial(element)})"
        optional = " (optional, Enter to skip)" if block.get("optional") else ""
        return f"? {plain(block['label'])}{optional}{hint}"

    def answer(self, text: str) -> dict[str, Any] | None:
        """Take the answer to the current question; :class:`AnswerRefused` leaves it asked.

        Returns the element and its new state when the block dispatches its changes (a
        type picker that redraws the form): Slack sends those as a ``block_actions``."""
        block = self.pending[0]
        element = block["element"]
        text = text.strip()
        if not text and _initial(element):
            state = _initial_state(element)
        elif not text:
            if not block.get("optional"):
                raise AnswerRefused(f"“{plain(block['label'])}” is required: type an answer, or `cancel`.")
            state = {"type": element["type"], "value": None}
        else:
            state = self._state(element, text)
        self.values[block["block_id"]] = {element["action_id"]: state}
        self.pending.pop(0)
        changed = state != _initial_state(element)
        return {"block_id": block["block_id"], "element": element, "state": state} \
            if block.get("dispatch_action") and changed else None

    def _state(self, element: dict[str, Any], text: str) -> dict[str, Any]:
        kind = element["type"]
        if kind in SELECTS:
            return {"type": kind, "selected_option": _option(element, text)}
        if kind in MULTI_SELECTS:
            return {"type": kind, "selected_options": [_option(element, t) for t in text.split(",") if t.strip()]}
        if kind in ("users_select", "multi_users_select"):
            users = [self._look_up(self.user_of, t) for t in text.replace(",", " ").split()]
            return {"type": kind, "selected_user": users[0]} if kind == "users_select" else \
                {"type": kind, "selected_users": users}
        if kind in ("conversations_select", "channels_select"):
            key = "selected_conversation" if kind == "conversations_select" else "selected_channel"
            return {"type": kind, key: self._look_up(self.channel_of, text)}
        if kind == "datepicker":
            return {"type": kind, "selected_date": text}
        if kind == "timepicker":
            return {"type": kind, "selected_time": text}
        return {"type": kind, "value": text}

    @staticmethod
    def _look_up(find: Callable[[str], str | None], text: str) -> str:
        found = find(text.strip())
        if found is None:
            raise AnswerRefused(f"I don't know {text.strip()}: type `who` after `cancel` to see everyone.")
        return found


def _option(element: dict[str, Any], text: str) -> dict[str, Any]:
    options = element.get("options", [])
    text = text.strip()
    if text.isdigit() and 1 <= int(text) <= len(options):
        return options[int(text) - 1]
    for option in options:
        if text.lower() in (plain(option["text"]).lower(), str(option.get("value", "")).lower()):
            return option
    raise AnswerRefused(f"“{text}” is not one of the choices: answer with a number from 1 to {len(options)}.")


def _initial(element: dict[str, Any]) -> str:
    if "initial_option" in element:
        return plain(element["initial_option"]["text"])
    if element.get("initial_options"):
        return ", ".join(plain(o["text"]) for o in element["initial_options"])
    for key in ("initial_value", "initial_user", "initial_conversation", "initial_channel", "initial_date",
                "initial_time"):
        if element.get(key):
            return str(element[key])
    return ""


def _initial_state(element: dict[str, Any]) -> dict[str, Any]:
    kind = element["type"]
    if "initial_option" in element:
        return {"type": kind, "selected_option": element["initial_option"]}
    if element.get("initial_options"):
        return {"type": kind, "selected_options": element["initial_options"]}
    keys = {"initial_user": "selected_user", "initial_conversation": "selected_conversation",
            "initial_channel": "selected_channel", "initial_date": "selected_date", "initial_time": "selected_time"}
    for key, state_key in keys.items():
        if element.get(key):
            return {"type": kind, state_key: element[key]}
    return {"type": kind, "value": element.get("initial_value")}
