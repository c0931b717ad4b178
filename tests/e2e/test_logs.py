"""``FACTORY_LOG_FORMAT=json``: every line ``factorybot serve`` writes through a whole scenario is
one JSON object, lines written for a request carry its id, and no secret is ever among them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import requests

from bot.sandbox import SlackRequestBuilder, SlackStandIn
from storage.db import Database
from tests.e2e.approval_helpers import latest_request_id, model_deploy, texts, wait_messages
from tests.e2e.conftest import ADMIN, BOT_TOKEN, MEMBER, SIGNING_SECRET
from tests.e2e.test_cli import FACTORYBOT, _env, _free_port, stop
from tests.e2e.test_models import WEBHOOK_SECRET, _deliver
from tests.mlflow_server import seed_model
from tests.polling import eventually


@pytest.fixture
def served(slack: SlackStandIn, database_url: str, mlflow_server, tmp_path: Path):  # noqa: ANN001, ANN201
    """``factorybot serve`` with JSON logs, its output (stdout and stderr) going to a file."""
    port, output = _free_port(), tmp_path / "serve.log"
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack.api_url,
           "DATABASE_URL": database_url, "MLFLOW_TRACKING_URI": mlflow_server.uri, "FACTORY_ADMINS": ADMIN,
           "MLFLOW_WEBHOOK_SECRET": WEBHOOK_SECRET, "FACTORY_LOG_FORMAT": "json", "FACTORY_SCHEDULER": "off"}
    with output.open("w") as sink:
        proc = subprocess.Popen([*FACTORYBOT, "serve", "--host", "127.0.0.1", "--port", str(port), "--threads", "4"],
                                env=_env(env), cwd=tmp_path, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        eventually(lambda: _healthy(url, proc), seconds=30, every=0.1, what="factorybot serve answering")
        yield url, proc, output
    finally:
        stop(proc)


def _healthy(url: str, proc: subprocess.Popen) -> bool:
    assert proc.poll() is None, "factorybot serve exited"
    try:
        return requests.get(f"{url}/healthz", timeout=1).status_code == 200
    except requests.ConnectionError:
        return False


def test_a_whole_scenario_logs_json_lines_with_request_ids_and_no_secret(
    served, slack: SlackStandIn, database: Database, mlflow_client, model_name: str  # noqa: ANN001
) -> None:
    url, proc, output = served
    signed = SlackRequestBuilder(signing_secret=SIGNING_SECRET, url=f"{url}/slack/events", team_id="T0FACTORY",
                                 response_url_base=slack.response_url(""))
    seed_model(mlflow_client, model_name, versions=[{"auc": 0.8}, {"auc": 0.9}], aliases={"production": 1})

    assert signed.slash_command("/factory", "help", user_id=MEMBER).status_code == 200
    assert signed.slash_command("/guild", "list", user_id=MEMBER).status_code == 200
    assert "Filed *AR-1*" in texts(model_deploy(signed, slack, f"{model_name} 2", user=MEMBER))
    request_id = latest_request_id(database)
    message = wait_messages(database, request_id, count=2)[("approver", ADMIN)]
    signed.block_actions(action_id="approval_approve", value=str(request_id), user_id=ADMIN,
                         channel_id=message.channel, message={"type": "message", "ts": message.ts, "text": ""},
                         block_id=f"approval:{request_id}")
    eventually(lambda: mlflow_client.get_model_version_by_alias(model_name, "production").version == "2",
               what="the alias moved by the approved deployment")
    # Errors: Slack refusing a call, a forged request, a webhook signed with another secret, a good webhook.
    slack.fail("views.publish", error="internal_error")
    signed.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    assert signed.slash_command("/factory", "help", signature="v0=forged").status_code == 401
    created = {"entity": "model_version", "action": "created", "timestamp": "x",
               "data": {"name": model_name, "version": "2", "run_id": "r"}}
    assert _deliver(url, created, secret="another-secret-0123456789").status_code == 401
    assert _deliver(url, created, delivery="d-logs").status_code == 200
    eventually(lambda: slack.calls("views.publish"), what="the App Home publish that Slack refuses")
    stop(proc)

    lines = output.read_text().splitlines()
    records = [json.loads(line) for line in lines]  # every line is JSON: nothing printed around the logs
    for secret in (BOT_TOKEN, SIGNING_SECRET, WEBHOOK_SECRET):
        assert not [line for line in lines if secret in line], f"a secret in the logs: {secret[:6]}…"
    assert {"time", "level", "logger", "message", "request_id"} <= records[0].keys()
    assert any(r["level"] in ("WARNING", "ERROR") for r in records), "the errors were logged"
    in_requests = [r for r in records if r["request_id"]]
    assert in_requests, "lines written while handling a request carry its id"
    assert all(len(r["request_id"]) == 32 for r in in_requests)
