"""The bridge from an approved request to the deployment service.

:meth:`bot.approvals.routing.ApprovalRouting.execute_if_approved` guarantees ``execute`` runs at most once
per request; the deployment's unique request reference makes a repeat harmless anyway.
The outcome is reported to the requester, in the approval's thread (the approvals-channel
message, or else the requester's receipt) and, once done, in the channels watching the
model.  A deployment MLflow could not take yet stays pending and the retry job finishes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.approvals.model import ExecutionResult, RequestView
from bot.approvals.policy import MODEL_ROLLBACK
from bot.models.deployments import DeploymentOrder, DeploymentService
from bot.models.gateway import MlflowError, NotFound
from storage.approvals import messages_for

_RESULT = {"done": "succeeded", "already": "succeeded", "failed": "failed", "pending": "handed_over",
           "busy": "handed_over"}


class MlflowDeploymentExecutor:
    """The approvals' :class:`bot.approvals.ports.DeploymentExecutor`, over MLflow."""

    def __init__(self, service: DeploymentService) -> None:
        self._service = service

    def validate(self, fields: Mapping[str, Any]) -> str | None:
        """Refuse a deployment of a model or version MLflow does not know, with the closest names.
        MLflow being down is no reason to refuse: the deployment checks again when it runs."""
        try:
            self._service.gateway.version(str(fields.get("model", "")), str(fields.get("version", "")),
                                          with_metrics=False)
        except NotFound as exc:
            if not exc.suggestions:
                return str(exc)
            return f"{exc} Did you mean {', '.join(f'`{s}`' for s in exc.suggestions)}?"
        except MlflowError:
            return None
        return None

    def execute(self, request: RequestView) -> ExecutionResult:
        fields = request.field_values
        order = DeploymentOrder(
            model=str(fields["model"]),
            version=str(fields["version"]),
            alias=str(fields.get("alias") or "production"),
            requested_by=request.requester,
            approved_by=tuple(d.approver for d in request.decisions if d.verdict == "approve"),
            request_ref=request.public_id,
            kind="rollback" if request.type_id == MODEL_ROLLBACK else "deploy",
            guild=request.guild,
            notify=self._thread(request.id),
        )
        outcome = self._service.carry_out(order)
        return ExecutionResult(status=_RESULT[outcome.status], detail=outcome.message)

    def _thread(self, request_id: int) -> dict[str, str]:
        with self._service.db.unit_of_work() as uow:
            refs = {m.role: m for m in messages_for(uow.session, request_id)}
        ref = refs.get("channel") or refs.get("requester")
        return {"channel": ref.channel, "thread_ts": ref.ts, "role": ref.role} if ref else {}
