"""Models in chat: MLflow's view of a model joined with the bot's own deployment log,
watches, and the way deployments and rollbacks are asked for.

Plain data in, plain data out; the MLflow side comes through :mod:`bot.models.gateway`,
the bot's side through :mod:`storage.deployments`.  A deployment or a rollback is an
approval request: :class:`ModelService` works out what to ask for (a rollback's target
comes from the bot's log) and files it with the approvals service, which checks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.models.gateway import MlflowGateway, ModelPage, ModelSummary, VersionInfo
from bot.approvals.model import Filed
from bot.approvals.policy import MODEL_DEPLOYMENT, MODEL_ROLLBACK
from bot.approvals.service import ApprovalService
from bot.models.webhooks import MlflowEvent, record_event
from storage.db import Database
from storage.deployments import (
    Deployment,
    add_watch,
    deployment_history,
    last_done,
    last_replacing_deployment,
    remove_watch,
    watching_channels,
)
from storage.repositories import record_activity

_ALIAS = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


class ModelCommandError(Exception):
    """Bad input to a model command; the message is for the person."""


@dataclass(frozen=True)
class DeploymentRecord:
    model: str
    version: str
    alias: str
    previous_version: str | None
    kind: str
    status: str
    requested_by: str
    approved_by: tuple[str, ...]
    request_ref: str | None
    at: datetime  # completed (or created, while pending)
    last_error: str


@dataclass(frozen=True)
class StatusReport:
    model: ModelSummary
    versions: list[VersionInfo]  # newest first
    selected: VersionInfo  # the asked version, or the latest, with its run's metrics
    last_deployment: DeploymentRecord | None


def check_alias(alias: str) -> str:
    if not _ALIAS.match(alias):
        raise ModelCommandError(f"`{alias}` is not a valid alias (letters, digits, - and _, starting with a letter).")
    return alias


class ModelService:
    def __init__(self, gateway: MlflowGateway, db: Database, *, approvals: ApprovalService) -> None:
        self._gateway = gateway
        self._db = db
        self._approvals = approvals

    def list_models(self, *, name_filter: str = "", page_token: str | None = None) -> ModelPage:
        return self._gateway.list_models(name_filter=name_filter, page_token=page_token, page_size=15)


    def status(self, name: str, version: str | None = None) -> StatusReport:
        model = self._gateway.model(name)
        versions = self._gateway.versions(model.name, limit=5, aliases=model.aliases)
        wanted = version or model.latest_version
        if wanted is None:
            raise ModelCommandError(f"`{model.name}` has no versions yet.")
        selected = self._gateway.version(model.name, wanted, aliases=model.aliases)
        with self._db.unit_of_work() as uow:
            last = last_done(uow.session, model.name)
            record = _record(last) if last else None
        return StatusReport(model=model, versions=versions, selected=selected, last_deployment=record)


    def history(self, name: str) -> tuple[str, list[DeploymentRecord]]:
        """The bot's deployment log for a model (MLflow keeps no alias history)."""
        canonical = self._gateway.model(name).name
        with self._db.unit_of_work() as uow:
            return canonical, [_record(d) for d in deployment_history(uow.session, canonical)]


    def watch(self, *, name: str, channel_id: str, user_id: str) -> tuple[str, bool]:
        canonical = self._gateway.model(name).name
        with self._db.unit_of_work() as uow:
            added = add_watch(uow.session, canonical, channel_id, user_id)
            if added:
                record_activity(uow.session, kind="model.watched", actor=user_id, subject=canonical,
                                figures={"channel": channel_id})
            uow.commit()
        return canonical, added


    def unwatch(self, *, name: str, channel_id: str, user_id: str) -> bool:
        """Stop a watch.  A name this channel does not watch is checked like ``watch`` checks it:
        unknown to MLflow, it raises ``NotFound`` with the closest names (a watch on a model
        deleted from MLflow since can still be removed)."""
        with self._db.unit_of_work() as uow:
            removed = remove_watch(uow.session, name, channel_id)
            if removed:
                record_activity(uow.session, kind="model.unwatched", actor=user_id, subject=name,
                                figures={"channel": channel_id})
            uow.commit()
        if not removed:
            self._gateway.model(name)
        return removed


    def rollback_target(self, name: str, alias: str) -> tuple[str, str, str]:
        """(model, the version ``alias`` points to now, the version the last deployment to it replaced).

        A rollback undoes the last approved deployment and nothing else: once undone, moving the
        alias again (back to the version just rolled back from, or anywhere) is a deployment, which
        the policy assesses as one, never a rollback it may approve at once."""
        model = self._gateway.model(name)
        current = model.aliases.get(alias)
        if current is None:
            raise ModelCommandError(f"`{model.name}` has no alias `{alias}`.")
        with self._db.unit_of_work() as uow:
            last = last_replacing_deployment(uow.session, model.name, alias)
        deploy_hint = f"`/model deploy {model.name} <version> to {alias}`"
        if last is not None and last.previous_version == current:
            replaced_by = f" ({last.request_ref})" if last.request_ref else ""
            raise ModelCommandError(
                f"`{alias}` already points at version {current}, the version the last deployment{replaced_by} "
                f"replaced: there is nothing to roll back. To move it elsewhere, deploy: {deploy_hint}."
            )
        if last is None or last.version != current:
            raise ModelCommandError(
                f"I have no record of what `{alias}` pointed to before version {current}, so I can't roll it back. "
                f"Deploy the version you want with {deploy_hint}."
            )
        return model.name, current, last.previous_version


    def watchers(self, model: str) -> list[str]:
        with self._db.unit_of_work() as uow:
            return watching_channels(uow.session, model)

    def request_deployment(self, *, requester: str, name: str, version: str, alias: str = "") -> Filed:
        """File a deployment request; the approvals service refuses a version MLflow does not have."""
        return self._approvals.file_request(
            requester=requester, type_id=MODEL_DEPLOYMENT, source="command",
            fields={"model": name, "version": version, "alias": alias}, answers={},
        )

    def request_rollback(self, *, requester: str, name: str, alias: str = "production") -> Filed:
        """File a request to point ``alias`` back to the version the last deployment replaced (the
        policy may approve it at once)."""
        check_alias(alias)
        model, _current, target = self.rollback_target(name, alias)
        return self._approvals.file_request(
            requester=requester, type_id=MODEL_ROLLBACK, source="rollback",
            fields={"model": model, "alias": alias, "version": target}, answers={},
        )

    def record_event(self, event: MlflowEvent) -> list[str] | None:
        """An MLflow webhook delivery, logged once: the channels to tell, or None for a redelivery."""
        return record_event(self._db, event)


def _record(dep: Deployment) -> DeploymentRecord:
    return DeploymentRecord(
        model=dep.model, version=dep.version, alias=dep.alias, previous_version=dep.previous_version,
        kind=dep.kind, status=dep.status, requested_by=dep.requested_by, approved_by=tuple(dep.approved_by),
        request_ref=dep.request_ref, at=dep.done_at or dep.created_at,
        last_error=dep.last_error,
    )
