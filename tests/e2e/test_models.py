"""``/model`` end to end: signed requests to the real app, a real MLflow server, the Slack stand-in."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from pydantic import SecretStr
import requests

from bot.models.gateway import MlflowGateway
from bot.runtime.settings import Settings
from bot.sandbox import SlackRequestBuilder, SlackStandIn
from bot.models.webhooks import sign
from tests.e2e.conftest import MEMBER, texts
from tests.mlflow_server import WEBHOOK_CACHE_TTL_S, seed_model

WEBHOOK_SECRET = "webhook-secret-0123456789abcdef"


@pytest.fixture
def bot_settings(mlflow_bot_settings: Settings) -> Settings:
    return mlflow_bot_settings.model_copy(update={"mlflow_webhook_secret": SecretStr(WEBHOOK_SECRET)})


def _reply(signed: SlackRequestBuilder, slack: SlackStandIn, text: str, *, user: str = MEMBER,
           channel: str = "C0MODELS") -> dict:
    """Send `/model <text>`: the ack is empty and immediate, the answer comes through response_url."""
    before = len(slack.calls("response_url"))
    resp = signed.slash_command("/model", text, user_id=user, channel_id=channel)
    assert resp.status_code == 200 and resp.text == ""
    calls = slack.wait_for("response_url", count=before + 1, timeout=20)
    reply = calls[before].params
    assert reply["response_type"] == "ephemeral"
    return reply


def test_status_shows_aliases_versions_metrics_and_tags(signed, slack, mlflow_client, model_name) -> None:  # noqa: ANN001
    seed_model(mlflow_client, model_name, versions=[{"auc": 0.81}, {"auc": 0.93, "f1": 0.71}], aliases={"production": 2})
    text = texts(_reply(signed, slack, f"status {model_name}"))
    assert "`production` → v2" in text
    assert "*Version 2* (READY" in text and "auc 0.93" in text and "f1 0.71" in text
    assert re.search(r"created <!date\^\d+\^\{date_short_pretty\} at \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>\)", text)
    assert "framework=sklearn" in text
    assert "v1" in text  # the latest versions line
    older = texts(_reply(signed, slack, f"status {model_name} 1"))
    assert "*Version 1*" in older and "auc 0.81" in older


def test_list_filters_and_pages_with_a_button(signed, slack, mlflow_client, model_name) -> None:  # noqa: ANN001
    for i in range(17):
        seed_model(mlflow_client, f"{model_name}-{i:02d}", versions=[{"auc": 0.5}])
    first = _reply(signed, slack, f"list {model_name}")
    assert f"{model_name}-00" in texts(first) and f"{model_name}-15" not in texts(first)
    (button,) = [e for b in first["blocks"] if b["type"] == "actions" for e in b["elements"]]
    signed.block_actions(action_id=button["action_id"], value=button["value"], user_id=MEMBER, channel_id="C0MODELS")
    second = slack.wait_for("response_url", count=2, timeout=20)[1].params
    assert second["replace_original"] is True
    assert f"{model_name}-16" in texts(second) and f"{model_name}-00" not in texts(second)


def test_unknown_model_gets_the_closest_names(signed, slack, mlflow_client, model_name) -> None:  # noqa: ANN001
    seed_model(mlflow_client, model_name, versions=[{"auc": 0.5}])
    reply = _reply(signed, slack, f"status {model_name[:-1]}z")
    assert reply["text"].startswith(f"No model called `{model_name[:-1]}z`. Did you mean `{model_name}`")
    unwatch = _reply(signed, slack, f"unwatch {model_name[:-1]}z")
    assert unwatch["text"].startswith(f"No model called `{model_name[:-1]}z`. Did you mean `{model_name}`")
    assert _reply(signed, slack, f"unwatch {model_name}")["text"] == f"<#C0MODELS> was not watching `{model_name}`."


@pytest.mark.parametrize(
    ("text", "problem"),
    [("status", "Usage: `/model status <name> [version]`"), ("status a b c", "Usage: `/model status <name> [version]`"),
     ("status churn latest", "`latest` is not a version number.")],
)
def test_malformed_arguments_get_usage(signed, slack, text: str, problem: str) -> None:  # noqa: ANN001
    assert _reply(signed, slack, text)["text"] == problem


class TestWithMlflowDown:
    @pytest.fixture
    def bot_parts(self, closed_port_uri: str) -> dict[str, Any]:
        return {"mlflow": MlflowGateway(closed_port_uri)}

    def test_mlflow_down_gets_a_plain_answer_not_a_timeout(self, signed, slack, model_name) -> None:  # noqa: ANN001
        started = time.monotonic()
        resp = signed.slash_command("/model", f"status {model_name}", user_id=MEMBER)
        assert resp.status_code == 200 and time.monotonic() - started < 2.5  # acked before MLflow is asked
        reply = slack.wait_for("response_url", timeout=30)[0].params
        assert reply["text"] == "MLflow is not answering right now. Please try again in a few minutes."


def test_watch_then_webhooks_from_the_real_server_post_to_the_channel(
    signed, slack, mlflow_client, model_name, bot_server  # noqa: ANN001
) -> None:
    seed_model(mlflow_client, model_name, versions=[{"auc": 0.5}])
    assert "now gets" in _reply(signed, slack, f"watch {model_name}", channel="C0WATCH")["text"]
    assert "already watches" in _reply(signed, slack, f"watch {model_name}", channel="C0WATCH")["text"]
    hook = mlflow_client.create_webhook(name=model_name[:60], url=f"{bot_server.url}/mlflow/webhook",
                                        events=["model_version.created", "model_version_alias.created"],
                                        secret=WEBHOOK_SECRET)
    time.sleep(WEBHOOK_CACHE_TTL_S + 0.5)  # the server's cached (empty) webhook list expires
    try:
        run = mlflow_client.create_run(mlflow_client.get_experiment_by_name("factorybot-tests").experiment_id)
        mlflow_client.create_model_version(model_name, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
        mlflow_client.set_registered_model_alias(model_name, "staging", "2")
        posts = slack.wait_for("chat.postMessage", count=2, timeout=30)
        texts = sorted(p.params["text"] for p in posts)
        assert all(p.params["channel"] == "C0WATCH" for p in posts)
        assert any(f"New version 2 of `{model_name}`" in t for t in texts)
        assert any("alias `staging` now points to version 2" in t for t in texts)
    finally:
        mlflow_client.delete_webhook(hook.webhook_id)
    assert "no longer watches" in _reply(signed, slack, f"unwatch {model_name}", channel="C0WATCH")["text"]


def _deliver(url: str, body: dict, *, delivery: str = "d-1", secret: str = WEBHOOK_SECRET,
             timestamp: int | None = None) -> requests.Response:
    text = json.dumps(body)
    ts = str(timestamp or int(time.time()))
    headers = {"Content-Type": "application/json", "X-MLflow-Delivery-Id": delivery, "X-MLflow-Timestamp": ts,
               "X-MLflow-Signature": sign(secret, delivery, ts, text)}
    return requests.post(f"{url}/mlflow/webhook", data=text, headers=headers, timeout=10)


def test_webhook_rejects_forged_stale_and_duplicate_deliveries(bot_server, slack, database) -> None:  # noqa: ANN001
    body = {"entity": "model_version", "action": "created", "timestamp": "x",
            "data": {"name": "churn", "version": "3", "run_id": "r"}}
    assert _deliver(bot_server.url, body, secret="wrong-secret-0123456789").status_code == 401
    assert _deliver(bot_server.url, body, timestamp=int(time.time()) - 3600).status_code == 401
    assert requests.post(f"{bot_server.url}/mlflow/webhook", data="{}", timeout=5).status_code == 401
    first = _deliver(bot_server.url, body, delivery="same")
    again = _deliver(bot_server.url, body, delivery="same")
    assert first.json() == {"ok": True, "posted": 0} and again.json() == {"ok": True, "duplicate": True}
    from sqlalchemy import text

    with database.unit_of_work() as uow:
        kinds = uow.session.execute(text("SELECT kind FROM activity_events")).scalars().all()
    assert kinds == ["model.version_registered"]


def test_register_webhook_command_creates_it_on_the_server(mlflow_server, mlflow_client, tmp_path) -> None:  # noqa: ANN001
    from tests.e2e.test_cli import _run

    env = {"MLFLOW_TRACKING_URI": mlflow_server.uri, "MLFLOW_WEBHOOK_SECRET": WEBHOOK_SECRET}
    proc = _run("mlflow", "register-webhook", "--url", "http://127.0.0.1:9/", "--name", "fb-cli-test", env=env,
                cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "sends model_version.created and model_version_alias.created to http://127.0.0.1:9/mlflow/webhook" in proc.stdout
    (hook,) = [h for h in mlflow_client.list_webhooks() if h.name == "fb-cli-test"]
    assert hook.url == "http://127.0.0.1:9/mlflow/webhook"
    mlflow_client.delete_webhook(hook.webhook_id)
    missing = _run("mlflow", "register-webhook", "--url", "http://x", env={"MLFLOW_TRACKING_URI": mlflow_server.uri},
                   cwd=tmp_path)
    assert missing.returncode == 2 and "MLFLOW_WEBHOOK_SECRET" in missing.stderr
