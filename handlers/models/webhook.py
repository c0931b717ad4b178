"""``POST /mlflow/webhook``: MLflow's registry events posted to the channels watching the model."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pydantic import SecretStr
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.models.registry import ModelService
from bot.models.webhooks import WebhookRejected, verify
from handlers.models import views

# (headers, body) -> (HTTP status, JSON answer), served at POST /mlflow/webhook
WebhookReceiver = Callable[[dict[str, str], bytes], tuple[int, dict[str, Any]]]

log = logging.getLogger(__name__)


def make_receiver(secret: SecretStr | None, models: ModelService, client: WebClient) -> WebhookReceiver | None:
    """The receiver, or None (the route answers 404) when ``MLFLOW_WEBHOOK_SECRET`` is not set."""
    if secret is None:
        return None

    def receive(headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            event = verify(secret.get_secret_value(), headers, body)
        except WebhookRejected as exc:
            log.warning("MLflow webhook rejected: %s", exc)
            return exc.status, {"ok": False, "error": str(exc)}
        channels = models.record_event(event)
        if channels is None:
            return 200, {"ok": True, "duplicate": True}
        for channel in channels:
            try:
                client.chat_postMessage(channel=channel, **views.mlflow_event(event))
            except SlackApiError as exc:
                log.warning("could not post MLflow event to %s: %s", channel, exc.response.get("error"))
        return 200, {"ok": True, "posted": len(channels)}

    return receive
