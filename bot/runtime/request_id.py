"""One id per HTTP request, on every log line written while it is handled.

:class:`~bot.runtime.server.FactoryWSGI` sets it when a request arrives (the load balancer's
``X-Request-Id`` when it sends a well-formed one, else a new one) and answers with it in the
``X-Request-Id`` header.  It lives in a contextvar: the listener and after-ack pools run their
work in a copy of the submitting thread's context, so a listener's lines and the work after
its acknowledgement carry the id of the request that started them.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any

current: ContextVar[str | None] = ContextVar("request_id", default=None)

_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,64}")  # nothing that could forge a log line


def for_request(environ: dict[str, Any]) -> str:
    given = environ.get("HTTP_X_REQUEST_ID", "")
    return given if _WELL_FORMED.fullmatch(given) else uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record as ``request_id`` (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current.get()
        return True
