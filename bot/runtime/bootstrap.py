"""The app factory: one place that turns settings into a wired Bolt ``App``."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

import handlers
from bot.runtime.server import FactoryWSGI
from bot.services import Services
from bot.runtime.settings import Settings
from storage.db import Database

log = logging.getLogger(__name__)


def build_web_client(settings: Settings) -> WebClient:
    """A ``WebClient`` on ``SLACK_API_URL`` that retries rate limits (429 + Retry-After),
    5xx answers and dropped connections with slack-sdk's own retry handlers."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def build_app(
    settings: Settings,
    *,
    db: Database | None = None,
    services: Services | None = None,
    token_verification: bool = True,
) -> App:
    """Build the Bolt app from settings and register every listener from ``handlers``.

    Bolt runs listeners (and lazy listeners) on ``listener_executor``; its default has
    5 threads, too few for a busy workspace, so it is sized by ``FACTORY_LISTENER_THREADS``.
    """
    services = services or Services(settings=settings, db=db or Database(settings.database_url))
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    app = App(
        client=build_web_client(settings),
        signing_secret=secret,
        token_verification_enabled=token_verification,
        listener_executor=ThreadPoolExecutor(
            max_workers=settings.listener_threads, thread_name_prefix="bolt-listener"
        ),
        logger=logging.getLogger("factorybot.bolt"),
    )
    wire_deployments(services, app.client)
    handlers.register_all(app, services)
    return app


def wire_deployments(services: Services, client: WebClient) -> Services:
    """Approved deployments go to MLflow (unless a test plugged in its own executor)."""
    from bot.models.executor import MlflowDeploymentExecutor
    from bot.approvals.ports import HandOverExecutor
    from handlers.models.reporter import SlackDeploymentReporter

    if isinstance(services.deployment_executor, HandOverExecutor):
        reporter = SlackDeploymentReporter(client, services.db)
        services.deployment_executor = MlflowDeploymentExecutor(services.deployments, reporter)
    return services


def build_wsgi(settings: Settings, *, db: Database | None = None, services: Services | None = None) -> FactoryWSGI:
    """The whole HTTP surface: Bolt at ``/slack/events``, the MLflow webhook, the health check."""
    from handlers.models.webhook import make_receiver

    services = services or Services(settings=settings, db=db or Database(settings.database_url))
    app = build_app(settings, services=services)
    return FactoryWSGI(app, services.db, mlflow_webhook=make_receiver(services, app.client))
