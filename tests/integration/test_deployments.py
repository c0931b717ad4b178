"""Deployments against a real MLflow server and a real database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.models.deployments import Outcome, DeploymentOrder, DeploymentService, backoff
from bot.models.gateway import MlflowGateway
from bot.models.registry import ModelCommandError
from bot.runtime.bootstrap import bootstrap
from bot.runtime.settings import load_settings
from bot.services import Services
from storage.db import Database
from storage.deployments import Deployment, release_lease, take_lease
from storage.models import ActivityEvent
from tests.mlflow_server import seed_model
from tests.support.ports import SwitchableProxy


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


class RecordingReporter:
    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []

    def report(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)


@pytest.fixture
def service(database: Database, mlflow_server, clock: Clock) -> DeploymentService:  # noqa: ANN001
    return DeploymentService(database, MlflowGateway(mlflow_server.uri), reporter=RecordingReporter(), clock=clock)


def _order(model: str, version: str, **kw: object) -> DeploymentOrder:
    return DeploymentOrder(model=model, version=version, alias="production", requested_by="U0REQ", approved_by=("U0APP",),
                           request_ref=kw.pop("ref", "AR-1"), **kw)


def test_deploy_moves_the_alias_tags_the_version_and_remembers_the_previous(
    service: DeploymentService, mlflow_client, model_name: str, database: Database
) -> None:
    seed_model(mlflow_client, model_name, versions=[{"auc": 0.8}, {"auc": 0.9}], aliases={"production": 1})
    outcome = service.attempt(service.order(_order(model_name, "2")))
    assert (outcome.status, outcome.previous_version) == ("done", "1")
    assert outcome.message == f"`{model_name}`: `production` moved to version 2 (was version 1)."
    assert mlflow_client.get_model_version_by_alias(model_name, "production").version == "2"
    tags = mlflow_client.get_model_version(model_name, "2").tags
    assert tags["factorybot.approval"] == "AR-1" and tags["factorybot.previous_version"] == "1"
    assert tags["factorybot.approved_by"] == "U0APP"
    with database.unit_of_work() as uow:
        (event,) = uow.session.scalars(select(ActivityEvent).where(ActivityEvent.kind == "model.deployed"))
        assert event.subject == model_name and event.figures["previous"] == "1"


def test_the_same_approval_deploys_once(service: DeploymentService, mlflow_client, model_name: str) -> None:
    seed_model(mlflow_client, model_name, versions=[{"auc": 0.8}, {"auc": 0.9}], aliases={"production": 1})
    first = service.order(_order(model_name, "2"))
    assert service.order(_order(model_name, "2")) == first
    assert service.attempt(first).status == "done"
    again = service.attempt(first)
    assert again.status == "done" and again.message == "This deployment was already handled."


def test_an_alias_already_at_the_target_counts_as_done_without_a_move(
    service: DeploymentService, mlflow_client, model_name: str
) -> None:
    seed_model(mlflow_client, model_name, versions=[{"auc": 0.8}], aliases={"production": 1})
    outcome = service.attempt(service.order(_order(model_name, "1")))
    assert outcome.status == "already"
    assert "factorybot.approval" not in mlflow_client.get_model_version(model_name, "1").tags


def test_unknown_version_fails_with_the_known_ones(service: DeploymentService, mlflow_client, model_name: str) -> None:
    seed_model(mlflow_client, model_name, versions=[{"auc": 0.8}, {"auc": 0.9}])
    outcome = service.attempt(service.order(_order(model_name, "7")))
    assert outcome.status == "failed"
    assert outcome.message == f"`{model_name}` has no version 7. Known: 2, 1."


def test_mlflow_down_keeps_the_deployment_pending_and_a_retry_after_it_returns_deploys(
    database: Database, mlflow_proxy: SwitchableProxy, mlflow_client, model_name: str, clock: Clock
) -> None:
    """MLflow gone mid-scenario and back again: nothing lost, nothing done twice."""
    seed_model(mlflow_client, model_name, versions=[{"auc": 0.8}, {"auc": 0.9}], aliases={"production": 1})
    service = DeploymentService(database, MlflowGateway(mlflow_proxy.uri), reporter=RecordingReporter(), clock=clock)
    deployment_id = service.order(_order(model_name, "2"))
    mlflow_proxy.switch(on=False)
    outcome = service.attempt(deployment_id)
    assert outcome.status == "pending"
    assert "MLflow is not answering right now" in outcome.message and "retry in 1 min" in outcome.message
    assert service.retry_due() == []  # not due yet
    mlflow_proxy.switch(on=True)
    clock.now += timedelta(minutes=1)
    (retried,) = service.retry_due()
    assert retried.status == "done"
    assert mlflow_client.get_model_version_by_alias(model_name, "production").version == "2"
    with database.unit_of_work() as uow:
        assert uow.session.get(Deployment, deployment_id).attempts == 2


def test_mlflow_unreachable_for_good_fails_after_the_last_attempt(
    database: Database, clock: Clock, closed_port_uri: str
) -> None:
    gateway = MlflowGateway(closed_port_uri)
    service = DeploymentService(database, gateway, reporter=RecordingReporter(), clock=clock, max_attempts=3)
    deployment_id = service.order(_order("m", "1"))
    statuses = []
    for _ in range(3):
        statuses.append(service.attempt(deployment_id).status)
        clock.now += timedelta(hours=1)
    assert statuses == ["pending", "pending", "failed"]


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff(n).total_seconds() / 60 for n in (1, 2, 3, 6, 7, 12)] == [1, 2, 4, 32, 60, 60]


def test_a_model_lease_has_one_holder_until_it_expires(database: Database) -> None:
    with database.unit_of_work() as uow:
        assert take_lease(uow.session, "churn", "a", seconds=60)
        assert not take_lease(uow.session, "churn", "b", seconds=60)
        assert take_lease(uow.session, "churn", "a", seconds=60)  # its own lease, renewed
        assert take_lease(uow.session, "other", "b", seconds=60)
        uow.commit()
    with database.unit_of_work() as uow:
        assert take_lease(uow.session, "expired", "a", seconds=-1)
        assert take_lease(uow.session, "expired", "b", seconds=60)
        release_lease(uow.session, "churn", "a")
        assert take_lease(uow.session, "churn", "b", seconds=60)
        uow.commit()


def test_a_busy_model_postpones_the_second_deployment(
    service: DeploymentService, database: Database, mlflow_client, model_name: str
) -> None:
    seed_model(mlflow_client, model_name, versions=[{"auc": 0.8}, {"auc": 0.9}], aliases={"production": 1})
    with database.unit_of_work() as uow:
        take_lease(uow.session, model_name, "someone-else", seconds=60)
        uow.commit()
    outcome = service.attempt(service.order(_order(model_name, "2")))
    assert outcome.status == "busy"
    assert mlflow_client.get_model_version_by_alias(model_name, "production").version == "1"


# -- through the approvals: what a rollback may undo ------------------------------------------------


def _model_services(database: Database, mlflow_server) -> Services:  # noqa: ANN001
    from tests.integration.test_approvals import ADMINS, FakeNotifier

    settings = load_settings(DATABASE_URL=database.url, FACTORY_ADMINS=",".join(ADMINS),
                             MLFLOW_TRACKING_URI=mlflow_server.uri)
    return bootstrap(settings, db=database, approval_notifier=FakeNotifier(),
                     deployment_reporter=RecordingReporter()).services


def _production(mlflow_client, model_name: str) -> str:  # noqa: ANN001
    return mlflow_client.get_model_version_by_alias(model_name, "production").version


def test_a_rollback_undoes_the_last_deployment_once_and_never_a_rollback(
    database: Database, mlflow_server, mlflow_client, model_name: str  # noqa: ANN001
) -> None:
    """Rolling back a rollback would put the version just rolled back from live again with
    nobody asked: the second rollback is refused, and moving the alias is a deployment again."""
    seed_model(mlflow_client, model_name, versions=[{"auc": 0.8}, {"auc": 0.9}], aliases={"production": 1})
    services = _model_services(database, mlflow_server)
    deploy = services.models.request_deployment(requester="U0MEMBER1", name=model_name, version="2",
                                                alias="production")
    decided = services.approvals.decide(request_id=deploy.request.id, approver="U0ADMIN01", verdict="approve")
    services.approval_routing.settle(request_id=decided.request.id, final=True)
    assert _production(mlflow_client, model_name) == "2"

    rollback = services.models.request_rollback(requester="U0MEMBER1", name=model_name)
    assert rollback.request.status == "approved"  # the built-in policy: going back is the safe move
    services.approval_routing.route_new(rollback)
    assert _production(mlflow_client, model_name) == "1"

    with pytest.raises(ModelCommandError) as refused:
        services.models.request_rollback(requester="U0MEMBER1", name=model_name)
    assert str(refused.value) == (
        "`production` already points at version 1, the version the last deployment (AR-1) replaced: "
        f"there is nothing to roll back. To move it elsewhere, deploy: `/model deploy {model_name} <version> "
        "to production`."
    )
    assert _production(mlflow_client, model_name) == "1"
    again = services.models.request_deployment(requester="U0MEMBER1", name=model_name, version="2",
                                               alias="production")
    assert (again.request.public_id, again.request.status) == ("AR-3", "pending")  # the policy asks an approver
