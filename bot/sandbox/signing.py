"""Build and send requests to the bot exactly as Slack does, signed with the v0 scheme.

Slack signs ``v0:{timestamp}:{raw body}`` with HMAC-SHA256 under the app's signing
secret and sends ``X-Slack-Request-Timestamp`` and ``X-Slack-Signature``
(https://api.slack.com/authentication/verifying-requests-from-slack).

Every ``build_*`` method returns ``(body: bytes, headers: dict)`` without the
signature headers; :meth:`SlackRequestBuilder.send` signs and POSTs. Every sender
(``slash_command``, ``block_actions``, …) accepts ``timestamp=`` and ``signature=``
overrides so tests can send stale or forged requests.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import requests

__all__ = ["SlackRequestBuilder"]

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
# Safe default: the .invalid TLD never resolves, so a bot under test cannot reach real Slack.
DEFAULT_RESPONSE_URL_BASE = "https://hooks.slack.invalid/commands/"


def sign(signing_secret: str, *, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature: ``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}``.

    Written out here rather than taken from slack_sdk's ``SignatureVerifier``: the sandbox is
    runtime code outside ``handlers/``, and only ``handlers/`` and the composition root may
    depend on the Slack SDK (the import-linter contracts in pyproject.toml).
    """
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


class SlackRequestBuilder:
    """Signed Slack → app requests (slash commands, interactivity, events).

    ``url`` is the bot's endpoint (e.g. ``http://127.0.0.1:PORT/slack/events``).
    ``response_url_base`` should normally be ``slack.response_url("")`` of a
    :class:`~bot.sandbox.SlackStandIn`, so ``respond()`` lands on the stand-in.
    The most recent ``response_url`` / ``trigger_id`` handed out are kept in
    ``last_response_url`` / ``last_trigger_id``.
    """

    def __init__(
        self,
        *,
        signing_secret: str,
        url: str,
        team_id: str = "T0FACTORY",
        team_domain: str = "factory",
        api_app_id: str = "A0FACTORY",
        verification_token: str = "legacy-verification-token",
        response_url_base: str = DEFAULT_RESPONSE_URL_BASE,
        timeout: float = 10.0,
    ) -> None:
        self.signing_secret = signing_secret
        self.url = url
        self.team_id = team_id
        self.team_domain = team_domain
        self.api_app_id = api_app_id
        self.verification_token = verification_token
        self.response_url_base = response_url_base
        self.timeout = timeout
        self.session = requests.Session()
        self.last_response_url: str | None = None
        self.last_trigger_id: str | None = None
        self._serial = itertools.count(1)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> SlackRequestBuilder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- signing & sending
    def signed_headers(
        self, body: bytes, headers: Mapping[str, str] | None = None, *,
        timestamp: int | str | None = None, signature: str | None = None,
    ) -> dict[str, str]:
        """``headers`` plus ``X-Slack-Request-Timestamp`` and ``X-Slack-Signature``."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        if signature is None:
            signature = sign(self.signing_secret, timestamp=ts, body=body)
        return {**(headers or {}), "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}

    def send(
        self, body: bytes, headers: Mapping[str, str], *,
        timestamp: int | str | None = None, signature: str | None = None,
    ) -> requests.Response:
        """Sign ``body`` (unless ``signature`` is given) and POST it to ``url``."""
        signed = self.signed_headers(body, headers, timestamp=timestamp, signature=signature)
        return self.session.post(self.url, data=body, headers=signed, timeout=self.timeout)

    # ----------------------------------------------------------------- builders
    def build_slash_command(
        self, command: str, text: str = "", *, user_id: str = "U0TESTER", user_name: str | None = None,
        channel_id: str = "C0GENERAL", channel_name: str | None = None,
        trigger_id: str | None = None, response_url: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A slash command as Slack posts it: a form-encoded body."""
        self.last_trigger_id = trigger_id or self._trigger_id()
        self.last_response_url = response_url or self.response_url_base + uuid.uuid4().hex
        fields = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name or _default_channel_name(channel_id),
            "user_id": user_id,
            "user_name": user_name or user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self.last_response_url,
            "trigger_id": self.last_trigger_id,
        }
        return urlencode(fields).encode(), self._headers(FORM)

    def build_block_actions(
        self, *, action_id: str, value: str | None = None, user_id: str = "U0TESTER",
        channel_id: str | None = None, view: Mapping[str, Any] | None = None,
        message: Mapping[str, Any] | None = None, block_id: str = "b1", action_type: str = "button",
        action_fields: Mapping[str, Any] | None = None, state_values: Mapping[str, Any] | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A ``block_actions`` interaction: form field ``payload=<json>``.

        With ``view`` the action comes from a modal/Home tab; with ``message`` or
        ``channel_id`` from a message (then a ``response_url`` is included).
        ``action_fields`` is merged into the action (e.g. ``selected_option``).
        """
        self.last_trigger_id = self._trigger_id()
        action = {"type": action_type, "action_id": action_id, "block_id": block_id,
                  "action_ts": f"{time.time():.6f}", **(action_fields or {})}
        if value is not None:
            action["value"] = value
        payload: dict[str, Any] = {
            "type": "block_actions",
            **self._common(user_id),
            "trigger_id": self.last_trigger_id,
            "state": {"values": dict(state_values or {})},
            "actions": [action],
        }
        if view is not None:
            payload["view"] = dict(view)
            payload["container"] = {"type": "view", "view_id": view.get("id", "")}
        if message is not None or channel_id is not None:
            msg = dict(message or {"type": "message", "ts": self._ts(), "text": "", "user": "U0FACTBOT"})
            self.last_response_url = self.response_url_base + uuid.uuid4().hex
            payload["message"] = msg
            payload["container"] = {"type": "message", "message_ts": msg.get("ts", ""),
                                    "channel_id": channel_id, "is_ephemeral": False}
            payload["channel"] = {"id": channel_id, "name": _default_channel_name(channel_id or "")}
            payload["response_url"] = self.last_response_url
        return self._payload_form(payload)

    def build_view_submission(
        self, *, callback_id: str, values: Mapping[str, Mapping[str, Any]], user_id: str = "U0TESTER",
        private_metadata: str = "", view_id: str | None = None, blocks: list[dict] | None = None,
        response_urls: list[dict] | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A ``view_submission``; ``values`` is ``{block_id: {action_id: element_state}}``.

        A plain (non-dict) ``element_state`` is shorthand for a plain-text input:
        ``{"name": {"name": "Ada"}}`` → ``{"type": "plain_text_input", "value": "Ada"}``.
        """
        self.last_trigger_id = self._trigger_id()
        view_id = view_id or f"V{next(self._serial):08d}"
        state = {block: {action: _element_state(v) for action, v in actions.items()}
                 for block, actions in values.items()}
        view = {
            "id": view_id, "team_id": self.team_id, "type": "modal", "blocks": list(blocks or []),
            "private_metadata": private_metadata, "callback_id": callback_id, "state": {"values": state},
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "title": {"type": "plain_text", "text": callback_id[:24] or "Modal"},
            "clear_on_close": False, "notify_on_close": False, "close": None,
            "submit": {"type": "plain_text", "text": "Submit"}, "previous_view_id": None,
            "root_view_id": view_id, "app_id": self.api_app_id, "external_id": "",
            "app_installed_team_id": self.team_id, "bot_id": "B0FACTBOT",
        }
        payload = {"type": "view_submission", **self._common(user_id), "trigger_id": self.last_trigger_id,
                   "view": view, "response_urls": list(response_urls or [])}
        return self._payload_form(payload)

    def build_event(
        self, event: Mapping[str, Any], *, event_id: str | None = None, event_time: int | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """An Events API ``event_callback`` envelope (JSON) around ``event``."""
        event = {"event_ts": self._ts(), **event}
        envelope = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()) if event_time is None else event_time,
            "authorizations": [{"enterprise_id": None, "team_id": self.team_id, "user_id": "U0FACTBOT",
                                "is_bot": True, "is_enterprise_install": False}],
            "is_ext_shared_channel": False,
        }
        return json.dumps(envelope).encode(), self._headers(JSON)

    def build_url_verification(self, challenge: str) -> tuple[bytes, dict[str, str]]:
        """The Events API ``url_verification`` handshake (JSON)."""
        body = {"token": self.verification_token, "challenge": challenge, "type": "url_verification"}
        return json.dumps(body).encode(), self._headers(JSON)

    # ----------------------------------------------------------------- senders
    def slash_command(self, command: str, text: str = "", *, timestamp: int | str | None = None,
                      signature: str | None = None, **fields: Any) -> requests.Response:
        """Send :meth:`build_slash_command` (same keyword arguments)."""
        return self.send(*self.build_slash_command(command, text, **fields), timestamp=timestamp, signature=signature)

    def block_actions(self, *, timestamp: int | str | None = None, signature: str | None = None,
                      **fields: Any) -> requests.Response:
        """Send :meth:`build_block_actions` (same keyword arguments)."""
        return self.send(*self.build_block_actions(**fields), timestamp=timestamp, signature=signature)

    def view_submission(self, *, timestamp: int | str | None = None, signature: str | None = None,
                        **fields: Any) -> requests.Response:
        """Send :meth:`build_view_submission` (same keyword arguments)."""
        return self.send(*self.build_view_submission(**fields), timestamp=timestamp, signature=signature)

    def event(self, event: Mapping[str, Any], *, timestamp: int | str | None = None,
              signature: str | None = None, **fields: Any) -> requests.Response:
        """Send :meth:`build_event` (same keyword arguments)."""
        return self.send(*self.build_event(event, **fields), timestamp=timestamp, signature=signature)

    def url_verification(self, challenge: str, *, timestamp: int | str | None = None,
                         signature: str | None = None) -> requests.Response:
        """Send :meth:`build_url_verification`."""
        return self.send(*self.build_url_verification(challenge), timestamp=timestamp, signature=signature)

    # ----------------------------------------------------------------- helpers
    def _common(self, user_id: str) -> dict[str, Any]:
        return {
            "user": {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": self.team_id},
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "team": {"id": self.team_id, "domain": self.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _trigger_id(self) -> str:
        return f"{next(self._serial)}.{int(time.time())}.{uuid.uuid4().hex}"

    def _ts(self) -> str:
        return f"{time.time():.6f}"

    @staticmethod
    def _headers(content_type: str) -> dict[str, str]:
        return {"Content-Type": content_type, "User-Agent": USER_AGENT}

    def _payload_form(self, payload: Mapping[str, Any]) -> tuple[bytes, dict[str, str]]:
        return urlencode({"payload": json.dumps(payload)}).encode(), self._headers(FORM)


def _default_channel_name(channel_id: str) -> str:
    return "directmessage" if channel_id.startswith("D") else channel_id.lower()


def _element_state(value: Any) -> Any:
    return value if isinstance(value, Mapping) else {"type": "plain_text_input", "value": value}
