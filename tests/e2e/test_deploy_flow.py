"""From `/model deploy` to a moved MLflow alias: the built-in policy, a real MLflow server, the stand-in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import update

from bot.models.gateway import MlflowGateway
from bot.runtime.settings import Settings, load_settings
from bot.sandbox import SlackRequestBuilder, SlackStandIn
from storage.db import Database
from storage.deployments import Deployment
from storage.models import utcnow
from tests.e2e.approval_helpers import latest_request_id, model_deploy, texts, wait_messages
from tests.e2e.conftest import ADMIN, MEMBER
from tests.e2e.test_models import _reply
from tests.mlflow_server import seed_model
from tests.polling import eventually
from tests.support.ports import SwitchableProxy


@pytest.fixture
def bot_settings(mlflow_bot_settings: Settings) -> Settings:
    return mlflow_bot_settings


def _approve(signed: SlackRequestBuilder, database: Database) -> int:
    request_id = latest_request_id(database)
    message = wait_messages(database, request_id, count=2)[("approver", ADMIN)]
    signed.block_actions(action_id="approval_approve", value=str(request_id), user_id=ADMIN,
                         channel_id=message.channel, message={"type": "message", "ts": message.ts, "text": ""},
                         block_id=f"approval:{request_id}")
    return request_id


def _posted(slack: SlackStandIn, needle: str, channel: str | None = None) -> list:
    return [c for c in slack.calls("chat.postMessage")
            if needle in texts(c.params) and (channel is None or c.params["channel"] == channel)]


def test_an_approved_deployment_moves_the_alias_and_everyone_hears(
    signed, slack, database, mlflow_client, model_name  # noqa: ANN001
) -> None:
    seed_model(mlflow_client, model_name, versions=[{"auc": 0.8}, {"auc": 0.9}], aliases={"production": 1})
    _reply(signed, slack, f"watch {model_name}", channel="C0WATCH")
    body = model_deploy(signed, slack, f"{model_name} 2", user=MEMBER)
    assert "Filed *AR-1*" in texts(body)
    _approve(signed, database)

    done = f"`{model_name}`: `production` moved to version 2 (was version 1)."
    eventually(lambda: _posted(slack, done, "C0WATCH"), what="the watching channel hearing of it")
    assert mlflow_client.get_model_version_by_alias(model_name, "production").version == "2"
    tags = mlflow_client.get_model_version(model_name, "2").tags
    assert tags["factorybot.approval"] == "AR-1" and tags["factorybot.approved_by"] == ADMIN
    assert tags["factorybot.previous_version"] == "1"
    eventually(lambda: [c for c in _posted(slack, done) if c.params.get("thread_ts")],
               what="the requester hearing of it in the request's thread")

    history = texts(_reply(signed, slack, f"history {model_name}"))
    assert f"moved `production` → v2 (from v1), requested by <@{MEMBER}>, approved by <@{ADMIN}> [AR-1]" in history
    assert re.search(r"• <!date\^\d+\^\{date_short_pretty\} at \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>: moved", history)
    status = texts(_reply(signed, slack, f"status {model_name}"))
    assert "Last deployment through factorybot" in status and "[AR-1]" in status

    # The built-in policy approves a rollback at once: the alias goes back to the version it replaced.
    rolled = _reply(signed, slack, f"rollback {model_name}")
    assert "AR-2" in texts(rolled)
    eventually(lambda: mlflow_client.get_model_version_by_alias(model_name, "production").version == "1")
    eventually(lambda: _posted(slack, f"`{model_name}`: `production` rolled back to version 1 (was version 2)."))


def test_rollback_without_a_recorded_previous_version_says_why(signed, slack, mlflow_client, model_name) -> None:  # noqa: ANN001
    seed_model(mlflow_client, model_name, versions=[{"auc": 0.8}], aliases={"production": 1})
    reply = _reply(signed, slack, f"rollback {model_name}")
    assert reply["text"].startswith("I have no record of what `production` pointed to before version 1")
    assert _reply(signed, slack, f"rollback {model_name} canary")["text"] == f"`{model_name}` has no alias `canary`."


def test_a_second_rollback_does_not_undo_the_first_and_moving_on_is_a_deployment(
    signed, slack, database, mlflow_client, model_name  # noqa: ANN001
) -> None:
    seed_model(mlflow_client, model_name, versions=[{"auc": 0.8}, {"auc": 0.9}], aliases={"production": 1})
    model_deploy(signed, slack, f"{model_name} 2", user=MEMBER)
    _approve(signed, database)
    eventually(lambda: _posted(slack, f"`{model_name}`: `production` moved to version 2 (was version 1)."))
    assert "AR-2" in texts(_reply(signed, slack, f"rollback {model_name}"))  # auto-approved: back to v1
    eventually(lambda: _posted(slack, f"`{model_name}`: `production` rolled back to version 1 (was version 2)."))

    again = _reply(signed, slack, f"rollback {model_name}")
    assert again["text"] == (
        "`production` already points at version 1, the version the last deployment (AR-1) replaced: there is "
        f"nothing to roll back. To move it elsewhere, deploy: `/model deploy {model_name} <version> to production`."
    )
    from tests.e2e.test_approvals import _all_requests

    assert len(_all_requests(database)) == 2
    assert mlflow_client.get_model_version_by_alias(model_name, "production").version == "1"
    back = texts(model_deploy(signed, slack, f"{model_name} 2 to production", user=MEMBER))
    assert "Filed *AR-3*" in back and "Risk *medium*: needs 1 approval from *admins*" in back


def test_a_deployment_form_for_a_version_mlflow_lacks_is_refused_in_the_service(
    signed, database, mlflow_client, model_name  # noqa: ANN001
) -> None:
    """The same check as `/model deploy`, whatever way the request comes in (here: the form)."""
    import json

    from tests.e2e.test_approvals import _all_requests, _form

    seed_model(mlflow_client, model_name, versions=[{"auc": 0.8}, {"auc": 0.9}])
    resp = signed.view_submission(
        callback_id="approval_request", user_id=MEMBER, private_metadata=json.dumps({"type": "model_deployment"}),
        values=_form("model_deployment", {"model": model_name, "version": "999", "alias": "production"}),
    )
    assert resp.json() == {"response_action": "errors",
                           "errors": {"field:version": f"`{model_name}` has no version 999. Did you mean `2`, `1`?"}}
    assert _all_requests(database) == []


def test_an_alias_outside_the_policy_is_refused(signed, slack, mlflow_client, model_name) -> None:  # noqa: ANN001
    seed_model(mlflow_client, model_name, versions=[{"auc": 0.8}])
    body = model_deploy(signed, slack, f"{model_name} 1 to prod", user=MEMBER)
    assert "Target alias must be one of production, staging, challenger." in texts(body)


def test_an_unknown_model_or_version_is_refused_before_anyone_is_asked(
    signed, slack, database, mlflow_client, model_name  # noqa: ANN001
) -> None:
    seed_model(mlflow_client, model_name, versions=[{"auc": 0.8}, {"auc": 0.9}])
    typo = model_name[:-1] + "q"
    body = model_deploy(signed, slack, f"{typo} 2", user=MEMBER)
    assert body["text"].startswith(f"No model called `{typo}`. Did you mean `{model_name}`")  # closest first
    body = model_deploy(signed, slack, f"{model_name} 5", user=MEMBER)
    assert body["text"] == f"`{model_name}` has no version 5. Did you mean `2`, `1`?"
    from tests.e2e.test_approvals import _all_requests

    assert _all_requests(database) == []


def test_rollbacks_cannot_be_filed_through_the_form(signed, slack, database) -> None:  # noqa: ANN001
    from bot.approvals.model import InvalidRequest
    from bot.runtime.bootstrap import bootstrap

    services = bootstrap(load_settings(DATABASE_URL=database.url), db=database).services
    with pytest.raises(InvalidRequest, match="Rollbacks are filed with `/model rollback"):
        services.approvals.file_request(requester=MEMBER, type_id="model_rollback", source="modal",
                               fields={"model": "m", "alias": "production", "version": "1"}, answers={},
                               justification="x")


class TestWithMlflowBehindASwitch:
    """The bot reaches the real MLflow server through a proxy the test switches off and on."""

    @pytest.fixture
    def bot_parts(self, mlflow_proxy: SwitchableProxy) -> dict[str, Any]:
        return {"mlflow": MlflowGateway(mlflow_proxy.uri)}

    def test_mlflow_down_when_approved_keeps_the_deployment_and_the_retry_job_finishes_it(
        self, signed, slack, database, mlflow_proxy, mlflow_client, model_name, bot  # noqa: ANN001
    ) -> None:
        seed_model(mlflow_client, model_name, versions=[{"auc": 0.8}, {"auc": 0.9}], aliases={"production": 1})
        assert "Filed *AR-1*" in texts(model_deploy(signed, slack, f"{model_name} 2", user=MEMBER))
        mlflow_proxy.switch(on=False)
        _approve(signed, database)
        bot.drain()
        assert _posted(slack, "MLflow is not answering right now. The deployment is saved")
        mlflow_proxy.switch(on=True)
        with database.unit_of_work() as uow:  # the backoff has elapsed
            uow.session.execute(update(Deployment).values(next_attempt_at=utcnow()))
            uow.commit()

        import jobs
        from jobs.deployments import retry_deployments

        jobs.set_context(jobs.JobContext(services=bot.services, db=database))
        try:
            assert retry_deployments().endswith(f"{model_name} done")
            assert retry_deployments() == "no deployment was due"
        finally:
            jobs.set_context(None)
        assert mlflow_client.get_model_version_by_alias(model_name, "production").version == "2"
        assert _posted(slack, f"`{model_name}`: `production` moved to version 2 (was version 1).")
