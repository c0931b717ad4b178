"""Faults of what the bot depends on: nothing lost, nothing done twice, the person told.

* Slack answering 429, 500 or nothing at all on ``conversations.open``, ``chat.postMessage``
  and ``views.open`` (the stand-in's :meth:`~bot.sandbox.SlackStandIn.fail`; a call that
  fails is not carried out).  The client retries a 429 after ``Retry-After`` and a 500
  twice; what still fails is left to the bot: an approval DM is retried by the SLA job, a
  form that did not open (the profile button's, opened after the ack) is said so to the person.
* The PostgreSQL connections dropped between two commands (a failover, a restarted
  server): the pool checks a connection before lending it (``pool_pre_ping``), so the next
  command works and nothing written before is lost.
* MLflow down or slow is covered by tests/e2e/test_models.py and test_after_ack.py.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from bot.runtime.bootstrap import Bot, bootstrap, build_web_client
from bot.runtime.server import start_in_thread
from bot.runtime.settings import Settings
from bot.sandbox import SlackRequestBuilder, SlackStandIn
from jobs import JobContext
from storage import approvals as store
from storage.db import Database
from tests.conftest import ON_POSTGRES
from tests.e2e.approval_helpers import CountingExecutor, messages, model_deploy, texts
from tests.e2e.conftest import ADMIN, MEMBER, SIGNING_SECRET

CLIENT_TIMEOUT = 0.5  # seconds; the stand-in's unanswered calls hang longer than that
# (how to fail, how many calls fail): once for a 429 (the client waits and retries), three times
# for a 500 (one call and the client's two retries), once for a call that never gets an answer.
FAULTS = {
    "429": ({"status": 429, "retry_after": 1}, 1),
    "500": ({"status": 500}, 3),
    "timeout": ({"timeout": CLIENT_TIMEOUT + 0.5}, 1),
}


@pytest.fixture
def bot_parts(bot_settings: Settings) -> dict[str, Any]:
    client = build_web_client(bot_settings)
    client.timeout = CLIENT_TIMEOUT  # the production client, impatient: a silent Slack fails fast
    return {"executor": CountingExecutor(), "client": client}




def ok_posts(slack: SlackStandIn) -> list[str]:
    return [c.params["channel"] for c in slack.calls("chat.postMessage") if c.ok]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("method", ["conversations.open", "chat.postMessage"])
def test_an_approval_dm_slack_fails_to_take_is_delivered_once_by_the_sla_job(
    signed: SlackRequestBuilder, slack: SlackStandIn, bot: Bot, database: Database, job_context: JobContext,
    method: str, fault: str,
) -> None:
    how, times = FAULTS[fault]
    slack.fail(method, times=times, **how)
    body = model_deploy(signed, slack, "churn 3", user=MEMBER)
    assert "Filed *AR-1*" in texts(body)  # the request is safe before Slack is asked anything
    bot.drain()
    delivered_at_once = len(ok_posts(slack))
    with database.unit_of_work() as uow:
        filed_at = store.get_request(uow.session, 1).created_at

    retried = job_context.services.approval_routing.sla_tick(now=filed_at + timedelta(minutes=3)).retried
    assert (delivered_at_once, retried) == ((2, 0) if fault == "429" else (1, 1))
    assert set(messages(database, 1)) == {("requester", MEMBER), ("approver", ADMIN)}
    assert len(ok_posts(slack)) == 2 == len(set(ok_posts(slack)))  # each DM once
    assert job_context.services.approval_routing.sla_tick(now=filed_at + timedelta(minutes=9)).retried == 0


@pytest.mark.parametrize("fault", FAULTS)
def test_a_form_slack_fails_to_open_is_said_so_once(
    signed: SlackRequestBuilder, slack: SlackStandIn, bot: Bot, fault: str
) -> None:
    how, times = FAULTS[fault]
    slack.fail("views.open", times=times, **how)
    resp = signed.block_actions(action_id="guild_profile_open", value="profile", user_id=MEMBER,
                                view={"id": "V0HOME", "type": "home"})
    assert resp.status_code == 200
    bot.drain()
    opened = [c for c in slack.calls("views.open") if c.ok]
    if fault == "429":
        assert len(opened) == 1  # after the wait Slack asked for
        return
    assert opened == []
    (told,) = [c.params for c in slack.calls("chat.postMessage") if c.ok]  # no response URL on Home: a DM
    assert told["channel"] == MEMBER and "try again in a minute" in told["text"], told


@pytest.mark.skipif(not ON_POSTGRES, reason="a SQLite file has no server to drop its connections")
def test_the_database_connections_dropped_between_two_commands_lose_nothing(
    bot_settings: Settings, database_url: str, slack: SlackStandIn, database: Database
) -> None:
    name = f"factorybot-faults-{uuid.uuid4().hex[:8]}"  # to drop this bot's connections only
    db = Database(database_url, connect_args={"application_name": name})
    bot = bootstrap(bot_settings, db=db, executor=CountingExecutor())
    server = start_in_thread(bot.wsgi())
    signed = SlackRequestBuilder(signing_secret=SIGNING_SECRET, url=f"{server.url}/slack/events",
                                 response_url_base=slack.response_url(""))
    try:
        assert "Filed *AR-1*" in texts(model_deploy(signed, slack, "churn 3", user=MEMBER))
        bot.drain()
        with database.engine.begin() as conn:
            dropped = conn.execute(
                text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :n"),
                {"n": name},
            ).scalar_one()
        assert dropped >= 1
        assert "Filed *AR-2*" in texts(model_deploy(signed, slack, "churn 4", user=MEMBER))
        bot.drain()
        reply = signed.slash_command("/approval", "status AR-1", user_id=MEMBER)
        assert reply.status_code == 200
        answer = reply.json() if reply.text else slack.wait_for("response_url", count=3)[-1].params
        assert "AR-1" in texts(answer) and "Something went wrong" not in texts(answer)
        with database.unit_of_work() as uow:
            assert [r.id for r in store.list_requests(uow.session, limit=10)] == [2, 1]
    finally:
        bot.drain()
        server.stop()
        bot.close()
        db.dispose()
        signed.close()
