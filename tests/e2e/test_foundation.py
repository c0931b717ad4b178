"""The foundation end to end: signed requests over HTTP to the real app, Web API calls to the stand-in."""

from __future__ import annotations

import time

import pytest
import requests
from sqlalchemy import text

from bot.runtime.bootstrap import Bot, bootstrap
from bot.runtime.server import RunningServer, start_in_thread
from bot.runtime.settings import Settings
from bot.sandbox import SlackRequestBuilder, SlackStandIn
from handlers.command_specs import COMMANDS
from storage.db import Database
from tests.e2e.conftest import ADMIN, MEMBER, SIGNING_SECRET, texts


def test_factory_help_answers_ephemerally_with_every_command(signed: SlackRequestBuilder) -> None:
    resp = signed.slash_command("/factory", "help", user_id=MEMBER)
    assert resp.status_code == 200
    body = resp.json()
    assert body["response_type"] == "ephemeral"
    for name in COMMANDS:
        if name != "/factory":
            assert f"{name} help" in texts(body)
    assert "admin" not in texts(body)


def test_factory_help_tells_an_admin_so(signed: SlackRequestBuilder) -> None:
    body = signed.slash_command("/factory", "", user_id=ADMIN).json()
    assert "You are a factorybot admin" in texts(body)


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "/factory"])
def test_every_command_answers_help_with_its_planned_usage(signed: SlackRequestBuilder, command: str) -> None:
    body = signed.slash_command(command, "help", user_id=MEMBER).json()
    assert body["response_type"] == "ephemeral"
    for sub in COMMANDS[command].subcommands:
        assert f"{command} {sub.usage}" in texts(body)


def test_a_planned_subcommand_says_it_is_not_available_yet(signed: SlackRequestBuilder) -> None:
    planned = [(c, s) for c, spec in COMMANDS.items() for s in spec.subcommands if not s.available]
    if not planned:
        pytest.skip("every subcommand is available")
    command, sub = planned[0]
    body = signed.slash_command(command, f"{sub.name} x", user_id=MEMBER).json()
    assert body["response_type"] == "ephemeral"
    assert f"`{command} {sub.usage}` is planned but not available yet." in body["text"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [("dance", "`/model dance` is not something I know."), ('status "unclosed', "A quote is not closed.")],
)
def test_bad_arguments_get_an_ephemeral_error_with_usage(signed: SlackRequestBuilder, text: str, problem: str) -> None:
    resp = signed.slash_command("/model", text, user_id=MEMBER)
    assert resp.status_code == 200
    body = resp.json()
    assert body["response_type"] == "ephemeral"
    assert body["text"] == problem
    assert "/model deploy <name> <version> [to <alias>]" in texts(body)


class BrokenPolicy:
    """A policy with a bug in it, passed to the composition root as a replacement."""

    def __getattr__(self, name: str) -> object:
        raise RuntimeError("secret internals")


def test_a_bug_gets_a_civil_answer_not_a_500(bot_settings: Settings, database: Database, slack: SlackStandIn) -> None:
    bot = bootstrap(bot_settings, db=database, policy=BrokenPolicy())  # type: ignore[arg-type]
    server = start_in_thread(bot.wsgi())
    try:
        with SlackRequestBuilder(signing_secret=SIGNING_SECRET, url=f"{server.url}/slack/events",
                                 response_url_base=slack.response_url("")) as signed:
            resp = signed.slash_command("/approval", "request", user_id=MEMBER)
            (answer,) = slack.wait_for("response_url")  # the form opens after the ack
    finally:
        server.stop()
        bot.close()
    assert resp.status_code == 200
    assert "I could not finish this (ref `" in answer.params["text"]
    assert "secret internals" not in str(answer.params)


def test_a_forged_signature_gets_401_and_changes_nothing(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, bot: Bot
) -> None:
    resp = signed.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"}, signature="v0=" + "0" * 64)
    assert resp.status_code == 401
    resp = signed.slash_command("/factory", "help", user_id=MEMBER, signature="v0=deadbeef")
    assert resp.status_code == 401
    bot.drain()
    assert slack.calls("views.publish") == []
    _assert_nothing_written(database)


def test_a_replayed_request_older_than_five_minutes_gets_401(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, bot: Bot
) -> None:
    old = int(time.time()) - 6 * 60
    resp = signed.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"}, timestamp=old)
    assert resp.status_code == 401
    assert signed.slash_command("/factory", "help", user_id=MEMBER, timestamp=old).status_code == 401
    bot.drain()
    assert slack.calls("views.publish") == []
    _assert_nothing_written(database)


def _assert_nothing_written(database: Database) -> None:
    with database.unit_of_work() as uow:
        for table in ("activity_events", "members", "processed_events"):
            assert uow.session.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0


def test_app_home_is_published_when_opened(signed: SlackRequestBuilder, slack: SlackStandIn) -> None:
    resp = signed.event({"type": "app_home_opened", "user": ADMIN, "tab": "home", "channel": "D0HOME"})
    assert resp.status_code == 200
    (call,) = slack.wait_for("views.publish")
    assert call.params["user_id"] == ADMIN
    view = call.params["view"]
    assert view["type"] == "home"
    assert "You are a factorybot admin" in texts(view)


def test_messages_tab_opening_publishes_nothing(signed: SlackRequestBuilder, slack: SlackStandIn, bot: Bot) -> None:
    signed.event({"type": "app_home_opened", "user": MEMBER, "tab": "messages", "channel": "D0HOME"})
    bot.drain()
    assert slack.calls("views.publish") == []


def test_rate_limited_web_api_call_is_retried_after_retry_after(
    signed: SlackRequestBuilder, slack: SlackStandIn
) -> None:
    slack.fail("views.publish", status=429, retry_after=1)
    signed.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    slack.wait_for("views.publish", count=1, timeout=8)
    calls = slack.calls("views.publish")
    assert [c.ok for c in calls] == [False, True]


def test_server_error_from_slack_is_retried(signed: SlackRequestBuilder, slack: SlackStandIn) -> None:
    slack.fail("views.publish", status=503)
    signed.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    slack.wait_for("views.publish", count=1, timeout=8)
    assert [c.ok for c in slack.calls("views.publish")] == [False, True]


def test_url_verification_echoes_the_challenge(signed: SlackRequestBuilder) -> None:
    resp = signed.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert resp.status_code == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in resp.text


def test_health_check_and_unknown_paths(bot_server: RunningServer) -> None:
    resp = requests.get(f"{bot_server.url}/healthz", timeout=5)
    assert resp.status_code == 200
    assert resp.json() == {"ok": True, "database": "ok",
                           "after_ack": {"in_flight": 0, "capacity": 40, "saturated": False}}
    assert requests.get(f"{bot_server.url}/nope", timeout=5).status_code == 404
    assert requests.get(f"{bot_server.url}/slack/events", timeout=5).status_code == 404
