"""Hostile and careless input, case by case, over signed HTTP to the real app: never a 5xx, never
a traceback, always a specific answer (issue 13, point 1).  The property-based sweep over every
command and payload shape is in ``test_hostile_properties.py``."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from bot.runtime.bootstrap import Bot, bootstrap
from bot.runtime.server import start_in_thread
from bot.runtime.settings import Settings
from bot.sandbox import SlackRequestBuilder, SlackStandIn
from storage.db import Database
from tests.e2e.conftest import MEMBER, SIGNING_SECRET
from tests.e2e.hostile import mlops  # noqa: F401 - a fixture
from tests.e2e.hostile import assert_civil, command, event, payload, payload_of

LONG_WORD = "x" * 2990


@pytest.fixture
def bot_settings(mlflow_bot_settings: Settings) -> Settings:
    return mlflow_bot_settings


# -- replies that quote what was typed stay inside Slack's limits ------------------------------


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("/factory", LONG_WORD, "is not something I know"),
    ("/approval", f"status {LONG_WORD}", "is not a request id"),
    ("/model", f"status {LONG_WORD}", "No model called"),
    ("/model", f"list {LONG_WORD}", "No registered models matching"),
    ("/guild", f"info {LONG_WORD}", "guild"),
    ("/showtell", f"cancel {LONG_WORD}", "is not a talk number"),
])
def test_a_reply_quoting_a_long_word_stays_within_a_section(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, caplog: pytest.LogCaptureFixture,
    name: str, text: str, expected: str,
) -> None:
    answer = command(bot, signed, slack, name, text, user_id=MEMBER)
    assert_civil(answer, caplog)
    assert expected in answer.text and answer.messages[-1]["response_type"] == "ephemeral"


def test_an_unknown_subcommand_is_quoted_cut_short(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, caplog: pytest.LogCaptureFixture,
) -> None:
    answer = command(bot, signed, slack, "/factory", f"<!channel>{LONG_WORD}", user_id=MEMBER)
    assert_civil(answer, caplog)
    assert "`/factory &lt;!channel&gt;xxxxxxxx" in answer.text and LONG_WORD not in answer.text


def test_people_text_is_escaped_so_it_pings_nobody(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, caplog: pytest.LogCaptureFixture, mlops: str,
) -> None:
    for text in ("list", "info mlops"):
        answer = command(bot, signed, slack, "/guild", text, user_id=MEMBER)
        assert_civil(answer, caplog)
        shown = "\n".join(mrkdwn(m) for m in answer.messages)
        assert "<!channel>" not in shown and "<!here>" not in shown and "<@U0BOSS>" not in shown
        assert "&lt;!channel&gt; &amp; &lt;@U0BOSS&gt;" in shown


def test_a_request_quoting_mentions_reaches_approvers_escaped(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, caplog: pytest.LogCaptureFixture,
) -> None:
    mention = "<!channel> <!here|here> <@U0BOSS>"
    resp = signed.view_submission(
        callback_id="approval_request", user_id=MEMBER, private_metadata='{"type": "data_access"}',
        values={"field:dataset": {"value": {"type": "plain_text_input", "value": f"sales {mention}"}},
                "field:access": {"value": {"type": "static_select", "selected_option": {"value": "read"}}},
                "justification": {"value": {"type": "plain_text_input", "value": f"because {mention}"}},
                **{f"answer:{q}": {"value": {"type": "static_select", "selected_option": {"value": "no"}}}
                   for q in ("personal_data", "external")},
                "answer:monthly_cost": {"value": {"type": "number_input", "value": "0"}}})
    assert resp.status_code == 200 and not resp.text
    bot.drain()
    posted = [c.params for c in slack.calls("chat.postMessage")]
    assert posted and "because &lt;!channel&gt;" in "\n".join(mrkdwn(m) for m in posted)
    assert not any(m in mrkdwn(p) for p in posted for m in ("<!channel>", "<!here", "<@U0BOSS>"))
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


# -- one integer parser ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("/guild", "list ²", "There are no guilds yet"),
    ("/approval", "status AR-²", "is not a request id"),
    ("/approval", f"status AR-{2**31}", "is not a request id"),
    ("/approval", f"status {'9' * 5000}", "is not a request id"),
    ("/model", "status churn ²", "is not a version number"),
    ("/mentor", "offer python capacity ²", "a number from 1 to"),
    ("/showtell", "cancel ²", "is not a talk number"),
])
def test_numbers_that_are_not_ascii_digits_or_do_not_fit_are_refused_by_name(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, caplog: pytest.LogCaptureFixture,
    name: str, text: str, expected: str,
) -> None:
    answer = command(bot, signed, slack, name, text, user_id=MEMBER)
    assert_civil(answer, caplog)
    assert expected in answer.text


@pytest.mark.parametrize("value", ["²", str(2**31), "9" * 5000, "-1", ""])
@pytest.mark.parametrize(("action_id", "expected"), [
    ("approval_approve", "does not belong to a request I know"),
    ("approval_cancel", "does not belong to a request I know"),
    ("mentoring_checkin_yes", "check-in button is broken"),
])
def test_button_values_that_are_not_ids_are_refused_by_name(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, caplog: pytest.LogCaptureFixture,
    action_id: str, expected: str, value: str,
) -> None:
    body = payload_of(signed.build_block_actions(action_id=action_id, value=value, user_id=MEMBER,
                                                               channel_id="C0GENERAL"))
    answer = payload(bot, signed, slack, body)
    assert_civil(answer, caplog)
    assert expected in answer.text


def test_a_page_button_past_any_integer_shows_a_page(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, caplog: pytest.LogCaptureFixture, mlops: str,
) -> None:
    for value in (str(2**31), "²", "9" * 5000):
        body = payload_of(signed.build_block_actions(
            action_id="guild_page_next", value=value, user_id=MEMBER, channel_id="C0GENERAL"))
        answer = payload(bot, signed, slack, body)
        assert_civil(answer, caplog)
        assert "Page 1 of 1" in answer.text


# -- control characters never reach the database --------------------------------------------------


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("/guild", "info a\x00b", "ab"),
    ("/guild", "join a\x00b", "ab"),
    ("/guild", "leave a\x00b", "ab"),
    ("/model", "unwatch a\x00b", "No model called `ab`"),
    ("/mentor", "seek py\x00thon", "python"),
])
def test_a_nul_byte_in_a_command_is_dropped(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, caplog: pytest.LogCaptureFixture,
    name: str, text: str, expected: str,
) -> None:
    answer = command(bot, signed, slack, name, text, user_id=MEMBER)
    assert_civil(answer, caplog)
    assert expected in answer.text and "\x00" not in answer.text


def test_a_nul_byte_in_a_form_is_dropped(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, caplog: pytest.LogCaptureFixture,
) -> None:
    answer = payload(bot, signed, slack, payload_of(signed.build_view_submission(
        callback_id="guild_profile", user_id=MEMBER, values={"teach": {"teach": "py\x00thon, ml\x00ops"}})))
    assert_civil(answer, caplog)
    assert answer.status == 200


# -- forged timestamps: 401 before anything else ---------------------------------------------------


@pytest.mark.parametrize("timestamp", ["abc", "", "1e10", "NaN", "1.5", "-1", "²³", "9" * 40])
def test_a_timestamp_that_is_not_unix_seconds_gets_401_without_a_traceback(
    signed: SlackRequestBuilder, caplog: pytest.LogCaptureFixture, timestamp: str,
) -> None:
    resp = signed.slash_command("/factory", "help", user_id=MEMBER, timestamp=timestamp)
    assert resp.status_code == 401
    assert not [r for r in caplog.records if r.levelname == "ERROR" or r.exc_info]


# -- payloads Slack would not send ------------------------------------------------------------------


def test_a_click_without_actions_is_answered_at_once(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, caplog: pytest.LogCaptureFixture,
) -> None:
    body = payload_of(signed.build_block_actions(action_id="guild_join", value="mlops",
                                                               user_id=MEMBER, channel_id="C0GENERAL"))
    for actions in ([], [None], ["guild_join"], {}):
        answer = payload(bot, signed, slack, {**body, "actions": actions})
        assert answer.status < 500 and answer.seconds < 2, answer
        assert_civil(answer, caplog)


def test_a_form_with_foreign_metadata_is_answered_under_the_form(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, caplog: pytest.LogCaptureFixture,
) -> None:
    for metadata in ("[]", "not json", '{"type": 3}', '"model_rollback"'):
        resp = signed.view_submission(callback_id="approval_request", user_id=MEMBER, private_metadata=metadata,
                                      values={"justification": {"value": "because"}})
        assert resp.status_code == 200 and resp.json()["response_action"] == "errors"
    for callback in ("approval_reject_reason", "approval_comment_text"):
        resp = signed.view_submission(callback_id=callback, user_id=MEMBER, private_metadata="²",
                                      values={"reason": {"value": "x"}, "comment": {"value": "x"}})
        assert resp.status_code == 200 and "does not belong to a request" in json.dumps(resp.json())
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_a_click_without_a_response_url_is_answered_by_dm(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, caplog: pytest.LogCaptureFixture,
) -> None:
    body = payload_of(signed.build_block_actions(action_id="approval_approve", value="12345",
                                                               user_id=MEMBER, view={"id": "V1"}))
    assert "response_url" not in body
    answer = payload(bot, signed, slack, body)
    assert_civil(answer, caplog)
    dm = slack.calls("chat.postMessage")[-1].params
    assert dm["channel"] == MEMBER and "AR-12345" in dm["text"]


def test_ids_slack_would_never_send_are_refused_with_400(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, caplog: pytest.LogCaptureFixture,
) -> None:
    answer = command(bot, signed, slack, "/guild", "join mlops", user_id="U" * 10_000)
    assert answer.status == 400
    event_body = json.loads(signed.build_event({"type": "member_joined_channel", "user": MEMBER,
                                                "channel": "C0MLOPS01"})[0])
    assert event(bot, signed, slack, {**event_body, "event_id": "E" * 1000}).status == 400
    assert event(bot, signed, slack, {**event_body, "event": {"type": "member_joined_channel", "user": "u;--"}}
                 ).status == 400
    ignored = event(bot, signed, slack, {**event_body, "event": {"type": "member_joined_channel", "user": ["x"]}})
    assert ignored.status == 200 and not ignored.messages
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


# -- the request form no longer offers what it cannot build -------------------------------------


def test_a_rollback_request_points_to_model_rollback(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, caplog: pytest.LogCaptureFixture,
) -> None:
    answer = command(bot, signed, slack, "/approval", "request model_rollback", user_id=MEMBER)
    assert_civil(answer, caplog)
    assert "`/model rollback <name> [alias]`" in answer.text and not answer.modals
    picked = payload(bot, signed, slack, payload_of(signed.build_block_actions(
        action_id="approval_type", user_id=MEMBER, view={"id": "V1", "hash": "h"},
        action_fields={"selected_option": {"value": "model_rollback"}})))
    assert_civil(picked, caplog)
    assert "model_rollback" not in json.dumps(picked.modals)


def mrkdwn(message: dict) -> str:
    """What Slack parses for mentions: the notification text and every mrkdwn text object."""
    found = [message.get("text", "")]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node.get("text", ""))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks"))
    return "\n".join(found)


# -- a failure after the ack: logged once, answered, never held ------------------------------------


class BrokenPolicy:
    """A policy with a bug in it, passed to the composition root as a replacement."""

    def __getattr__(self, name: str) -> object:
        raise RuntimeError("secret internals")


def test_a_listener_failing_after_its_ack_is_logged_once_and_answered_at_once(
    bot_settings: Settings, database: Database, slack: SlackStandIn, caplog: pytest.LogCaptureFixture,
) -> None:
    broken = bootstrap(bot_settings, db=database, policy=BrokenPolicy())  # type: ignore[arg-type]
    server = start_in_thread(broken.wsgi())
    try:
        with SlackRequestBuilder(signing_secret=SIGNING_SECRET, url=f"{server.url}/slack/events") as signed:
            body = payload_of(signed.build_block_actions(
                action_id="approval_type", user_id=MEMBER, view={"id": "V1", "hash": "h"},
                action_fields={"selected_option": {"value": "data_access"}}))
            answer = payload(broken, signed, slack, body)
    finally:
        server.stop()
        broken.close()
    assert answer.status == 200 and answer.seconds < 1  # not Bolt's 404 after 3 s
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "type_changed on block_actions failed (ref" in errors[0].getMessage()
    told = slack.calls("chat.postMessage")[-1].params
    assert told["channel"] == MEMBER and "I could not finish this (ref `" in told["text"]
    assert "secret internals" not in told["text"]


def test_a_payload_nested_past_reason_is_refused_with_400(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, caplog: pytest.LogCaptureFixture,
) -> None:
    body = payload_of(signed.build_block_actions(action_id="guild_join", value="mlops", user_id=MEMBER,
                                                 channel_id="C0GENERAL"))
    for depth in (900, 100_000):
        deep = json.dumps({**body, "state": {"values": {}}})[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"
        resp = signed.send(urlencode({"payload": deep}).encode(), {"Content-Type": "application/x-www-form-urlencoded"})
        assert resp.status_code in (200, 400)
    bot.drain()
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
