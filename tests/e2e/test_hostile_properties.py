"""Property-based hostile input against the real app over signed HTTP (issue 13, point 1): any text
to every slash command, and clicks, forms and events of shapes Slack would not send.  Whatever
comes in: never a 5xx, nothing logged as an error, and for a command a specific answer to the
person — never a generic apology.

One bot and one server per test serve all of its examples; the seed is fixed and the examples
bounded, so the run is the same in CI every time and takes seconds.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.runtime.bootstrap import Bot
from bot.runtime.settings import Settings
from bot.sandbox import SlackRequestBuilder, SlackStandIn
from handlers.approvals import views as approvals
from handlers.command_specs import COMMANDS
from handlers.guilds import views as guilds
from handlers.mentoring import views as mentoring
from handlers.models import views as models
from handlers.showtell import views as showtell
from tests.e2e.conftest import ADMIN, MEMBER
from tests.e2e.hostile import assert_civil, command, event, payload, payload_of
from tests.e2e.hostile import mlops  # noqa: F401 - a fixture

HOSTILE = settings(
    derandomize=True, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

SPECIAL = st.sampled_from([
    "<@U0MEMBER1>", "<@U0ADMIN01|ada>", "<#C0GENERAL|general>", "<#C0MLOPS01>", "<!channel>", "<!here>",
    "<!everyone>", "<!subteam^S0TEAM|@team>", "<https://evil.example|click>", "&lt;!channel&gt;", "@ada", "#general",
])
INJECTION = st.sampled_from([
    "'; DROP TABLE guilds; --", "\" OR 1=1 --", "*bold* _it_ ~gone~ `code` ```block```", ">quote", "\\", '"', "'",
    "“unclosed", "‘", "%00", "\x00", "a\x00b", "${jndi:ldap://x}", "../../etc/passwd", "{{7*7}}", "\u202eevil",
])
NUMBERS = st.one_of(st.integers(-5, 2**40).map(str), st.sampled_from(["²", "٣", "1e3", "0x10", "9" * 5000, "AR-²"]))
WORD = st.one_of(st.text(max_size=24), SPECIAL, INJECTION, NUMBERS, st.sampled_from(["mlops", "ML Ops", "churn"]))
LONG = st.builds(lambda piece, n: (piece * n)[:10_000], st.text(min_size=1, max_size=3), st.integers(1000, 10_000))
TEXT = st.one_of(st.lists(WORD, max_size=6).map(" ".join), st.text(max_size=300), LONG)


def subcommand_text(name: str) -> st.SearchStrategy[str]:
    """A known subcommand (or any word) followed by hostile arguments."""
    subs = [sub.name for sub in COMMANDS[name].subcommands]
    head = st.one_of(st.sampled_from(subs), st.sampled_from([s.upper() for s in subs]), WORD)
    return st.tuples(head, TEXT).map(lambda parts: f"{parts[0]} {parts[1]}")


COMMAND = st.sampled_from(sorted(COMMANDS)).flatmap(lambda name: st.tuples(st.just(name), subcommand_text(name)))


@pytest.fixture
def bot_settings(mlflow_bot_settings: Settings) -> Settings:
    return mlflow_bot_settings


@settings(HOSTILE, max_examples=150)
@given(sent=COMMAND, user=st.sampled_from([MEMBER, ADMIN]))
def test_any_command_text_gets_a_specific_ephemeral_answer(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, caplog: pytest.LogCaptureFixture, mlops: str,
    sent: tuple[str, str], user: str,
) -> None:
    caplog.clear()
    name, text = sent
    answer = command(bot, signed, slack, name, text, user_id=user)
    assert answer.status == 200
    assert_civil(answer, caplog)
    assert answer.text.strip(), f"{name} {text!r} got no answer"
    replies = [m for m in answer.messages if "response_type" in m or "replace_original" in m]
    assert all(m.get("response_type") == "ephemeral" for m in replies), replies


ACTION_IDS = [
    approvals.APPROVE_ACTION, approvals.REJECT_ACTION, approvals.COMMENT_ACTION, approvals.CANCEL_ACTION,
    approvals.TYPE_ACTION, guilds.JOIN_ACTION, guilds.LEAVE_ACTION, *guilds.PAGE_ACTIONS, guilds.PROFILE_ACTION,
    models.MODEL_LIST_PAGE_ACTION, *mentoring.CHECKIN_ACTIONS.values(), showtell.KUDOS_ACTION,
    showtell.ACCEPT_ACTION, showtell.PASS_ACTION, showtell.LINK_ACTION, showtell.PROPOSE_ACTION,
]
CALLBACKS = [approvals.REQUEST_CALLBACK, approvals.REJECT_CALLBACK, approvals.COMMENT_CALLBACK,
             guilds.PROFILE_CALLBACK, showtell.PROPOSE_CALLBACK, showtell.SCHEDULE_CALLBACK, showtell.LINK_CALLBACK]
JUNK = st.one_of(st.none(), st.integers(), st.booleans(), st.lists(st.integers(), max_size=2),
                 st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2))
VALUE = st.one_of(WORD, LONG, JUNK, st.sampled_from(["mlops:0", "mlops:info", "mlops:²", '{"f": "", "t": 1}', "[]"]))
ACTION = st.fixed_dictionaries(
    {"action_id": st.sampled_from(ACTION_IDS), "type": st.just("button")},
    optional={"value": VALUE, "block_id": WORD, "selected_option": JUNK | st.fixed_dictionaries({"value": VALUE})},
)
ACTIONS = st.one_of(st.lists(ACTION, min_size=1, max_size=2), st.lists(ACTION | JUNK, max_size=2), JUNK)
CONTAINER = st.sampled_from(["message", "view", "none"])
STATE = st.one_of(JUNK, st.dictionaries(st.sampled_from(["teach", "learn", "justification", "reason", "comment",
                                                         "title", "session", "link", "field:model", "type"]),
                                        st.dictionaries(st.text(max_size=8), JUNK | st.fixed_dictionaries(
                                            {"value": VALUE})), max_size=4))


@settings(HOSTILE, max_examples=120)
@given(actions=ACTIONS, container=CONTAINER, user=st.sampled_from([MEMBER, ADMIN]))
def test_any_click_is_acknowledged_without_a_failure(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, caplog: pytest.LogCaptureFixture, mlops: str,
    actions: Any, container: str, user: str,
) -> None:
    caplog.clear()
    where: dict[str, Any] = {"message": {"channel_id": "C0GENERAL"}, "view": {"view": {"id": "V1", "hash": "h"}},
                             "none": {}}[container]
    built = payload_of(signed.build_block_actions(action_id="x", user_id=user, **where))
    answer = payload(bot, signed, slack, {**built, "actions": actions})
    assert_civil(answer, caplog)


@settings(HOSTILE, max_examples=100)
@given(callback=st.sampled_from(CALLBACKS), metadata=st.one_of(WORD, st.sampled_from(["[]", "{}", '{"type": []}'])),
       state=STATE, user=st.sampled_from([MEMBER, ADMIN]))
def test_any_form_is_answered_without_a_failure(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, caplog: pytest.LogCaptureFixture, mlops: str,
    callback: str, metadata: str, state: Any, user: str,
) -> None:
    caplog.clear()
    built = payload_of(signed.build_view_submission(callback_id=callback, values={}, user_id=user,
                                                             private_metadata=metadata))
    built["view"]["state"] = {"values": state}
    answer = payload(bot, signed, slack, built)
    assert answer.status == 200
    assert_civil(answer, caplog)


EVENT = st.fixed_dictionaries(
    {"type": st.sampled_from(["app_home_opened", "member_joined_channel", "member_left_channel", "message"])},
    optional={"user": st.one_of(st.sampled_from([MEMBER, ADMIN, "U0NOBODY1"]), WORD, JUNK),
              "channel": st.one_of(st.sampled_from(["C0MLOPS01", "C0GENERAL"]), WORD, JUNK),
              "tab": st.one_of(st.sampled_from(["home", "messages"]), JUNK), "text": TEXT},
)


@settings(HOSTILE, max_examples=80)
@given(sent=EVENT, event_id=st.one_of(st.none(), WORD))
def test_any_event_is_acknowledged_without_a_failure(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, caplog: pytest.LogCaptureFixture, mlops: str,
    sent: dict[str, Any], event_id: str | None,
) -> None:
    caplog.clear()
    envelope = json.loads(signed.build_event(sent)[0])
    if event_id is not None:
        envelope["event_id"] = event_id
    answer = event(bot, signed, slack, envelope)
    assert_civil(answer, caplog)
