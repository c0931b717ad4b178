"""The global error handler: log what failed with its traceback; nothing of it goes to Slack."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.error(_log_error)


def _log_error(error: Exception, body: dict[str, Any]) -> None:
    kind = body.get("command") or body.get("type") or (body.get("event") or {}).get("type")
    log.error("listener failed on %s: %s", kind, error, exc_info=error)
