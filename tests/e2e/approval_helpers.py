"""Shared pieces of the approvals end-to-end tests: a counting executor, policies, finders."""

from __future__ import annotations

import threading
import time
from typing import Any

from bot.approvals.model import ExecutionResult, RequestView
from bot.sandbox import SlackStandIn
from storage import approvals as store
from storage.db import Database
from tests.e2e.conftest import texts  # noqa: F401 - re-exported for the approvals tests
from tests.polling import eventually

SECURITY = "U0SEC0001"
LEAD = "U0LEAD001"
OUTSIDER = "U0OUTSIDE"

TWO_GROUPS_POLICY = f"""
version: 1
groups:
  admins: $FACTORY_ADMINS
  security: [{SECURITY}]
  ml-leads: [{LEAD}]
questions:
  - {{id: personal_data, label: "Personal data?", kind: yes_no}}
request_types:
  - id: model_deployment
    label: Model deployment
    fields:
      - {{id: model, label: Model}}
      - {{id: version, label: Version, kind: integer}}
      - {{id: alias, label: Alias, default: production}}
rules:
  - name: production deployment
    when: {{type: model_deployment, fields: {{alias: production}}}}
    tier: high
default_tier: medium
tiers:
  low: {{auto_approve: true}}
  medium: {{approvals: 1, approvers: [admins]}}
  high: {{approvals: 2, require: {{security: 1, ml-leads: 1}}}}
"""

CHANNEL_POLICY = """
version: 1
approvals_channel: C0APPROVALS
groups:
  admins: $FACTORY_ADMINS
request_types:
  - id: model_deployment
    label: Model deployment
    fields:
      - {id: model, label: Model}
      - {id: version, label: Version, kind: integer}
      - {id: alias, label: Alias, default: production}
tiers:
  low: {auto_approve: true}
  medium: {approvals: 1, approvers: [admins]}
  high: {approvals: 1, approvers: [admins]}
"""


class CountingExecutor:
    """The deployment service's test double: counts hand-overs, optionally slowly."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[str] = []
        self.delay = delay
        self._lock = threading.Lock()

    def validate(self, fields: Any) -> str | None:
        return None

    def execute(self, request: RequestView) -> ExecutionResult:
        time.sleep(self.delay)
        with self._lock:
            self.calls.append(request.public_id)
        return ExecutionResult(status="succeeded", detail=f"deployed {request.public_id}")


def model_deploy(signed: Any, slack: SlackStandIn, text: str, *, user: str) -> dict:
    """`/model deploy …`: acknowledged at once (it asks MLflow), answered through response_url."""
    before = len(slack.calls("response_url"))
    resp = signed.slash_command("/model", f"deploy {text}", user_id=user)
    assert resp.status_code == 200 and resp.text == "", resp.text
    return slack.wait_for("response_url", count=before + 1, timeout=20)[before].params


def answers(slack: SlackStandIn, count: int = 1, timeout: float = 5.0) -> list[Any]:
    """Replies through response_url other than `/model deploy`'s own "Filed AR-…" answer."""
    def found() -> list[Any]:
        return [c for c in slack.calls("response_url") if c.ok and "Filed *AR-" not in texts(c.params)]

    return eventually(lambda: len(found()) >= count and found(), seconds=timeout,
                      what=f"{count} answers through response_url")


def messages(database: Database, request_id: int) -> dict[tuple[str, str], store.ApprovalMessage]:
    with database.unit_of_work() as uow:
        return {(m.role, m.recipient): m for m in store.messages_for(uow.session, request_id)}


def wait_messages(database: Database, request_id: int, count: int, timeout: float = 5.0) -> dict:
    """The request's Slack messages once there are at least ``count`` of them."""
    return eventually(lambda: len(found := messages(database, request_id)) >= count and found, seconds=timeout)


def latest_request_id(database: Database) -> int:
    with database.unit_of_work() as uow:
        return store.list_requests(uow.session, limit=1)[0].id


def audit_kinds(database: Database, request_id: int) -> list[str]:
    with database.unit_of_work() as uow:
        return [e.kind for e in store.audit_for(uow.session, request_id)]


def updates_of(slack: SlackStandIn, message: store.ApprovalMessage) -> list[dict]:
    return [c.params for c in slack.calls("chat.update") if c.ok and c.params["ts"] == message.ts
            and c.params["channel"] == message.channel]

