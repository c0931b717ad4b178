"""SlackRequestBuilder signs and encodes requests the way Slack does."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.sandbox import SlackRequestBuilder

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


class _Capture(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers.items()), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Capture)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    server.shutdown()
    server.server_close()


@pytest.fixture
def builder(endpoint: str) -> Iterator[SlackRequestBuilder]:
    _Capture.received.clear()
    with SlackRequestBuilder(signing_secret=SECRET, url=endpoint, response_url_base="http://x/response/") as b:
        yield b


def _verify(headers: dict[str, str], body: bytes) -> bool:
    return SignatureVerifier(SECRET).is_valid(
        body=body, timestamp=headers["X-Slack-Request-Timestamp"], signature=headers["X-Slack-Signature"]
    )


def _payload(body: bytes) -> dict:
    return json.loads(parse_qs(body.decode())["payload"][0])


def test_slash_command_is_signed_and_form_encoded(builder: SlackRequestBuilder) -> None:
    assert builder.slash_command("/factory", "help", user_id="U123", channel_id="C123").status_code == 200
    headers, body = _Capture.received[0]
    assert _verify(headers, body)
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    fields = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    assert {k: fields[k] for k in ("command", "text", "user_id", "channel_id", "team_id")} == {
        "command": "/factory", "text": "help", "user_id": "U123", "channel_id": "C123", "team_id": "T0FACTORY",
    }
    assert fields["response_url"].startswith("http://x/response/") and fields["trigger_id"]
    assert fields["response_url"] == builder.last_response_url


def test_each_slash_command_gets_fresh_ids(builder: SlackRequestBuilder) -> None:
    first, _ = builder.build_slash_command("/factory")
    second, _ = builder.build_slash_command("/factory")
    a, b = parse_qs(first.decode()), parse_qs(second.decode())
    assert a["trigger_id"] != b["trigger_id"] and a["response_url"] != b["response_url"]


def test_block_actions_payload(builder: SlackRequestBuilder) -> None:
    body, headers = builder.build_block_actions(action_id="guild_join", value="mlops", user_id="U123",
                                                channel_id="C1", block_id="b1")
    payload = _payload(body)
    assert payload["type"] == "block_actions" and payload["user"]["id"] == "U123"
    assert payload["actions"][0] | {"action_ts": None} == {
        "type": "button", "action_id": "guild_join", "block_id": "b1", "value": "mlops", "action_ts": None,
    }
    assert payload["container"]["channel_id"] == "C1" and payload["response_url"].startswith("http://x/response/")
    from_view = _payload(builder.build_block_actions(action_id="a", view={"id": "V1", "type": "home"})[0])
    assert from_view["container"] == {"type": "view", "view_id": "V1"} and "response_url" not in from_view


def test_view_submission_payload(builder: SlackRequestBuilder) -> None:
    builder.view_submission(callback_id="profile", values={"name": {"name": "Ada"}}, user_id="U1",
                            private_metadata="42")
    headers, body = _Capture.received[0]
    assert _verify(headers, body)
    view = _payload(body)["view"]
    assert (view["callback_id"], view["private_metadata"]) == ("profile", "42")
    assert view["state"]["values"] == {"name": {"name": {"type": "plain_text_input", "value": "Ada"}}}


def test_event_envelope(builder: SlackRequestBuilder) -> None:
    event = {"type": "app_home_opened", "user": "U1", "tab": "home", "channel": "D1"}
    builder.event(event)
    builder.event(event)
    (headers, body), (_, body2) = _Capture.received
    assert _verify(headers, body) and headers["Content-Type"] == "application/json"
    envelope = json.loads(body)
    assert envelope["type"] == "event_callback" and envelope["team_id"] == "T0FACTORY"
    assert envelope["event"]["type"] == "app_home_opened" and envelope["event"]["user"] == "U1"
    assert envelope["event_id"] != json.loads(body2)["event_id"]
    assert "event_ts" not in event


def test_url_verification(builder: SlackRequestBuilder) -> None:
    body, _ = builder.build_url_verification("challenge-token")
    assert json.loads(body) == {"token": builder.verification_token, "challenge": "challenge-token",
                                "type": "url_verification"}


def test_timestamp_and_signature_overrides(builder: SlackRequestBuilder) -> None:
    old = int(time.time()) - 600
    builder.url_verification("c", timestamp=old)
    builder.url_verification("c", signature="v0=forged")
    (old_headers, old_body), (forged_headers, forged_body) = _Capture.received
    assert old_headers["X-Slack-Request-Timestamp"] == str(old)
    assert not _verify(old_headers, old_body)  # too old for the verifier's 5-minute window
    assert forged_headers["X-Slack-Signature"] == "v0=forged" and not _verify(forged_headers, forged_body)


def test_signature_matches_the_v0_scheme(builder: SlackRequestBuilder) -> None:
    """The sandbox signs without slack_sdk; slack_sdk's verifier is the judge."""
    headers = builder.signed_headers(b"a=b", timestamp=1531420618)
    expected = SignatureVerifier(SECRET).generate_signature(timestamp="1531420618", body=b"a=b")
    assert headers["X-Slack-Signature"] == expected and expected.startswith("v0=")
    body = "text=caf\u00e9 \u2615&user_id=U1".encode()
    assert _verify(builder.signed_headers(body), body)
