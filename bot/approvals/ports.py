"""The interfaces approvals own for the world outside: who hears of a request, who carries it out.

The Slack implementation of :class:`ApprovalNotifier` is ``handlers.approvals.notifier``;
the MLflow implementation of :class:`DeploymentExecutor` is ``bot.models.executor``.
The composition root (``bot.runtime.bootstrap``) hands both in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from bot.approvals.model import ExecutionResult, MessageRef, RequestView


class ApprovalNotifier(Protocol):
    """How requests reach people (Slack in production: :mod:`handlers.approvals.notifier`)."""

    def post(self, request: RequestView, *, role: str, recipient: str) -> MessageRef: ...

    def update(self, request: RequestView, ref: MessageRef) -> None: ...

    def notify(self, request: RequestView, *, kind: str, recipients: list[str]) -> None:
        """A one-off DM: ``reminder``, ``escalation`` or ``outcome``."""
        ...


class DeploymentExecutor(Protocol):
    def validate(self, fields: Mapping[str, Any]) -> str | None:
        """Before a request is filed: a problem with its model, version or alias, for the person, or None."""
        ...

    def execute(self, request: RequestView) -> ExecutionResult:
        """Carry out an approved deployment or rollback (at most once per request); raise or return ``failed`` on failure."""
        ...
