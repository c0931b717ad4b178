"""What happens to an approved model deployment: it is handed to the deployment service.

The MLflow issue brings the real deployment service (moving an alias, recording the
previous version for rollback).  Until then :class:`HandOverExecutor` records that the
request was handed over, and tests plug in a double through ``Services.deployments``.
The approvals service guarantees ``execute`` is called at most once per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.approvals.service import RequestView


@dataclass(frozen=True)
class ExecutionResult:
    status: str  # "handed_over", "succeeded" or "failed"
    detail: str = ""


class DeploymentExecutor(Protocol):
    def validate(self, fields: Mapping[str, Any]) -> str | None:
        """Before a request is filed: a problem with its model, version or alias, for the person, or None."""
        ...

    def execute(self, request: RequestView) -> ExecutionResult:
        """Carry out an approved model deployment; raise or return ``failed`` on failure."""
        ...


class HandOverExecutor:
    """The stand-in until the MLflow deployment service exists: it only records the hand-over."""

    def validate(self, fields: Mapping[str, Any]) -> str | None:
        return None

    def execute(self, request: RequestView) -> ExecutionResult:
        fields = request.field_values
        target = f"{fields.get('model', '?')} version {fields.get('version', '?')} to {fields.get('alias', '?')}"
        return ExecutionResult(status="handed_over", detail=f"handed over to the deployment service: {target}")
