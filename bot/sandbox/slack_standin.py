"""A loopback stand-in for the Slack Web API, for tests and benchmarks.

``SlackStandIn`` is a real HTTP server on ``127.0.0.1`` (ephemeral port, daemon
thread). Point ``slack_sdk.WebClient(base_url=slack.api_url)`` at it and every
call is validated against the method table derived from Slack's OpenAPI spec
(``slack_methods.json``, see ``derive_methods.py``), answered with realistic
payloads and recorded as a :class:`Call`.

Paths served:

* ``/api/<method>`` – the Web API (POST form/JSON body, or GET query string);
* ``/response/<key>`` – what Slack's ``response_url`` accepts (JSON POST);
* ``/upload/<file_id>`` – the upload URL handed out by ``files.getUploadURLExternal``.
"""

from __future__ import annotations

import collections
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

__all__ = ["Call", "SlackStandIn", "TEAM_ID", "BOT_USER_ID", "BOT_ID"]

TEAM_ID = "T0FACTORY"
TEAM_NAME = "Factory"
TEAM_URL = "https://factory.slack.com/"
BOT_USER_ID = "U0FACTBOT"
BOT_USER_NAME = "factorybot"
BOT_ID = "B0FACTBOT"
APP_ID = "A0FACTORY"

# Block Kit limits, as documented at https://api.slack.com/reference/block-kit/blocks
# (and https://api.slack.com/reference/surfaces/views for views).
MAX_MESSAGE_BLOCKS = 50
"""Blocks per message (chat.* and response_url); more → ``invalid_blocks``."""
MAX_VIEW_BLOCKS = 100
"""Blocks per modal or Home tab view (views.*); more → ``invalid_arguments``."""
MAX_SECTION_TEXT = 3000
"""Characters in a section block's ``text.text``."""
MAX_SECTION_FIELDS = 10
"""Items in a section block's ``fields``."""
MAX_SECTION_FIELD_TEXT = 2000
"""Characters in each section ``fields`` item."""
MAX_HEADER_TEXT = 150
"""Characters in a header block's ``text.text``."""

# The OpenAPI spec Slack published dates from 2020, so newer methods the bot may
# call are missing from slack_methods.json; they are described here by hand in
# the same shape (from https://api.slack.com/methods/<name>).
SUPPLEMENT_METHODS: dict[str, dict[str, list[str]]] = {
    "files.getUploadURLExternal": {
        "params": ["alt_txt", "filename", "length", "snippet_type"],
        "required": ["filename", "length"],
        "scopes": ["files:write"],
    },
    "files.completeUploadExternal": {
        "params": ["blocks", "channel_id", "channels", "files", "initial_comment", "thread_ts"],
        "required": ["files"],
        "scopes": ["files:write"],
    },
    # Socket Mode (https://api.slack.com/methods/apps.connections.open): app-level tokens only.
    "apps.connections.open": {"params": [], "required": [], "scopes": ["connections:write"]},
}
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})

# Methods the spec lists without a ``token`` parameter.
TOKENLESS_METHODS = frozenset({"api.test", "oauth.access", "oauth.token", "oauth.v2.access"})
TOKEN_PREFIXES = ("xoxb-", "xoxp-", "xapp-")
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update", "chat.scheduleMessage"})
TEXT_REQUIRED_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update"})
VIEW_METHODS = frozenset({"views.publish", "views.open", "views.update", "views.push"})
# Parameters sent as JSON-encoded strings in form bodies, and Slack's error when they do not decode.
JSON_PARAMS = {
    "blocks": "invalid_blocks_format",
    "attachments": "invalid_attachments",
    "view": "invalid_arguments",
    "files": "invalid_arguments",
}
_TS_BASE = 1_700_000_000


def _load_methods() -> dict[str, dict[str, list[str]]]:
    text = resources.files(__package__).joinpath("slack_methods.json").read_text(encoding="utf-8")
    return {**json.loads(text), **SUPPLEMENT_METHODS}


@dataclass(frozen=True)
class Call:
    """One request the stand-in received (accepted or rejected).

    ``headers`` has lower-cased names; ``path`` is the request path (useful to tell
    response_url posts apart). ``error`` is Slack's error code, ``"http_<status>"``
    for an injected plain HTTP failure, or ``"timeout"`` for a call left unanswered.
    """

    method: str
    params: dict[str, Any]
    token: str | None
    ok: bool
    error: str | None
    headers: dict[str, str]
    path: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    """What the stand-in answered beside ``ok`` (a message's ``ts``, a view's ``id``…)."""


class _SlackError(Exception):
    """Raised by a method implementation to answer ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, *, messages: list[str] | None = None, status: int = 200) -> None:
        super().__init__(error)
        self.error, self.messages, self.status = error, messages or [], status


@dataclass(frozen=True)
class _Failure:
    status: int
    error: str | None
    retry_after: int | float | None
    hang: float | None = None  # seconds before the connection is dropped without an answer


@dataclass
class _Answer:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    hang: float | None = None  # no answer at all: the connection is dropped after this many seconds

    @classmethod
    def json(cls, payload: dict[str, Any], status: int = 200, **headers: str) -> _Answer:
        return cls(status, json.dumps(payload).encode(), headers=headers)

    @classmethod
    def text(cls, text: str, status: int = 200) -> _Answer:
        return cls(status, text.encode(), content_type="text/plain; charset=utf-8")


class SlackStandIn:
    """Loopback Slack Web API. Use as a context manager, or ``start()`` / ``stop()``."""

    def __init__(self) -> None:
        self.methods = _load_methods()
        self._lock = threading.RLock()
        self._calls: list[Call] = []
        self._failures: dict[str, collections.deque[_Failure]] = collections.defaultdict(collections.deque)
        self._delays: dict[str, float] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, dict[str, Any]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._uploads: dict[str, bytes] = {}
        self._answers: dict[str, Callable[[SlackStandIn, dict[str, Any]], dict[str, Any]]] = {}
        self._serial = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.add_user(BOT_USER_ID, name=BOT_USER_NAME, is_bot=True)

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> SlackStandIn:
        """Bind an ephemeral port on 127.0.0.1 and serve on a daemon thread."""
        if self._server is None:
            self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
            self._server.daemon_threads = True
            self._server.standin = self  # type: ignore[attr-defined]
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-standin", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("SlackStandIn is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """Give this to ``slack_sdk.WebClient(base_url=...)``."""
        return f"{self.base_url}/api/"

    def response_url(self, key: str = "") -> str:
        """A URL on the stand-in that accepts response_url POSTs."""
        return f"{self.base_url}/response/{key}"

    # ----------------------------------------------------------------- fixtures
    def add_user(
        self, user_id: str, *, name: str | None = None, real_name: str | None = None,
        display_name: str | None = None, tz: str = "UTC", email: str | None = None, is_bot: bool = False,
    ) -> None:
        """Add (or replace) a user that ``users.info`` will know."""
        name = name or user_id.lower()
        now = datetime.now(ZoneInfo(tz))
        profile = {"real_name": real_name or name, "display_name": display_name or name}
        if email:
            profile["email"] = email
        with self._lock:
            self._users[user_id] = {
                "id": user_id, "team_id": TEAM_ID, "name": name, "real_name": real_name or name,
                "deleted": False, "tz": tz, "tz_label": now.tzname(),
                "tz_offset": int(now.utcoffset().total_seconds()), "is_bot": is_bot, "profile": profile,
            }

    def add_channel(
        self, channel_id: str, *, name: str | None = None, is_private: bool = False, members: Iterable[str] = (),
    ) -> None:
        """Add (or replace) a channel for ``conversations.info/join/invite/members``."""
        with self._lock:
            self._channels[channel_id] = {
                "id": channel_id, "name": name or channel_id.lower(), "is_private": is_private,
                "members": list(dict.fromkeys(members)),
            }

    def members(self, channel_id: str) -> list[str]:
        """Current member IDs of a channel added with :meth:`add_channel`."""
        with self._lock:
            return list(self._channels[channel_id]["members"])

    # ----------------------------------------------------------------- control & inspection
    def fail(
        self, method: str, *, status: int | None = None, retry_after: int | float | None = None,
        error: str | None = None, timeout: float | None = None, times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail.

        ``status=429`` (or just ``retry_after=``) → HTTP 429, ``Retry-After`` header
        (default 1) and ``ratelimited``; ``status=500/503`` → that status with a plain
        body; ``error="channel_not_found"`` → HTTP 200 ``{"ok": false, "error": ...}``;
        ``timeout=2`` → no answer: the connection is dropped after 2 seconds (give the client
        a shorter timeout).  A failed call is never carried out: nothing is posted or opened.
        """
        if status is None and retry_after is not None:
            status = 429
        if status is None and error is None and timeout is None:
            raise ValueError("fail() needs status=, retry_after=, error= or timeout=")
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            self._failures[method].extend([_Failure(status or 200, error, retry_after, timeout)] * times)

    def answer_with(self, method: str, answer: Callable[[SlackStandIn, dict[str, Any]], dict[str, Any]]) -> None:
        """Answer ``method`` with ``answer(standin, params)`` (its fields beside ``ok: true``)."""
        with self._lock:
            self._answers[method] = answer

    def set_delay(self, method: str, seconds: float) -> None:
        """Sleep ``seconds`` before answering every call of ``method`` (0 to clear)."""
        with self._lock:
            self._delays[method] = seconds

    def reset(self) -> None:
        """Forget recorded calls, uploads, queued failures and delays (users/channels/views stay)."""
        with self._lock:
            self._calls.clear()
            self._uploads.clear()
            self._failures.clear()
            self._delays.clear()

    def uploaded(self, file_id: str) -> bytes:
        """The bytes posted to ``file_id``'s upload URL (``files_upload_v2``'s second step)."""
        with self._lock:
            return self._uploads[file_id]

    def calls(self, method: str | None = None) -> list[Call]:
        """Recorded calls, oldest first, optionally only those of ``method``."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until ``count`` successful calls of ``method`` were recorded; return them."""
        deadline = time.monotonic() + timeout
        while True:
            done = [c for c in self.calls(method) if c.ok]
            if len(done) >= count:
                return done
            if time.monotonic() >= deadline:
                received = [f"{c.method} ({'ok' if c.ok else c.error})" for c in self.calls()]
                raise AssertionError(
                    f"expected {count} successful {method!r} call(s) within {timeout}s, got {len(done)}; "
                    f"received: {', '.join(received) or 'nothing'}"
                )
            time.sleep(0.01)

    # ----------------------------------------------------------------- request handling
    def _record(
        self, method: str, params: dict, token: str | None, error: str | None, headers: dict, path: str,
        result: dict | None = None,
    ) -> None:
        with self._lock:
            self._calls.append(Call(method, params, token, error is None, error, headers, path, result or {}))

    def _serve_api(self, method: str, params: dict[str, Any], headers: dict[str, str], path: str) -> _Answer:
        form_token = params.pop("token", None)
        token = _bearer(headers.get("authorization")) or form_token
        with self._lock:
            delay = self._delays.get(method, 0)
        if delay:
            time.sleep(delay)
        try:
            _decode_json_params(params)
            with self._lock:
                failure = self._failures[method].popleft() if self._failures.get(method) else None
                if failure is not None:
                    answer, error = _failure_answer(failure)
                    self._record(method, params, token, error, headers, path)
                    return answer
                self._validate(method, params, token)
                answer_fn = self._answers.get(method) or _METHODS.get(method, lambda s, p: {})
                result = answer_fn(self, params)
        except _SlackError as exc:
            self._record(method, params, token, exc.error, headers, path)
            body: dict[str, Any] = {"ok": False, "error": exc.error}
            if exc.messages:
                body["response_metadata"] = {"messages": exc.messages}
            return _Answer.json(body, exc.status)
        self._record(method, params, token, None, headers, path, result)
        return _Answer.json({"ok": True, **result})

    def _serve_response_url(self, body: bytes, headers: dict[str, str], path: str) -> _Answer:
        try:
            payload = json.loads(body or b"{}")
            if not isinstance(payload, dict):
                raise ValueError
        except ValueError:
            self._record("response_url", {"raw": body.decode(errors="replace")}, None, "invalid_payload", headers, path)
            return _Answer.text("invalid_payload", 400)
        problems = _block_problems(payload.get("blocks"), MAX_MESSAGE_BLOCKS)
        self._record("response_url", payload, None, "invalid_blocks" if problems else None, headers, path)
        return _Answer.text("invalid_blocks", 400) if problems else _Answer.text("ok")

    def _serve_upload(self, body: bytes, headers: dict[str, str], path: str) -> _Answer:
        file_id = path.rsplit("/", 1)[-1]
        with self._lock:
            self._uploads[file_id] = body
        self._record("file_upload", {"file_id": file_id, "size": len(body)}, None, None, headers, path)
        return _Answer.text(f"OK - {len(body)}")

    def _validate(self, method: str, params: dict[str, Any], token: str | None) -> None:
        spec = self.methods.get(method)
        if spec is None:
            raise _SlackError("unknown_method")
        if method not in TOKENLESS_METHODS:
            if not token:
                raise _SlackError("not_authed")
            if not token.startswith(TOKEN_PREFIXES):
                raise _SlackError("invalid_auth")
            if (method in APP_TOKEN_METHODS) != token.startswith("xapp-"):
                raise _SlackError("not_allowed_token_type")
        missing = [name for name in spec["required"] if params.get(name) in (None, "")]
        if missing:
            raise _SlackError("invalid_arguments", messages=[f"[ERROR] missing required field: {n}" for n in missing])
        if method in TEXT_REQUIRED_METHODS and not any(params.get(k) for k in ("text", "blocks", "attachments")):
            raise _SlackError("no_text")
        if method in MESSAGE_METHODS:
            problems = _block_problems(params.get("blocks"), MAX_MESSAGE_BLOCKS)
            if problems:
                raise _SlackError("invalid_blocks", messages=problems)
        if method in VIEW_METHODS and "view" in params:
            view = params["view"]
            problems = (
                _block_problems(view.get("blocks"), MAX_VIEW_BLOCKS, pointer="/view/blocks")
                if isinstance(view, dict) else ["[ERROR] must be an object [json-pointer:/view]"]
            )
            if problems:
                raise _SlackError("invalid_arguments", messages=problems)

    # ----------------------------------------------------------------- helpers for method implementations
    def _next(self) -> int:
        self._serial += 1
        return self._serial

    def _next_ts(self) -> str:
        n = self._next()
        return f"{_TS_BASE + n // 10_000}.{(n % 10_000) * 100:06d}"

    def _channel(self, channel_id: Any) -> dict[str, Any]:
        channel = self._channels.get(channel_id)
        if channel is None:
            raise _SlackError("channel_not_found")
        return channel

    def _resolve_channel(self, channel: str) -> str:
        name = str(channel).lstrip("#")
        return next((cid for cid, c in self._channels.items() if c["name"] == name), channel)

    def _message(self, params: dict[str, Any], ts: str) -> dict[str, Any]:
        message = {"type": "message", "text": params.get("text") or "", "user": BOT_USER_ID,
                   "bot_id": BOT_ID, "app_id": APP_ID, "team": TEAM_ID, "ts": ts}
        for key in ("blocks", "attachments", "thread_ts"):
            if params.get(key):
                message[key] = params[key]
        return message

    def _channel_info(self, channel: dict[str, Any]) -> dict[str, Any]:
        return {"id": channel["id"], "name": channel["name"], "is_channel": not channel["is_private"],
                "is_group": False, "is_im": False, "is_private": channel["is_private"], "is_archived": False,
                "is_member": BOT_USER_ID in channel["members"], "num_members": len(channel["members"])}


# ----------------------------------------------------------------- method implementations
def _auth_test(slack: SlackStandIn, params: dict) -> dict:
    return {"url": TEAM_URL, "team": TEAM_NAME, "user": BOT_USER_NAME, "team_id": TEAM_ID,
            "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}


def _chat_post_message(slack: SlackStandIn, params: dict) -> dict:
    ts = slack._next_ts()
    return {"channel": slack._resolve_channel(params["channel"]), "ts": ts, "message": slack._message(params, ts)}


def _chat_post_ephemeral(slack: SlackStandIn, params: dict) -> dict:
    return {"message_ts": slack._next_ts()}


def _chat_update(slack: SlackStandIn, params: dict) -> dict:
    ts = params["ts"]
    return {"channel": slack._resolve_channel(params["channel"]), "ts": ts, "text": params.get("text") or "",
            "message": slack._message(params, ts)}


def _chat_schedule_message(slack: SlackStandIn, params: dict) -> dict:
    return {"channel": slack._resolve_channel(params.get("channel", "")), "post_at": params.get("post_at"),
            "scheduled_message_id": f"Q{slack._next():08d}", "message": slack._message(params, slack._next_ts())}


def _views(slack: SlackStandIn, params: dict) -> dict:
    payload = params.get("view") or {}
    known = {v["external_id"]: k for k, v in slack._views.items() if v["external_id"]}
    view_id = params.get("view_id") or known.get(params.get("external_id")) or f"V{slack._next():08d}"
    view = {"id": view_id, "team_id": TEAM_ID, "type": payload.get("type", "modal"),
            "blocks": payload.get("blocks", []),
            "private_metadata": payload.get("private_metadata", ""), "callback_id": payload.get("callback_id", ""),
            "state": {"values": {}}, "hash": f"{_TS_BASE}.{slack._next():08x}", "title": payload.get("title"),
            "close": payload.get("close"), "submit": payload.get("submit"),
            "clear_on_close": bool(payload.get("clear_on_close")),
            "notify_on_close": bool(payload.get("notify_on_close")),
            "external_id": payload.get("external_id") or params.get("external_id") or "", "previous_view_id": None,
            "root_view_id": view_id, "app_id": APP_ID, "app_installed_team_id": TEAM_ID, "bot_id": BOT_ID}
    slack._views[view_id] = view
    return {"view": view}


def _conversations_open(slack: SlackStandIn, params: dict) -> dict:
    if params.get("channel"):
        return {"channel": {"id": params["channel"]}}
    users = sorted(set(_split_ids(params.get("users"))))
    if not users:
        raise _SlackError("users_list_not_supplied")
    digest = hashlib.sha1(",".join(users).encode()).hexdigest()[:10].upper()
    return {"channel": {"id": ("D" if len(users) == 1 else "G") + digest}}


def _users_info(slack: SlackStandIn, params: dict) -> dict:
    user = slack._users.get(params.get("user"))
    if user is None:
        raise _SlackError("user_not_found")
    return {"user": json.loads(json.dumps(user))}


def _conversations_info(slack: SlackStandIn, params: dict) -> dict:
    return {"channel": slack._channel_info(slack._channel(params.get("channel")))}


def _conversations_join(slack: SlackStandIn, params: dict) -> dict:
    channel = slack._channel(params.get("channel"))
    if channel["is_private"]:
        raise _SlackError("method_not_supported_for_channel_type")
    extra = {"warning": "already_in_channel"} if BOT_USER_ID in channel["members"] else {}
    if not extra:
        channel["members"].append(BOT_USER_ID)
    return {"channel": slack._channel_info(channel), **extra}


def _conversations_invite(slack: SlackStandIn, params: dict) -> dict:
    channel = slack._channel(params.get("channel"))
    users = _split_ids(params.get("users"))
    if not users:
        raise _SlackError("no_user")
    if BOT_USER_ID not in channel["members"]:
        raise _SlackError("not_in_channel")
    if BOT_USER_ID in users:
        raise _SlackError("cant_invite_self")
    new = [u for u in dict.fromkeys(users) if u not in channel["members"]]
    if not new:
        raise _SlackError("already_in_channel")
    channel["members"].extend(new)
    return {"channel": slack._channel_info(channel)}


def _conversations_members(slack: SlackStandIn, params: dict) -> dict:
    return {"members": list(slack._channel(params.get("channel"))["members"]),
            "response_metadata": {"next_cursor": ""}}


def _files_get_upload_url(slack: SlackStandIn, params: dict) -> dict:
    file_id = f"F{slack._next():08d}"
    return {"upload_url": f"{slack.base_url}/upload/{file_id}", "file_id": file_id}


def _files_complete_upload(slack: SlackStandIn, params: dict) -> dict:
    files = params.get("files")
    if not isinstance(files, list) or not all(isinstance(f, dict) and f.get("id") for f in files):
        raise _SlackError("invalid_arguments", messages=["[ERROR] files must be a list of {id, title}"])
    return {"files": [{"id": f["id"], "title": f.get("title", ""), "name": f.get("title", "")} for f in files]}


_METHODS = {
    "auth.test": _auth_test,
    "chat.postMessage": _chat_post_message,
    "chat.postEphemeral": _chat_post_ephemeral,
    "chat.update": _chat_update,
    "chat.scheduleMessage": _chat_schedule_message,
    **{name: _views for name in VIEW_METHODS},
    "conversations.open": _conversations_open,
    "users.info": _users_info,
    "conversations.info": _conversations_info,
    "conversations.join": _conversations_join,
    "conversations.invite": _conversations_invite,
    "conversations.members": _conversations_members,
    "files.getUploadURLExternal": _files_get_upload_url,
    "files.completeUploadExternal": _files_complete_upload,
}


# ----------------------------------------------------------------- pure helpers
def _bearer(value: str | None) -> str | None:
    if value and value.lower().startswith("bearer "):
        return value[7:].strip() or None
    return None


def _split_ids(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


def _decode_json_params(params: dict[str, Any]) -> None:
    """Decode JSON-string values of ``blocks``/``view``/``attachments``/``files`` in place."""
    for name, error in JSON_PARAMS.items():
        value = params.get(name)
        if isinstance(value, str) and value:
            try:
                params[name] = json.loads(value)
            except ValueError:
                raise _SlackError(error, messages=[f"[ERROR] {name} is not valid JSON"]) from None


def _block_problems(blocks: Any, limit: int, *, pointer: str = "/blocks") -> list[str]:
    """Return Slack-style error messages for Block Kit limit violations (empty if fine)."""
    if blocks in (None, ""):
        return []
    if not isinstance(blocks, list):
        return [f"[ERROR] must be an array [json-pointer:{pointer}]"]
    if len(blocks) > limit:
        return [f"[ERROR] no more than {limit} items allowed [json-pointer:{pointer}]"]
    problems = []
    for i, block in enumerate(blocks):
        kind = block.get("type") if isinstance(block, dict) else None
        text = block.get("text") if kind in ("section", "header") else None
        text = text.get("text", "") if isinstance(text, dict) else ""
        text_limit = MAX_SECTION_TEXT if kind == "section" else MAX_HEADER_TEXT
        if len(text) > text_limit:
            problems.append(
                f"[ERROR] must be less than {text_limit + 1} characters [json-pointer:{pointer}/{i}/text/text]"
            )
        fields = (block.get("fields") or []) if kind == "section" else []
        if len(fields) > MAX_SECTION_FIELDS:
            problems.append(
                f"[ERROR] no more than {MAX_SECTION_FIELDS} items allowed [json-pointer:{pointer}/{i}/fields]"
            )
        for j, item in enumerate(fields):
            if isinstance(item, dict) and len(item.get("text", "")) > MAX_SECTION_FIELD_TEXT:
                problems.append(f"[ERROR] must be less than {MAX_SECTION_FIELD_TEXT + 1} characters "
                                f"[json-pointer:{pointer}/{i}/fields/{j}/text]")
    return problems


def _failure_answer(failure: _Failure) -> tuple[_Answer, str]:
    if failure.hang is not None:
        return _Answer(0, b"", hang=failure.hang), "timeout"
    headers = {"Retry-After": str(failure.retry_after)} if failure.status == 429 else {}
    if failure.error or failure.status in (200, 429):
        error = failure.error or "ratelimited"
        return _Answer.json({"ok": False, "error": error}, failure.status, **headers), error
    return _Answer.text(HTTPStatus(failure.status).phrase, failure.status), f"http_{failure.status}"


def _parse_params(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if "application/json" in content_type:
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            raise _SlackError("invalid_json") from None
        if not isinstance(payload, dict):
            raise _SlackError("json_not_object")
        params.update(payload)
    elif body:
        params.update(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    return params


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    server: ThreadingHTTPServer

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def _handle(self) -> None:
        slack: SlackStandIn = self.server.standin  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        url = urlsplit(self.path)
        if url.path.startswith("/api/"):
            method = url.path[len("/api/"):]
            try:
                params = _parse_params(url.query, body, headers.get("content-type", ""))
            except _SlackError as exc:
                slack._record(method, {}, None, exc.error, headers, url.path)
                answer = _Answer.json({"ok": False, "error": exc.error})
            else:
                answer = slack._serve_api(method, params, headers, url.path)
        elif url.path.startswith("/response/") and self.command == "POST":
            answer = slack._serve_response_url(body, headers, url.path)
        elif url.path.startswith("/upload/") and self.command == "POST":
            answer = slack._serve_upload(body, headers, url.path)
        else:
            answer = _Answer.text("not found", 404)
        if answer.hang is not None:
            time.sleep(answer.hang)
            self.close_connection = True
            return
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer.body)
