"""MLflow webhooks (MLflow ≥ 3.3): verify, de-duplicate, and turn into plain events.

MLflow signs each delivery with ``X-MLflow-Signature: v1,<base64 HMAC-SHA256(secret,
"{delivery_id}.{timestamp}.{body}")>`` and sends ``X-MLflow-Timestamp`` and
``X-MLflow-Delivery-Id`` (https://mlflow.org/docs/latest/ml/webhooks/).  A delivery
is accepted when the signature matches (compared in constant time), the timestamp is
within five minutes, and its delivery id was not seen before (the ``processed_events``
primary key decides, so a redelivery is acknowledged but does nothing).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from storage.db import Database
from storage.deployments import watching_channels
from storage.repositories import claim_once, record_activity

MAX_AGE_S = 300
HANDLED = {"model_version.created", "model_version_alias.created"}


class WebhookRejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class MlflowEvent:
    delivery_id: str
    kind: str  # "<entity>.<action>"
    model: str
    version: str
    alias: str | None
    run_id: str | None


def sign(secret: str, delivery_id: str, timestamp: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{delivery_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret: str, headers: dict[str, str], body: bytes, *, now: float | None = None) -> MlflowEvent:
    """The delivery as an event, or :class:`WebhookRejected` with the HTTP status to answer."""
    lowered = {k.lower(): v for k, v in headers.items()}
    signature = lowered.get("x-mlflow-signature", "")
    timestamp = lowered.get("x-mlflow-timestamp", "")
    delivery_id = lowered.get("x-mlflow-delivery-id", "")
    if not (signature and timestamp and delivery_id):
        raise WebhookRejected(401, "missing signature headers")
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except ValueError:
        raise WebhookRejected(401, "bad timestamp") from None
    if age > MAX_AGE_S:
        raise WebhookRejected(401, "stale timestamp")
    text = body.decode("utf-8", errors="replace")
    if not hmac.compare_digest(sign(secret, delivery_id, timestamp, text), signature):
        raise WebhookRejected(401, "bad signature")
    try:
        payload = json.loads(text)
        data: dict[str, Any] = payload["data"]
        kind = f"{payload['entity']}.{payload['action']}"
        return MlflowEvent(
            delivery_id=delivery_id, kind=kind, model=str(data.get("name", "")), version=str(data.get("version", "")),
            alias=data.get("alias"), run_id=data.get("run_id"),
        )
    except (ValueError, KeyError, TypeError):
        raise WebhookRejected(400, "malformed payload") from None


def record_event(db: Database, event: MlflowEvent) -> list[str] | None:
    """Log a handled event once; the channels watching its model, or None for a redelivery."""
    with db.unit_of_work() as uow:
        if not claim_once(uow.session, f"mlflow:{event.delivery_id}"):
            return None
        channels: list[str] = []
        if event.kind in HANDLED:
            kind = "model.version_registered" if event.kind == "model_version.created" else "model.alias_set"
            record_activity(uow.session, kind=kind, subject=event.model,
                            figures={"version": event.version, "alias": event.alias, "source": "mlflow"})
            channels = watching_channels(uow.session, event.model)
        uow.commit()
    return channels
