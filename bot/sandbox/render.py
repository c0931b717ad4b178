"""Block Kit and Slack markup as plain text, with the buttons and menus numbered.

A message, an App Home tab or a modal is turned into the lines a person would read in
Slack's client: headers in capitals, sections with their fields, context lines, dividers,
``[1 Approve]`` for each button (accessories included) and ``[2 Pick a guild ▾]`` for each
menu.  Each numbered element is kept as a :class:`Control`, so ``click 2`` can send what
Slack would send when it is pressed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

EMOJI = {
    "white_check_mark": "✅", "warning": "⚠", "hourglass": "⌛", "hourglass_flowing_sand": "⏳", "x": "❌",
    "tada": "🎉", "wave": "👋", "speech_balloon": "💬", "rocket": "🚀", "pause_button": "⏸", "memo": "📝",
    "information_source": "ℹ", "handshake": "🤝", "clap": "👏", "alarm_clock": "⏰", "calendar": "📅",
    "spiral_calendar_pad": "🗓", "sparkles": "✨", "shield": "🛡", "seedling": "🌱", "rotating_light": "🚨",
    "raising_hand": "🙋", "raised_hands": "🙌", "package": "📦", "no_entry_sign": "🚫", "mag": "🔍",
    "link": "🔗", "label": "🏷", "key": "🔑", "coffee": "☕", "clock4": "🕓", "arrow_forward": "▶",
}
INTERACTIVE = ("button", "static_select", "overflow", "users_select", "conversations_select",
               "channels_select", "radio_buttons", "checkboxes", "datepicker", "multi_static_select")

_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
_STYLE = re.compile(r"(?<![\w*_~])([*_~])(?=\S)([^*_~\n]*?\S)\1(?![\w*_~])")
_EMOJI = re.compile(r":([a-z0-9_+-]+):")


@dataclass(frozen=True)
class Surface:
    """Where a rendered payload lives, so a click on it is sent from the right place."""

    kind: str  # "message", "ephemeral", "home" or "modal"
    channel: str = ""
    message: dict[str, Any] = field(default_factory=dict)
    view: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Control:
    """One numbered button or menu: the element as the bot built it, and where it is."""

    element: dict[str, Any]
    block_id: str
    surface: Surface

    @property
    def label(self) -> str:
        return plain(self.element.get("text") or self.element.get("placeholder") or {}) or self.element["action_id"]


def mrkdwn(text: str, name_of: Callable[[str], str] = str) -> str:
    """Slack's markup as plain text: ``<@U1>`` → ``@maria``, ``<#C1|ml>`` → ``#ml``,
    ``<!date^…|fallback>`` → the fallback, ``*bold*`` → bold, ``:warning:`` → ⚠."""
    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return "@" + (label or name_of(target[1:]))
        if target.startswith("#"):
            return "#" + (label or name_of(target[1:]))
        if target.startswith("!"):
            return label or "@" + target[1:].split("^")[0]
        return f"{label} ({target})" if label and label != target else target

    text = _LINK.sub(link, text)
    text = _STYLE.sub(lambda m: m.group(2), text)
    text = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
    return html.unescape(text)


def plain(text_object: dict[str, Any] | str, name_of: Callable[[str], str] = str) -> str:
    """The words of a text object (``plain_text`` or ``mrkdwn``)."""
    if isinstance(text_object, str):
        return mrkdwn(text_object, name_of)
    text = text_object.get("text", "")
    return mrkdwn(text, name_of) if text_object.get("type") == "mrkdwn" else html.unescape(text)


class Renderer:
    """Renders payloads and numbers their controls; ``controls[n - 1]`` is what ``click n`` presses."""

    def __init__(self, name_of: Callable[[str], str] = str) -> None:
        self.name_of = name_of
        self.controls: list[Control] = []

    def payload(self, payload: dict[str, Any], surface: Surface) -> str:
        """A message or view: its blocks when it has some, else its text."""
        blocks = payload.get("blocks") or []
        if not blocks:
            return plain({"type": "mrkdwn", "text": str(payload.get("text", ""))}, self.name_of)
        return "\n".join(line for block in blocks for line in self.block(block, surface))

    def block(self, block: dict[str, Any], surface: Surface) -> list[str]:
        kind, block_id = block.get("type"), block.get("block_id", "")
        text = lambda t: plain(t, self.name_of)  # noqa: E731 - a short local alias
        if kind == "divider":
            return ["─" * 40]
        if kind == "header":
            return [text(block["text"]).upper()]
        if kind == "context":
            return [" ".join(text(e) for e in block.get("elements", []) if e.get("type") != "image")]
        if kind == "actions":
            return ["  ".join(self.control(e, block_id, surface) for e in block.get("elements", []))]
        if kind == "input":  # asked one by one at the prompt
            return []
        lines = [text(block["text"])] if block.get("text") else []
        lines += ["  " + ": ".join(text(f).splitlines()) for f in block.get("fields", [])]
        accessory = block.get("accessory")
        if accessory and accessory.get("type") in INTERACTIVE:
            lines.append("  " + self.control(accessory, block_id, surface))
        return lines

    def control(self, element: dict[str, Any], block_id: str, surface: Surface) -> str:
        """``[n label]`` for a pressable element (numbered); in a modal, ``[label]``."""
        if element.get("type") not in INTERACTIVE or surface.kind == "modal":
            return f"[{plain(element.get('text') or element.get('placeholder') or {}) or element.get('type')}]"
        self.controls.append(Control(element, block_id, surface))
        label = self.controls[-1].label
        return f"[{len(self.controls)} {label}{'' if element['type'] == 'button' else ' ▾'}]"
