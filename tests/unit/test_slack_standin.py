"""The Slack Web API stand-in, driven by a real slack_sdk WebClient."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from bot.sandbox import SlackStandIn
from tests.support.derive_methods import DEFAULT_OUTPUT, derive_file
from bot.sandbox.slack_standin import MAX_MESSAGE_BLOCKS, MAX_SECTION_TEXT, MAX_VIEW_BLOCKS

SPEC = Path(__file__).resolve().parents[2].parent / "shared/slack/web-api-openapi-v2.json"


@pytest.fixture(scope="module")
def _server() -> Iterator[SlackStandIn]:
    with SlackStandIn() as slack:
        yield slack


@pytest.fixture
def slack(_server: SlackStandIn) -> SlackStandIn:
    _server.reset()
    return _server


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.api_url)


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _error(excinfo: pytest.ExceptionInfo[SlackApiError]) -> str:
    return excinfo.value.response["error"]


@pytest.mark.skipif(not SPEC.exists(), reason="Slack OpenAPI spec not available")
def test_shipped_method_table_is_derived_from_the_spec() -> None:
    assert derive_file(SPEC) == DEFAULT_OUTPUT.read_text(encoding="utf-8")


def test_post_message_is_answered_and_recorded(slack: SlackStandIn, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C1", text="hello", blocks=[_section("*hi*")])
    second = client.chat_postMessage(channel="C1", text="again")

    assert first["ok"] and first["channel"] == "C1"
    assert first["message"]["bot_id"] == "B0FACTBOT" and first["message"]["blocks"][0]["type"] == "section"
    assert float(second["ts"]) > float(first["ts"])
    calls = slack.wait_for("chat.postMessage", count=2)
    assert calls[0].params["text"] == "hello"
    assert calls[0].params["blocks"] == [_section("*hi*")]
    assert calls[0].token == "xoxb-test" and calls[0].ok and calls[0].error is None


def test_form_encoded_blocks_are_decoded(slack: SlackStandIn, client: WebClient) -> None:
    client.api_call("chat.postMessage", params={"channel": "C1", "blocks": json.dumps([_section("x")])})
    form = {"token": "xoxb-form", "channel": "C1", "text": "t"}
    requests.post(f"{slack.api_url}chat.postMessage", data=form, timeout=5)
    first, second = slack.calls("chat.postMessage")
    assert first.params["blocks"] == [_section("x")] and first.ok
    assert second.ok and second.token == "xoxb-form" and "token" not in second.params


def test_auth_test_identity(client: WebClient) -> None:
    answer = client.auth_test()
    assert (answer["team_id"], answer["user_id"], answer["bot_id"]) == ("T0FACTORY", "U0FACTBOT", "B0FACTBOT")


def test_missing_required_field(slack: SlackStandIn, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("chat.postMessage", json={"text": "no channel"})
    assert _error(excinfo) == "invalid_arguments"
    assert excinfo.value.response["response_metadata"]["messages"] == ["[ERROR] missing required field: channel"]
    assert slack.calls()[0].error == "invalid_arguments"


def test_message_needs_text_or_blocks(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("chat.postMessage", json={"channel": "C1"})
    assert _error(excinfo) == "no_text"


@pytest.mark.parametrize("token, error", [(None, "not_authed"), ("bogus", "invalid_auth")])
def test_token_is_checked(slack: SlackStandIn, token: str | None, error: str) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        WebClient(token=token, base_url=slack.api_url).auth_test()
    assert _error(excinfo) == error


def test_too_many_message_blocks(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="x", blocks=[_section("b")] * (MAX_MESSAGE_BLOCKS + 1))
    assert _error(excinfo) == "invalid_blocks"


def test_too_many_view_blocks(client: WebClient) -> None:
    view = {"type": "home", "blocks": [_section("b")] * (MAX_VIEW_BLOCKS + 1)}
    with pytest.raises(SlackApiError) as excinfo:
        client.views_publish(user_id="U1", view=view)
    assert _error(excinfo) == "invalid_arguments"
    assert client.views_publish(user_id="U1", view={"type": "home", "blocks": [_section("b")]})["view"]["id"]


def test_section_text_too_long(client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="x", blocks=[_section("a" * MAX_SECTION_TEXT)])
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="x", blocks=[_section("a" * (MAX_SECTION_TEXT + 1))])
    assert _error(excinfo) == "invalid_blocks"


def test_header_text_too_long(client: WebClient) -> None:
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="x", blocks=[header])
    assert _error(excinfo) == "invalid_blocks"


def test_unknown_method(slack: SlackStandIn, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("chat.frobnicate", json={"channel": "C1"})
    assert _error(excinfo) == "unknown_method"
    assert slack.calls("chat.frobnicate")[0].ok is False


def test_rate_limit_is_retried(slack: SlackStandIn) -> None:
    slack.fail("chat.postMessage", status=429, retry_after=1)
    client = WebClient(token="xoxb-test", base_url=slack.api_url,
                       retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])

    assert client.chat_postMessage(channel="C1", text="hi")["ok"]
    calls = slack.calls("chat.postMessage")
    assert [(c.ok, c.error) for c in calls] == [(False, "ratelimited"), (True, None)]


def test_rate_limit_without_retry_handler(slack: SlackStandIn, client: WebClient) -> None:
    slack.fail("chat.postMessage", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="hi")
    assert excinfo.value.response.status_code == 429
    assert excinfo.value.response.headers["Retry-After"] == "7"


def test_injected_server_error(slack: SlackStandIn, client: WebClient) -> None:
    slack.fail("chat.postMessage", status=503, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as excinfo:
            client.chat_postMessage(channel="C1", text="hi")
        assert excinfo.value.response.status_code == 503
    assert client.chat_postMessage(channel="C1", text="hi")["ok"]
    assert [c.error for c in slack.calls()] == ["http_503", "http_503", None]


def test_injected_slack_error(slack: SlackStandIn, client: WebClient) -> None:
    slack.fail("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="hi")
    assert excinfo.value.response.status_code == 200
    assert _error(excinfo) == "channel_not_found"


def test_users_info_with_time_zone(slack: SlackStandIn, client: WebClient) -> None:
    slack.add_user("U1", name="ada", real_name="Ada Lovelace", tz="Europe/Paris")
    user = client.users_info(user="U1")["user"]
    assert (user["id"], user["name"], user["real_name"], user["tz"]) == ("U1", "ada", "Ada Lovelace", "Europe/Paris")
    assert user["tz_offset"] in (3600, 7200) and user["profile"]["real_name"] == "Ada Lovelace"
    with pytest.raises(SlackApiError) as excinfo:
        client.users_info(user="U404")
    assert _error(excinfo) == "user_not_found"


def test_conversations_open_is_stable(client: WebClient) -> None:
    dm = client.conversations_open(users="U1")["channel"]["id"]
    assert dm.startswith("D") and client.conversations_open(users=["U1"])["channel"]["id"] == dm
    group = client.conversations_open(users=["U2", "U1"])["channel"]["id"]
    assert group.startswith("G") and client.conversations_open(users="U1,U2")["channel"]["id"] == group


def test_channel_directory(slack: SlackStandIn, client: WebClient) -> None:
    slack.add_channel("C9", name="guild-mlops", members=["U1"])
    slack.add_channel("G9", name="secret", is_private=True)

    assert client.conversations_info(channel="C9")["channel"]["name"] == "guild-mlops"
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_invite(channel="C9", users="U2")
    assert _error(excinfo) == "not_in_channel"
    assert client.conversations_join(channel="C9")["ok"]
    client.conversations_invite(channel="C9", users=["U2"])
    assert client.conversations_members(channel="C9")["members"] == ["U1", "U0FACTBOT", "U2"]
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_invite(channel="C9", users="U1,U2")
    assert _error(excinfo) == "already_in_channel"
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_join(channel="G9")
    assert _error(excinfo) == "method_not_supported_for_channel_type"
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_info(channel="C404")
    assert _error(excinfo) == "channel_not_found"


def test_response_url_post_is_recorded(slack: SlackStandIn) -> None:
    url = slack.response_url("T1")
    assert WebhookClient(url).send(text="done", response_type="ephemeral").status_code == 200
    too_many = requests.post(url, json={"blocks": [_section("b")] * 51}, timeout=5)
    assert (too_many.status_code, too_many.text) == (400, "invalid_blocks")
    calls = slack.calls("response_url")
    assert calls[0].params == {"text": "done", "response_type": "ephemeral"} and calls[0].path == "/response/T1"
    assert calls[1].error == "invalid_blocks"


def test_file_upload_v2_round_trip(slack: SlackStandIn, client: WebClient) -> None:
    answer = client.files_upload_v2(channel="C1", content="a,b\n1,2\n", filename="digest.csv", title="Digest")
    assert answer["file"]["title"] == "Digest"
    upload = slack.calls("file_upload")[0].params
    assert upload["size"] == 8 and slack.uploaded(upload["file_id"]) == b"a,b\n1,2\n"


def test_set_delay_and_wait_for_timeout(slack: SlackStandIn, client: WebClient) -> None:
    slack.set_delay("auth.test", 0.2)
    client.auth_test()
    assert slack.calls("auth.test")[0].ok
    with pytest.raises(AssertionError, match="received: auth.test \\(ok\\)"):
        slack.wait_for("chat.postMessage", timeout=0.05)
