"""The one place that talks to MLflow: the model registry behind plain data and plain errors.

The MLflow client (``mlflow-skinny``) costs about a second to import, so it is imported
on first use.  Its HTTP client retries 7 times with exponential backoff and waits up to
120 s by default: far too long for a chat bot, so unless the operator set them, the
gateway sets ``MLFLOW_HTTP_REQUEST_TIMEOUT`` / ``MLFLOW_HTTP_REQUEST_MAX_RETRIES`` /
``MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR`` in the environment.  They are process-wide — MLflow
reads them at each request and ``MlflowClient`` offers no per-client setting — which is
why they are constants here rather than per-gateway arguments.

Nothing outside this module imports ``mlflow``.  Errors come out as
:class:`MlflowUnavailable` (down, slow, 5xx: worth retrying later) or :class:`NotFound`
(with the closest names: worth telling the person).
"""

from __future__ import annotations

import difflib
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

log = logging.getLogger(__name__)

HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "10",  # seconds
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
}
KEY_METRICS = 6


class MlflowError(Exception):
    """Base of the gateway's errors; the message is meant for a person."""


class MlflowUnavailable(MlflowError):
    """MLflow is down, too slow or answering 5xx."""


class NotFound(MlflowError):
    def __init__(self, message: str, *, suggestions: list[str] | None = None) -> None:
        super().__init__(message)
        self.suggestions = suggestions or []


@dataclass(frozen=True)
class ModelSummary:
    name: str
    aliases: dict[str, str]
    latest_version: str | None
    description: str
    updated_at: datetime | None


@dataclass(frozen=True)
class VersionInfo:
    name: str
    version: str
    status: str
    created_at: datetime | None
    run_id: str | None
    source: str
    tags: dict[str, str]
    aliases: tuple[str, ...]
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelPage:
    models: list[ModelSummary]
    next_token: str | None


def _ms(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value / 1000, tz=timezone.utc) if value else None


class MlflowGateway:
    """Model-registry operations with short timeouts; thread-safe, one client per gateway."""

    def __init__(self, tracking_uri: str) -> None:
        self.tracking_uri = tracking_uri
        self._client: Any = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ plumbing
    def warm_up(self) -> threading.Thread:
        """Import and build the MLflow client on a background thread and return at once, so the
        first ``/model`` after start does not wait seconds for the import (``serve`` and ``run``).
        Building the client asks the server nothing; a failure is only logged (the first call
        tries again)."""
        thread = threading.Thread(target=self._warm, name="mlflow-warm-up", daemon=True)
        thread.start()
        return thread

    def _warm(self) -> None:
        try:
            self._mlflow()
        except Exception as exc:  # noqa: BLE001 - a warm-up never stops the bot
            log.warning("could not prepare the MLflow client: %s", exc)

    def _mlflow(self) -> Any:
        with self._lock:
            if self._client is None:
                for name, value in HTTP_DEFAULTS.items():
                    os.environ.setdefault(name, value)
                from mlflow import MlflowClient

                self._client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)
            return self._client

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from mlflow.exceptions import MlflowException

        try:
            return fn(*args, **kwargs)
        except MlflowException as exc:
            if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                raise NotFound(f"{what}: not found") from exc
            if exc.error_code in ("INVALID_PARAMETER_VALUE", "BAD_REQUEST") and "not found" in str(exc).lower():
                raise NotFound(f"{what}: not found") from exc
            if exc.get_http_status_code() < 500 and "failed with exception" not in str(exc):
                raise MlflowError(f"MLflow refused {what}: {exc.message[:200]}") from exc
            raise MlflowUnavailable(f"MLflow did not answer {what}") from exc
        except Exception as exc:  # connection refused, timeouts, broken responses
            log.warning("MLflow call %s failed: %s", what, type(exc).__name__)
            raise MlflowUnavailable(f"MLflow did not answer {what}") from exc

    # ------------------------------------------------------------------ reads
    def list_models(self, *, name_filter: str = "", page_token: str | None = None, page_size: int = 20) -> ModelPage:
        client = self._mlflow()
        filter_string = f"name ILIKE '%{_quote(name_filter)}%'" if name_filter else ""
        page = self._call(
            "list models",
            client.search_registered_models,
            filter_string=filter_string,
            max_results=page_size,
            order_by=["name ASC"],
            page_token=page_token,
        )
        return ModelPage([_summary(m) for m in page], page.token or None)

    def model(self, name: str) -> ModelSummary:
        client = self._mlflow()
        try:
            return _summary(self._call(f"model `{name}`", client.get_registered_model, name))
        except NotFound:
            raise NotFound(f"No model called `{name}`.", suggestions=self.closest_names(name)) from None

    def versions(self, name: str, *, limit: int = 5, aliases: dict[str, str] | None = None) -> list[VersionInfo]:
        """The latest ``limit`` versions, newest first, each with its aliases (``aliases``: the
        registered model's, when the caller has just read them)."""
        client = self._mlflow()
        found = self._call(
            f"versions of `{name}`",
            client.search_model_versions,
            filter_string=f"name = '{_quote(name)}'",
            max_results=limit,
            order_by=["version_number DESC"],
        )
        # search_model_versions leaves aliases empty: read them from the registered model.
        aliases = self.model(name).aliases if aliases is None else aliases
        return [_version(v, aliases) for v in found]

    def version(
        self, name: str, version: str, *, with_metrics: bool = True, aliases: dict[str, str] | None = None
    ) -> VersionInfo:
        client = self._mlflow()
        aliases = self.model(name).aliases if aliases is None else aliases
        try:
            found = self._call(f"version {version} of `{name}`", client.get_model_version, name, str(version))
        except NotFound:
            known = [v.version for v in self.versions(name, limit=10)]
            raise NotFound(f"`{name}` has no version {version}.", suggestions=known) from None
        info = _version(found, aliases)
        return self._with_metrics(info) if with_metrics else info

    def closest_names(self, name: str, *, limit: int = 3) -> list[str]:
        try:
            names = [m.name for m in self.list_models(page_size=1000).models]
        except MlflowError:
            return []
        by_case = {n.lower(): n for n in names}
        close = difflib.get_close_matches(name.lower(), list(by_case), n=limit, cutoff=0.5)
        return [by_case[c] for c in close]

    def _with_metrics(self, info: VersionInfo) -> VersionInfo:
        if not info.run_id:
            return info
        try:
            run = self._call(f"run {info.run_id}", self._mlflow().get_run, info.run_id)
        except NotFound:
            return info
        metrics = dict(sorted(run.data.metrics.items())[:KEY_METRICS])
        return VersionInfo(**{**info.__dict__, "metrics": metrics})

    # ------------------------------------------------------------------ writes
    def set_alias(self, name: str, alias: str, version: str) -> None:
        client = self._mlflow()
        self._call(f"set alias `{alias}` of `{name}`", client.set_registered_model_alias, name, alias, str(version))

    def tag_version(self, name: str, version: str, tags: dict[str, str]) -> None:
        client = self._mlflow()
        for key, value in tags.items():
            self._call(f"tag version {version} of `{name}`", client.set_model_version_tag, name, str(version), key, value)

    def register_version(self, name: str, *, metrics: dict[str, float], source: str) -> str:
        """Register a new version of ``name`` (the model too, the first time) from a finished run
        that logged ``metrics``; return its number.  The sandbox seeds its demo registry with it."""
        client = self._mlflow()
        if self.closest_names(name, limit=1) != [name]:
            self._call(f"create model `{name}`", client.create_registered_model, name)
        run = self._call("create run", client.create_run, "0")
        for key, value in metrics.items():
            self._call("log metric", client.log_metric, run.info.run_id, key, value)
        self._call("finish run", client.set_terminated, run.info.run_id)
        found = self._call(f"register `{name}`", client.create_model_version, name, source, run_id=run.info.run_id)
        return str(found.version)

    def create_webhook(self, *, name: str, url: str, secret: str, events: list[str]) -> str:
        client = self._mlflow()
        hook = self._call("create webhook", client.create_webhook, name=name, url=url, events=events, secret=secret)
        return str(hook.webhook_id)


def _quote(text: str) -> str:
    return text.replace("'", "''")


def _summary(model: Any) -> ModelSummary:
    latest = max((int(v.version) for v in (model.latest_versions or [])), default=None)
    return ModelSummary(
        name=model.name,
        aliases={alias: str(version) for alias, version in (model.aliases or {}).items()},
        latest_version=str(latest) if latest is not None else None,
        description=model.description or "",
        updated_at=_ms(model.last_updated_timestamp),
    )


def _version(found: Any, aliases: dict[str, str]) -> VersionInfo:
    version = str(found.version)
    return VersionInfo(
        name=found.name,
        version=version,
        status=str(found.status or ""),
        created_at=_ms(found.creation_timestamp),
        run_id=found.run_id or None,
        source=found.source or "",
        tags=dict(found.tags or {}),
        aliases=tuple(sorted(a for a, v in aliases.items() if v == version)),
    )
