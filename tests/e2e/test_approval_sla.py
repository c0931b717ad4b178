"""Approvals end to end, after filing: the SLA job, Slack outages, and looking at requests."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.runtime.bootstrap import Bot
from bot.sandbox import SlackRequestBuilder, SlackStandIn
from jobs import JobContext
from jobs.approvals import run_sla
from storage import approvals as store
from storage.db import Database
from storage.models import utcnow
from storage.repositories import activity_between
from tests.e2e.approval_helpers import (
    answers,
    CountingExecutor,
    audit_kinds,
    messages,
    model_deploy,
    texts,
    updates_of,
    wait_messages,
)
from tests.e2e.conftest import ADMIN, MEMBER
from tests.polling import eventually


@pytest.fixture
def bot_parts() -> dict[str, object]:
    return {"executor": CountingExecutor()}




def run_sla_with(job_context: JobContext, *, now):  # noqa: ANN001, ANN201
    return job_context.services.approval_routing.sla_tick(now=now)


def deploy(signed: SlackRequestBuilder, database: Database, text: str = "churn 3") -> int:
    assert signed.slash_command("/model", f"deploy {text}", user_id=MEMBER).status_code == 200
    return eventually(lambda: _latest(database))


def _latest(database: Database) -> int | None:
    with database.unit_of_work() as uow:
        found = store.list_requests(uow.session, limit=1)
    return found[0].id if found else None


def dms_with(slack: SlackStandIn, words: str) -> list[dict]:
    return [c.params for c in slack.calls("chat.postMessage") if c.ok and words in texts(c.params)]


def test_the_sla_job_reminds_escalates_and_expires_each_step_once(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, job_context: JobContext
) -> None:
    request_id = deploy(signed, database)
    found = wait_messages(database, request_id, count=2)
    with database.unit_of_work() as uow:
        filed_at = store.get_request(uow.session, request_id).created_at

    def tick(hours: float) -> str:
        return str(run_sla_with(job_context, now=filed_at + timedelta(hours=hours)))

    assert tick(1) == "0 reminded, 0 escalated, 0 expired, 0 retried, 0 executed"
    assert tick(25).startswith("1 reminded")
    assert tick(25).startswith("0 reminded")  # a second run sends nothing twice
    reminders = dms_with(slack, "Reminder: *AR-1*")
    assert len(reminders) == 1
    assert reminders[0]["channel"] == found[("approver", ADMIN)].channel  # to the approver, not the requester
    assert tick(49).startswith("1 reminded")
    assert tick(73) == "0 reminded, 1 escalated, 0 expired, 0 retried, 0 executed"  # at most 2 reminders
    assert tick(73).startswith("0 reminded, 0 escalated")
    assert len(dms_with(slack, "Escalation: *AR-1*")) == 1

    assert tick(15 * 24) == "0 reminded, 0 escalated, 1 expired, 0 retried, 0 executed"
    assert tick(15 * 24 + 1).startswith("0 reminded, 0 escalated, 0 expired")
    receipt = updates_of(slack, found[("requester", MEMBER)])
    assert "Expired" in texts(receipt[-1]) and not any(b["type"] == "actions" for b in receipt[-1]["blocks"])
    assert len(dms_with(slack, "expired without a decision")) == 1  # the outcome DM to the requester
    assert audit_kinds(database, request_id) == ["requested", "reminded", "reminded", "escalated", "expired"]
    with database.unit_of_work() as uow:
        kinds = [e.kind for e in activity_between(uow.session, filed_at, filed_at + timedelta(days=30))]
    assert kinds.count("approval.sla_breached") == 1 and kinds.count("approval.expired") == 1

    signed.block_actions(action_id="approval_approve", value=str(request_id), user_id=ADMIN,
                         channel_id=found[("approver", ADMIN)].channel,
                         message={"type": "message", "ts": found[("approver", ADMIN)].ts, "text": ""})
    (answer,) = answers(slack)
    assert "AR-1 was already expired without a decision" in answer.params["text"]


def test_the_scheduled_entry_point_reads_its_context(job_context: JobContext) -> None:
    assert run_sla() == "0 reminded, 0 escalated, 0 expired, 0 retried, 0 executed"


def test_slack_failing_when_notifying_keeps_the_request_and_the_sla_job_delivers_it(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, job_context: JobContext, bot: Bot
) -> None:
    slack.fail("chat.postMessage", error="internal_error", times=2)
    body = model_deploy(signed, slack, "churn 3", user=MEMBER)
    assert "Filed *AR-1*" in texts(body)  # committed before Slack was asked anything
    eventually(lambda: len(slack.calls("chat.postMessage")) == 2)
    bot.drain()
    assert messages(database, 1) == {}
    with database.unit_of_work() as uow:
        (mark,) = store.sla_marks_for(uow.session, 1)
        assert mark.kind == "deliver" and mark.delivered_at is None
        filed_at = store.get_request(uow.session, 1).created_at

    assert run_sla_with(job_context, now=filed_at + timedelta(minutes=1)).retried == 0  # too soon: not lost yet
    assert run_sla_with(job_context, now=filed_at + timedelta(minutes=3)).retried == 1
    assert set(wait_messages(database, 1, count=2)) == {("requester", MEMBER), ("approver", ADMIN)}
    assert run_sla_with(job_context, now=filed_at + timedelta(minutes=9)).retried == 0
    assert len([c for c in slack.calls("chat.postMessage") if c.ok]) == 2


def test_status_shows_the_whole_timeline(signed: SlackRequestBuilder, slack: SlackStandIn, database: Database) -> None:
    request_id = deploy(signed, database)
    found = wait_messages(database, request_id, count=2)
    signed.view_submission(callback_id="approval_comment_text", user_id=MEMBER, private_metadata=str(request_id),
                           values={"comment": {"value": "Eval report is in the run"}})
    signed.block_actions(action_id="approval_approve", value=str(request_id), user_id=ADMIN,
                         channel_id=found[("approver", ADMIN)].channel,
                         message={"type": "message", "ts": found[("approver", ADMIN)].ts, "text": ""})
    eventually(lambda: audit_kinds(database, request_id)[-1] == "executed")

    body = signed.slash_command("/approval", "status ar-1", user_id=MEMBER).json()
    shown = texts(body)
    assert body["response_type"] == "ephemeral"
    assert "*AR-1 · Model deployment*" in shown and "churn" in shown
    for line in (f"requested by <@{MEMBER}>", f"commented by <@{MEMBER}>: Eval report is in the run",
                 f"approved by <@{ADMIN}>", "— deployment done: deployed AR-1"):
        assert line in shown, line
    assert "by the deployment service" not in shown
    assert re.search(r"• <!date\^\d+\^\{date_short_pretty\} at \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC> — requested", shown)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("status AR-99", "There is no request AR-99."), ("status nonsense", "`nonsense` is not a request id"),
     ("status", "Which request?"), ("list everything", "List `mine`, `pending` or `all`")],
)
def test_looking_at_requests_wrongly_gets_a_specific_answer(signed: SlackRequestBuilder, text: str, problem: str) -> None:
    body = signed.slash_command("/approval", text, user_id=MEMBER).json()
    assert body["response_type"] == "ephemeral" and problem in body["text"]


def test_list_shows_mine_what_waits_for_me_and_all(signed: SlackRequestBuilder, database: Database) -> None:
    deploy(signed, database)
    deploy(signed, database, text="fraud 7 to staging")
    wait_messages(database, 2, count=2)
    mine = texts(signed.slash_command("/approval", "list", user_id=MEMBER).json())
    assert "Your requests" in mine and "`AR-1`" in mine and "`AR-2`" in mine and "fraud v7 → staging" in mine
    waiting = texts(signed.slash_command("/approval", "list pending", user_id=ADMIN).json())
    assert "Waiting for your decision" in waiting and "`AR-2`" in waiting and f"<@{MEMBER}>" in waiting
    assert "none" in texts(signed.slash_command("/approval", "list pending", user_id=MEMBER).json())
    everything = texts(signed.slash_command("/approval", "list all", user_id=ADMIN).json())
    assert "All requests" in everything and "`AR-1`" in everything


def test_activity_log_gets_the_digest_kinds_and_figures(signed: SlackRequestBuilder, database: Database) -> None:
    request_id = deploy(signed, database)
    found = wait_messages(database, request_id, count=2)
    now = utcnow()
    with database.unit_of_work() as uow:
        (event,) = activity_between(uow.session, now - timedelta(hours=1), now + timedelta(hours=1))
    assert (event.kind, event.actor, event.subject, event.figures) == (
        "approval.requested", MEMBER, "AR-1", {"tier": "medium", "type": "model_deployment"})

    signed.block_actions(action_id="approval_approve", value=str(request_id), user_id=ADMIN,
                         channel_id=found[("approver", ADMIN)].channel,
                         message={"type": "message", "ts": found[("approver", ADMIN)].ts, "text": ""})
    eventually(lambda: audit_kinds(database, request_id)[-1] == "executed")
    with database.unit_of_work() as uow:
        events = activity_between(uow.session, now - timedelta(hours=1), utcnow() + timedelta(seconds=1))
    assert [e.kind for e in events] == ["approval.requested", "approval.approved", "approval.executed"]
    assert events[1].figures["hours_to_decision"] < 0.1 and events[2].figures["status"] == "succeeded"


def test_app_home_shows_what_waits_for_the_approver_and_the_requesters_open_requests(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database
) -> None:
    deploy(signed, database)
    wait_messages(database, 1, count=2)
    signed.event({"type": "app_home_opened", "user": ADMIN, "tab": "home"})
    (published,) = slack.wait_for("views.publish")
    shown = texts(published.params["view"])
    assert "*Approvals* — 1 waiting for your decision · 0 of your requests open" in shown
    assert f"`AR-1` Model deployment: churn v3 → production from <@{MEMBER}>" in shown
    signed.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    published = slack.wait_for("views.publish", count=2)[-1]
    assert "`AR-1` yours: churn v3 → production — 0 of 1 approval" in texts(published.params["view"])
