"""Model status for chat: MLflow's view of a model joined with the bot's own deployment log.

Plain data in, plain data out; the MLflow side comes through :mod:`bot.models.gateway`,
the bot's side through :mod:`storage.deployments`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.models.gateway import MlflowGateway, ModelPage, ModelSummary, VersionInfo
from storage.db import Database
from storage.deployments import (
    Deployment,
    add_watch,
    deployment_history,
    last_done,
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
    at: str  # ISO time of completion (or creation while pending)
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


def list_models(gateway: MlflowGateway, *, name_filter: str = "", page_token: str | None = None) -> ModelPage:
    return gateway.list_models(name_filter=name_filter, page_token=page_token, page_size=15)


def status(gateway: MlflowGateway, db: Database, name: str, version: str | None = None) -> StatusReport:
    model = gateway.model(name)
    versions = gateway.versions(model.name, limit=5, aliases=model.aliases)
    wanted = version or model.latest_version
    if wanted is None:
        raise ModelCommandError(f"`{model.name}` has no versions yet.")
    selected = gateway.version(model.name, wanted, aliases=model.aliases)
    with db.unit_of_work() as uow:
        last = last_done(uow.session, model.name)
        record = _record(last) if last else None
    return StatusReport(model=model, versions=versions, selected=selected, last_deployment=record)


def history(gateway: MlflowGateway, db: Database, name: str) -> tuple[str, list[DeploymentRecord]]:
    """The bot's deployment log for a model (MLflow keeps no alias history)."""
    canonical = gateway.model(name).name
    with db.unit_of_work() as uow:
        return canonical, [_record(d) for d in deployment_history(uow.session, canonical)]


def watch(gateway: MlflowGateway, db: Database, *, name: str, channel_id: str, user_id: str) -> tuple[str, bool]:
    canonical = gateway.model(name).name
    with db.unit_of_work() as uow:
        added = add_watch(uow.session, canonical, channel_id, user_id)
        if added:
            record_activity(uow.session, kind="model.watched", actor=user_id, subject=canonical,
                            figures={"channel": channel_id})
        uow.commit()
    return canonical, added


def unwatch(db: Database, *, name: str, channel_id: str, user_id: str) -> bool:
    with db.unit_of_work() as uow:
        removed = remove_watch(uow.session, name, channel_id)
        if removed:
            record_activity(uow.session, kind="model.unwatched", actor=user_id, subject=name,
                            figures={"channel": channel_id})
        uow.commit()
    return removed


def rollback_target(gateway: MlflowGateway, db: Database, name: str, alias: str) -> tuple[str, str, str]:
    """(model, the version ``alias`` points to now, the version it pointed to before), from the bot's log."""
    model = gateway.model(name)
    current = model.aliases.get(alias)
    if current is None:
        raise ModelCommandError(f"`{model.name}` has no alias `{alias}`.")
    with db.unit_of_work() as uow:
        last = last_done(uow.session, model.name, alias)
    if last is None or last.version != current or not last.previous_version:
        raise ModelCommandError(
            f"I have no record of what `{alias}` pointed to before version {current}, so I can't roll it back. "
            f"Deploy the version you want with `/model deploy {model.name} <version> to {alias}`."
        )
    return model.name, current, last.previous_version


def watchers(db: Database, model: str) -> list[str]:
    with db.unit_of_work() as uow:
        return watching_channels(uow.session, model)


def _record(dep: Deployment) -> DeploymentRecord:
    return DeploymentRecord(
        model=dep.model, version=dep.version, alias=dep.alias, previous_version=dep.previous_version,
        kind=dep.kind, status=dep.status, requested_by=dep.requested_by, approved_by=tuple(dep.approved_by),
        request_ref=dep.request_ref, at=(dep.done_at or dep.created_at).isoformat(timespec="minutes"),
        last_error=dep.last_error,
    )
