"""Approvals end to end: signed requests to the real app, Web API calls checked on the stand-in.

Requests are filed with ``/model deploy`` or the ``/approval request`` modal, approvers
get DMs with buttons, clicks and modal submissions decide, and every decision updates
the messages in place.  The deployment service is a counting double.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import requests

from bot.runtime.bootstrap import Bot, bootstrap
from bot.approvals.policy_file import parse_policy
from bot.runtime.server import start_in_thread
from bot.runtime.settings import Settings
from bot.sandbox import SlackRequestBuilder, SlackStandIn
from storage.approvals import list_requests
from storage.db import Database
from tests.e2e.approval_helpers import (
    answers,
    CHANNEL_POLICY,
    LEAD,
    OUTSIDER,
    SECURITY,
    TWO_GROUPS_POLICY,
    CountingExecutor,
    audit_kinds,
    latest_request_id,
    model_deploy,
    texts,
    updates_of,
    wait_messages,
)
from tests.e2e.conftest import ADMIN, MEMBER, SIGNING_SECRET
from tests.polling import eventually


@pytest.fixture
def policy_text() -> str | None:
    return None  # the built-in policy; tests parametrize their own


@pytest.fixture
def executor() -> CountingExecutor:
    return CountingExecutor()


@pytest.fixture
def bot_parts(bot_settings: Settings, executor: CountingExecutor, policy_text: str | None) -> dict[str, object]:
    parts: dict[str, object] = {"executor": executor}
    if policy_text:
        parts["policy"] = parse_policy(policy_text, source="test.yml", admins=bot_settings.admins)
    return parts


def deploy(signed: SlackRequestBuilder, database: Database, *, user: str = MEMBER, text: str = "churn 3") -> int:
    """File with `/model deploy` (acknowledged at once, answered after) and wait for the request."""
    with database.unit_of_work() as uow:
        before = len(list_requests(uow.session, limit=1000))
    assert signed.slash_command("/model", f"deploy {text}", user_id=user).status_code == 200
    eventually(lambda: len(_all_requests(database)) > before, what="a filed request")
    return latest_request_id(database)


def _all_requests(database: Database) -> list:
    with database.unit_of_work() as uow:
        return list_requests(uow.session, limit=1000)


def click(signed: SlackRequestBuilder, action: str, request_id: int, *, user: str, message) -> requests.Response:  # noqa: ANN001
    return signed.block_actions(
        action_id=action, value=str(request_id), user_id=user, channel_id=message.channel,
        message={"type": "message", "ts": message.ts, "text": ""}, block_id=f"approval:{request_id}",
    )


# -- requesting ---------------------------------------------------------------------------------


def test_model_deploy_files_a_request_dms_the_approver_and_sends_the_requester_a_receipt(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database
) -> None:
    body = model_deploy(signed, slack, "churn 3 to production", user=MEMBER)
    assert "Filed *AR-1* (Model deployment: churn v3 → production)" in body["text"] + texts(body)
    assert "Risk *medium*: needs 1 approval from *admins*" in texts(body)

    found = wait_messages(database, 1, count=2)
    assert set(found) == {("requester", MEMBER), ("approver", ADMIN)}
    opened = {c.params["users"] for c in slack.calls("conversations.open")}
    assert opened == {MEMBER, ADMIN}
    posts = {c.params["channel"]: c.params for c in slack.wait_for("chat.postMessage", count=2)}
    approver_dm = posts[found[("approver", ADMIN)].channel]
    assert f"<@{MEMBER}> asks for your approval" in texts(approver_dm)
    buttons = [e["action_id"] for b in approver_dm["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["approval_approve", "approval_reject", "approval_comment"]
    receipt = posts[found[("requester", MEMBER)].channel]
    assert "Your request" in texts(receipt) and "Waiting" in texts(receipt)
    assert audit_kinds(database, 1) == ["requested"]


def test_model_deploy_without_a_version_gets_its_usage(signed: SlackRequestBuilder, slack: SlackStandIn) -> None:
    body = model_deploy(signed, slack, "churn", user=MEMBER)
    assert body["response_type"] == "ephemeral"
    assert "Say which model and version" in body["text"]
    body = model_deploy(signed, slack, "churn three", user=MEMBER)
    assert "Version must be a whole number" in body["text"]


def test_asking_again_for_a_pending_deployment_answers_with_it_and_nobody_is_asked_twice(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, bot  # noqa: ANN001
) -> None:
    assert "Filed *AR-1*" in texts(model_deploy(signed, slack, "churn 3", user=MEMBER))
    wait_messages(database, 1, count=2)
    again = texts(model_deploy(signed, slack, "churn 3 to production", user=MEMBER))
    assert "You already asked for this: *AR-1* (Model deployment: churn v3 → production)" in again
    assert "Nothing was sent again" in again and "`/approval status AR-1`" in again
    other = model_deploy(signed, slack, "churn 3", user=ADMIN)["text"]
    assert other.startswith(f"<@{MEMBER}> already asked for this: AR-1 is pending")
    assert "You are one of its approvers: you can decide on it or comment on it from its message." in other
    bot.drain()
    assert len(_all_requests(database)) == 1
    assert len(slack.calls("chat.postMessage")) == 2  # the receipt and the approver's DM, once


def test_approval_request_opens_the_form_and_changing_the_type_redraws_it(
    signed: SlackRequestBuilder, slack: SlackStandIn
) -> None:
    resp = signed.slash_command("/approval", "request", user_id=MEMBER)
    assert resp.status_code == 200 and resp.text == ""
    (opened,) = slack.wait_for("views.open")
    view = opened.params["view"]
    assert view["callback_id"] == "approval_request"
    blocks = [b.get("block_id") for b in view["blocks"]]
    assert {"type", "field:model", "field:version", "field:alias", "justification",
            "answer:personal_data", "answer:external", "answer:monthly_cost"} <= set(blocks)
    assert "Does it touch personal data?" in texts(view)

    signed.block_actions(action_id="approval_type", user_id=MEMBER, action_type="static_select",
                         view={"id": "V0FORM", "hash": "h1", "private_metadata": view["private_metadata"]},
                         action_fields={"selected_option": {"value": "tool_access"}})
    (updated,) = slack.wait_for("views.update")
    assert updated.params["view_id"] == "V0FORM" and updated.params["hash"] == "h1"
    new_blocks = [b.get("block_id") for b in updated.params["view"]["blocks"]]
    assert "field:tool" in new_blocks and "field:model" not in new_blocks
    assert json.loads(updated.params["view"]["private_metadata"]) == {"type": "tool_access"}


def _form(type_id: str, fields: dict, *, why: str = "We need it for the Q4 launch", answers: dict | None = None) -> dict:
    values: dict = {"type": {"approval_type": {"type": "static_select", "selected_option": {"value": type_id}}}}
    values |= {f"field:{k}": {"value": v} for k, v in fields.items()}
    values["justification"] = {"value": why}
    for qid, answer in (answers or {"personal_data": "no", "external": "no", "monthly_cost": "100"}).items():
        element = ({"type": "number_input", "value": answer} if qid == "monthly_cost"
                   else {"type": "static_select", "selected_option": {"value": answer}})
        values[f"answer:{qid}"] = {"value": element}
    return values


def test_submitting_the_form_files_and_routes_the_request(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database
) -> None:
    resp = signed.view_submission(
        callback_id="approval_request", user_id=MEMBER, private_metadata=json.dumps({"type": "data_access"}),
        values=_form("data_access", {"dataset": "claims-2024", "access": {"type": "static_select", "selected_option": {"value": "read"}}}),
    )
    assert resp.status_code == 200 and resp.text == ""
    found = wait_messages(database, 1, count=2)
    assert set(found) == {("requester", MEMBER), ("approver", ADMIN)}
    post = next(c for c in slack.calls("chat.postMessage") if c.params["channel"] == found[("approver", ADMIN)].channel)
    shown = texts(post.params)
    assert "claims-2024" in shown and "We need it for the Q4 launch" in shown
    assert "Does it touch personal data? *no*" in shown


def test_submitting_the_same_form_twice_keeps_it_open_with_the_pending_request(
    signed: SlackRequestBuilder, bot: Bot, database: Database
) -> None:
    form = dict(callback_id="approval_request", user_id=MEMBER, private_metadata=json.dumps({"type": "data_access"}),
                values=_form("data_access", {"dataset": "claims-2024",
                                             "access": {"type": "static_select", "selected_option": {"value": "read"}}}))
    assert signed.view_submission(**form).text == ""
    again = signed.view_submission(**form).json()  # a double click on Submit
    assert again["response_action"] == "errors"
    assert "You already asked for this: AR-1 is still pending" in again["errors"]["type"]
    bot.drain()
    with database.unit_of_work() as uow:
        assert [r.public_id for r in list_requests(uow.session)] == ["AR-1"]


def test_form_problems_come_back_under_their_fields(signed: SlackRequestBuilder, database: Database) -> None:
    resp = signed.view_submission(
        callback_id="approval_request", user_id=MEMBER, private_metadata=json.dumps({"type": "model_deployment"}),
        values=_form("model_deployment", {"model": "churn", "version": "three", "alias": "production"}, why=""),
    )
    body = resp.json()
    assert body["response_action"] == "errors"
    assert body["errors"] == {"field:version": "Version must be a whole number, like 3.",
                              "justification": "Say why you need this."}
    with database.unit_of_work() as uow:
        assert list_requests(uow.session) == []  # nothing filed


def test_low_risk_tool_access_is_approved_at_once_by_the_policy(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database
) -> None:
    signed.view_submission(
        callback_id="approval_request", user_id=MEMBER, private_metadata=json.dumps({"type": "tool_access"}),
        values=_form("tool_access", {"tool": "Notion AI", "seats": "3"}),
    )
    found = wait_messages(database, 1, count=1)
    assert set(found) == {("requester", MEMBER)}  # nobody has to decide
    (receipt,) = slack.wait_for("chat.postMessage")
    assert "auto-approved by the policy (rule “low-risk tool access”)" in texts(receipt.params)
    assert not any(b["type"] == "actions" and any(e["action_id"] == "approval_approve" for e in b["elements"])
                   for b in receipt.params["blocks"])
    assert audit_kinds(database, 1) == ["requested", "auto_approved"]


# -- deciding -----------------------------------------------------------------------------------


def test_approve_updates_every_message_in_place_tells_the_requester_and_hands_over_once(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, executor: CountingExecutor
) -> None:
    request_id = deploy(signed, database)
    found = wait_messages(database, request_id, count=2)
    resp = click(signed, "approval_approve", request_id, user=ADMIN, message=found[("approver", ADMIN)])
    assert resp.status_code == 200

    for ref in found.values():
        # first the decision, then the deployment service's answer, both in place
        updates = eventually(lambda ref=ref: [u for u in updates_of(slack, ref) if "deployed AR-1" in texts(u)])
        assert updates, ref.role
        assert f"approved by <@{ADMIN}>" in texts(updates_of(slack, ref)[0])
        assert f"approved by <@{ADMIN}>" in texts(updates[-1])
        assert not any(b["type"] == "actions" for b in updates[-1]["blocks"])
    outcome = eventually(lambda: [c for c in slack.calls("chat.postMessage") if "Approved" in texts(c.params)])
    assert outcome and f"<@{ADMIN}>" in texts(outcome[0].params)
    assert eventually(lambda: executor.calls) == ["AR-1"]
    eventually(lambda: audit_kinds(database, request_id)[-1] == "executed")
    assert audit_kinds(database, request_id) == ["requested", "approved", "executed"]


def test_nobody_approves_their_own_request_even_with_a_crafted_payload(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database
) -> None:
    request_id = deploy(signed, database, user=ADMIN)  # the only admin files it: nobody else may approve
    found = wait_messages(database, request_id, count=1)
    assert set(found) == {("requester", ADMIN)}
    warning = eventually(lambda: [c for c in slack.calls("chat.postMessage") if "Nobody but you" in texts(c.params)])
    assert warning

    click(signed, "approval_approve", request_id, user=ADMIN, message=found[("requester", ADMIN)])
    (answer,) = answers(slack)
    assert answer.params["response_type"] == "ephemeral" and answer.params["replace_original"] is False
    assert "You filed this request, so someone else has to approve or reject it." in answer.params["text"]
    assert audit_kinds(database, request_id) == ["requested"]
    assert slack.calls("chat.update") == []


def test_someone_outside_the_approver_groups_is_refused(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database
) -> None:
    request_id = deploy(signed, database)
    found = wait_messages(database, request_id, count=2)
    click(signed, "approval_approve", request_id, user=OUTSIDER, message=found[("approver", ADMIN)])
    (answer,) = answers(slack)
    assert "Only *admins* can decide on this request." in answer.params["text"]
    assert audit_kinds(database, request_id) == ["requested"]


def test_reject_asks_for_a_reason_and_one_rejection_ends_the_request(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, executor: CountingExecutor
) -> None:
    request_id = deploy(signed, database)
    found = wait_messages(database, request_id, count=2)
    click(signed, "approval_reject", request_id, user=ADMIN, message=found[("approver", ADMIN)])
    (opened,) = slack.wait_for("views.open")
    modal = opened.params["view"]
    assert modal["callback_id"] == "approval_reject_reason" and modal["private_metadata"] == str(request_id)

    empty = signed.view_submission(callback_id="approval_reject_reason", user_id=ADMIN,
                                   private_metadata=str(request_id), values={"reason": {"value": " "}}).json()
    assert empty == {"response_action": "errors", "errors": {"reason": "Say why you reject it."}}

    resp = signed.view_submission(callback_id="approval_reject_reason", user_id=ADMIN, private_metadata=str(request_id),
                                  values={"reason": {"value": "No offline evaluation <!channel>"}})
    assert resp.status_code == 200 and resp.text == ""
    receipt = found[("requester", MEMBER)]
    updates = eventually(lambda: updates_of(slack, receipt))
    shown = texts(updates[-1])
    assert f"rejected by <@{ADMIN}>" in shown and "No offline evaluation &lt;!channel&gt;" in shown
    assert "<!channel>" not in json.dumps(updates[-1])  # what people type never pings
    assert audit_kinds(database, request_id) == ["requested", "rejected"]
    assert executor.calls == []


def test_comments_are_recorded_and_shown_on_the_messages(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database
) -> None:
    request_id = deploy(signed, database)
    found = wait_messages(database, request_id, count=2)
    click(signed, "approval_comment", request_id, user=ADMIN, message=found[("approver", ADMIN)])
    (opened,) = slack.wait_for("views.open")
    assert opened.params["view"]["callback_id"] == "approval_comment_text"
    signed.view_submission(callback_id="approval_comment_text", user_id=ADMIN, private_metadata=str(request_id),
                           values={"comment": {"value": "Which dataset was it evaluated on?"}})
    updates = eventually(lambda: updates_of(slack, found[("requester", MEMBER)]))
    assert f"<@{ADMIN}>: Which dataset was it evaluated on?" in texts(updates[-1])
    assert "Waiting" in texts(updates[-1])  # a comment decides nothing
    assert audit_kinds(database, request_id) == ["requested", "commented"]


def test_the_requester_may_cancel_while_pending_and_nothing_changes_after(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database
) -> None:
    request_id = deploy(signed, database)
    found = wait_messages(database, request_id, count=2)
    receipt = found[("requester", MEMBER)]
    click(signed, "approval_cancel", request_id, user=ADMIN, message=found[("approver", ADMIN)])
    (answer,) = answers(slack)
    assert f"Only <@{MEMBER}>, who filed AR-1, can cancel it." in answer.params["text"]

    click(signed, "approval_cancel", request_id, user=MEMBER, message=receipt)
    updates = eventually(lambda: len(updates_of(slack, found[("approver", ADMIN)])) >= 1)
    assert updates
    assert f"cancelled by <@{MEMBER}>" in texts(updates_of(slack, found[("approver", ADMIN)])[-1])

    click(signed, "approval_approve", request_id, user=ADMIN, message=found[("approver", ADMIN)])
    found = answers(slack, 2)
    assert f"AR-1 was already cancelled by <@{MEMBER}>" in found[-1].params["text"]
    assert audit_kinds(database, request_id) == ["requested", "cancelled"]


def test_a_decided_request_answers_already_approved_and_changes_nothing(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database
) -> None:
    request_id = deploy(signed, database)
    found = wait_messages(database, request_id, count=2)
    approver_dm = found[("approver", ADMIN)]
    click(signed, "approval_approve", request_id, user=ADMIN, message=approver_dm)
    for ref in found.values():  # the decision and the hand-over are both shown
        eventually(lambda ref=ref: [u for u in updates_of(slack, ref) if "deployed AR-1" in texts(u)])
    before = len(slack.calls("chat.update"))

    click(signed, "approval_reject", request_id, user=MEMBER, message=found[("requester", MEMBER)])
    (answer,) = answers(slack)
    assert f"AR-1 was already approved by <@{ADMIN}> at 20" in answer.params["text"]
    click(signed, "approval_reject", request_id, user=ADMIN, message=approver_dm)
    answer = answers(slack, 2)[-1]
    assert "You already approved AR-1 at 20" in answer.params["text"]
    assert slack.calls("views.open") == []
    assert len(slack.calls("chat.update")) == before
    assert audit_kinds(database, request_id) == ["requested", "approved", "executed"]


def test_a_double_click_gives_one_decision_one_transition_and_one_execution(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, executor: CountingExecutor
) -> None:
    executor.delay = 0.2  # a slow deployment service widens any window for a second execution
    request_id = deploy(signed, database)
    found = wait_messages(database, request_id, count=2)
    dm = found[("approver", ADMIN)]
    bodies = [signed.build_block_actions(action_id="approval_approve", value=str(request_id), user_id=ADMIN,
                                         channel_id=dm.channel, message={"type": "message", "ts": dm.ts, "text": ""})
              for _ in range(2)]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def send(body: bytes, headers: dict) -> None:
        barrier.wait()
        statuses.append(requests.post(signed.url, data=body, headers=signed.signed_headers(body, headers), timeout=10).status_code)

    threads = [threading.Thread(target=send, args=b) for b in bodies]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert statuses == [200, 200]
    (answer,) = answers(slack)
    assert "You already approved AR-1" in answer.params["text"]
    eventually(lambda: audit_kinds(database, request_id)[-1] == "executed")
    assert audit_kinds(database, request_id) == ["requested", "approved", "executed"]
    assert executor.calls == ["AR-1"]


@pytest.mark.parametrize("policy_text", [TWO_GROUPS_POLICY])
def test_a_high_risk_quorum_needs_one_from_security_and_one_from_ml_leads(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, executor: CountingExecutor
) -> None:
    request_id = deploy(signed, database, text="churn 3 to production")
    found = wait_messages(database, request_id, count=3)
    assert set(found) == {("requester", MEMBER), ("approver", SECURITY), ("approver", LEAD)}
    click(signed, "approval_approve", request_id, user=ADMIN, message=found[("approver", SECURITY)])
    (answer,) = answers(slack)
    assert "Only *security* or *ml-leads* can decide" in answer.params["text"]

    click(signed, "approval_approve", request_id, user=SECURITY, message=found[("approver", SECURITY)])
    updates = eventually(lambda: updates_of(slack, found[("approver", LEAD)]))
    assert "1 of 2 approvals; needs 1 more from ml-leads" in texts(updates[-1])
    assert any(b["type"] == "actions" for b in updates[-1]["blocks"])  # still open
    assert executor.calls == []

    click(signed, "approval_approve", request_id, user=LEAD, message=found[("approver", LEAD)])
    assert eventually(lambda: executor.calls) == ["AR-1"]
    final = eventually(lambda: [u for u in updates_of(slack, found[("requester", MEMBER)]) if "Approved" in texts(u)])
    assert f"approved by <@{SECURITY}>, <@{LEAD}>" in texts(final[-1])


@pytest.mark.parametrize("policy_text", [CHANNEL_POLICY])
def test_an_approvals_channel_gets_one_message_instead_of_dms(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database
) -> None:
    request_id = deploy(signed, database)
    found = wait_messages(database, request_id, count=2)
    assert set(found) == {("requester", MEMBER), ("channel", "C0APPROVALS")}
    post = next(c for c in slack.calls("chat.postMessage") if c.params["channel"] == "C0APPROVALS")
    assert "asks for approval by *admins*" in texts(post.params)
    click(signed, "approval_approve", request_id, user=ADMIN, message=found[("channel", "C0APPROVALS")])
    updates = eventually(lambda: updates_of(slack, found[("channel", "C0APPROVALS")]))
    assert f"approved by <@{ADMIN}>" in texts(updates[-1])


def test_factory_policy_file_replaces_the_built_in_policy(
    bot_settings: Settings, database: Database, slack: SlackStandIn, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text(CHANNEL_POLICY)
    settings = bot_settings.model_copy(update={"policy_file": policy})
    bot = bootstrap(settings, db=database, executor=CountingExecutor())
    server = start_in_thread(bot.wsgi())
    try:
        with SlackRequestBuilder(signing_secret=SIGNING_SECRET, url=f"{server.url}/slack/events",
                                 response_url_base=slack.response_url("")) as signed:
            request_id = deploy(signed, database)
            assert set(wait_messages(database, request_id, count=2)) == {("requester", MEMBER), ("channel", "C0APPROVALS")}
    finally:
        server.stop()
        bot.drain()
