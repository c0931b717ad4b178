"""Retry deployments that MLflow could not take (every minute; due ones only, with backoff).

Bot modules are imported inside the function so installing the job at start-up stays quick.
"""

from __future__ import annotations

from jobs import current_context


def retry_deployments() -> str:
    from bot.runtime.bootstrap import build_web_client
    from bot.models.deployments import DeploymentService
    from bot.models.gateway import MlflowGateway
    from handlers.models.reporter import SlackDeploymentReporter

    context = current_context()
    service = DeploymentService(context.db, MlflowGateway(context.settings.effective_mlflow_uri))
    reporter = SlackDeploymentReporter(build_web_client(context.settings), context.db)
    outcomes = service.retry_due()
    for outcome in outcomes:
        if outcome.status != "busy":
            reporter.report(outcome)
    return f"retried {len(outcomes)} deployment(s): " + ", ".join(f"{o.model} {o.status}" for o in outcomes)
