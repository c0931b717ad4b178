"""Reading what Slack sends, whatever it sends — clean text, whole numbers, a click's parts —
and quoting it back safely.

Every request is signed by Slack, but its text is typed by anyone and a crafted payload
can take any shape.  So text loses its control characters before it reaches a parser or
the database (PostgreSQL refuses NUL), a number is ASCII digits that fit the database's
32-bit ids (``"²".isdigit()`` is true and ``int("²")`` raises), and a click's action,
value and user are read without assuming the payload has them.
"""

from __future__ import annotations

import re
from typing import Any

QUOTE_LIMIT = 80  # what a reply repeats of a person's text: enough to recognise it
MAX_ID = 2**31 - 1  # PostgreSQL INTEGER, the type of every id
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")  # keeps tab and newlines
_DIGITS = re.compile("[0-9]{1,10}")
_SLACK_ID = re.compile("[A-Z0-9]{1,32}")  # U…, W…, C…, G…, D…: what the id columns hold
_EVENT_ID = re.compile("[A-Za-z0-9]{1,64}")


def clean(text: str) -> str:
    """``text`` without control characters (NUL included) and lone surrogates."""
    return _CONTROL.sub("", text)


def cleaned(payload: Any) -> Any:
    """Every string in a payload (dicts and lists, nested) cleaned; dicts and lists in place."""
    if isinstance(payload, str):
        return clean(payload)
    if isinstance(payload, dict):
        for key, value in payload.items():
            payload[key] = cleaned(value)
    elif isinstance(payload, list):
        payload[:] = [cleaned(value) for value in payload]
    return payload


def escape(text: str) -> str:
    """People's text inside mrkdwn: control characters dropped and Slack's three control
    characters escaped, so a guild described as ``<!channel>`` pings nobody
    (https://api.slack.com/reference/surfaces/formatting#escaping)."""
    return clean(str(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def quoted(text: str, *, limit: int = QUOTE_LIMIT) -> str:
    """A person's text repeated in a reply, the one way every view quotes what someone typed:
    cut to ``limit`` characters, then escaped; backticks become quotes so a code span stays closed."""
    return escape(shorten(clean(str(text)), limit).replace("`", "'"))


def whole_number(text: object, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """``"42"`` → 42; anything but ASCII digits, or a number outside ``low..high``, → ``None``."""
    raw = str(text if text is not None else "").strip()
    if not _DIGITS.fullmatch(raw):
        return None
    number = int(raw)
    return number if low <= number <= high else None


def first_action(body: dict[str, Any]) -> dict[str, Any]:
    """The clicked element of a ``block_actions`` payload, or ``{}``."""
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        return actions[0]
    return {}


def action_value(body: dict[str, Any]) -> str:
    value = first_action(body).get("value")
    return value if isinstance(value, str) else ""


def user_of(body: dict[str, Any]) -> str:
    user = body.get("user")
    found = user.get("id") if isinstance(user, dict) else None
    return found if isinstance(found, str) else ""


def plausible(body: dict[str, Any]) -> bool:
    """Whether a request has the shape Slack gives it: a click carries its action, and the ids
    (who acts, where, which event) look like Slack's — a crafted payload must not reach Bolt's
    matching without an action, nor the database with a 10 kB "user id"."""
    if body.get("type") == "block_actions" and not isinstance(first_action(body).get("action_id"), str):
        return False
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    user = body.get("user")
    ids = [
        (body.get("user_id"), _SLACK_ID), (body.get("channel_id"), _SLACK_ID),
        (user.get("id") if isinstance(user, dict) else user, _SLACK_ID), (body.get("event_id"), _EVENT_ID),
    ]
    # Some events carry objects there (``user_change``); the listeners read only strings.
    ids += [(event[key], _SLACK_ID) for key in ("user", "channel") if isinstance(event.get(key), str)]
    return all(value is None or (isinstance(value, str) and pattern.fullmatch(value)) for value, pattern in ids)


def form_values(view: object) -> dict[str, Any]:
    """A submitted modal's ``state.values`` (``{block_id: {action_id: state}}``), or ``{}``."""
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    return {k: v for k, v in values.items() if isinstance(v, dict)} if isinstance(values, dict) else {}
