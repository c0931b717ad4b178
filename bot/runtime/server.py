"""HTTP serving: a small WSGI router in front of Bolt, served by waitress.

Why waitress: Bolt's built-in ``app.start()`` server is single-threaded with a listen
backlog of 5, and the sync ``App`` under an ASGI server polls for the ack with 10 ms
sleeps.  A threaded WSGI server with Bolt's WSGI adapter is the fast, portable choice;
waitress is pure Python, embeddable (tests and benchmarks start it on a thread) and
needs no process manager.

Routes: ``POST /slack/events`` (slash commands, interactivity and events alike),
``POST /mlflow/webhook`` (MLflow's model-registry webhooks, when a receiver is given),
``GET /healthz`` and ``GET /metrics`` (Prometheus, :mod:`bot.runtime.metrics`).  Anything
else is 404.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.runtime import metrics, request_id
from storage.db import Database

log = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
MLFLOW_WEBHOOK_PATH = "/mlflow/webhook"
METRICS_PATH = "/metrics"
MAX_WEBHOOK_BODY = 1_000_000
_TIMESTAMP = re.compile("[0-9]{1,12}")  # Unix seconds, as Slack sends them
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# (headers, body) -> (HTTP status, JSON answer)
WebhookReceiver = Callable[[dict[str, str], bytes], tuple[int, dict[str, Any]]]


class FactoryWSGI:
    """Routes requests to Bolt (``slack``: Bolt's WSGI handler), to the MLflow webhook receiver,
    to the health check or to the metrics; ``load`` reports how busy the work after
    acknowledgements is."""

    def __init__(
        self,
        slack: WSGIApp,
        db: Database,
        *,
        mlflow_webhook: WebhookReceiver | None = None,
        load: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self._slack = slack
        self._db = db
        self._mlflow_webhook = mlflow_webhook
        self._load = load
        self._states = metrics.States(db, load)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD")
        if path == "/healthz" and method in ("GET", "HEAD"):
            return self._health(start_response)
        if path == METRICS_PATH and method in ("GET", "HEAD"):
            page = metrics.exposition(self._states)
            start_response("200 OK", [("Content-Type", metrics.CONTENT_TYPE), ("Content-Length", str(len(page)))])
            return [page]
        return self._observed(environ, start_response)

    def _observed(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Answer a request under its request id (in the logs and the ``X-Request-Id`` header),
        counted with its kind, outcome and the time to its answer (for Slack: the ack)."""
        started = time.perf_counter()
        rid = request_id.for_request(environ)
        kind = "webhook" if environ.get("PATH_INFO") == MLFLOW_WEBHOOK_PATH else _slack_kind(environ)
        statuses: list[int] = []

        def answer(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            statuses.append(int(status[:3]))
            return start_response(status, [*headers, ("X-Request-Id", rid)], exc_info)

        token = request_id.current.set(rid)
        try:
            return self._route(environ, answer)
        finally:
            request_id.current.reset(token)
            metrics.observe_request(kind, statuses[-1] if statuses else None, time.perf_counter() - started)

    def _route(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD")
        if path == MLFLOW_WEBHOOK_PATH and method == "POST" and self._mlflow_webhook is not None:
            return self._webhook(environ, start_response)
        if method == "POST" and not _TIMESTAMP.fullmatch(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")):
            # Bolt would raise on int("abc") before checking the signature: a 500 and a traceback
            # in the logs for anyone who asks.  Without a valid timestamp no signature can match.
            return _json(start_response, 401, {"ok": False, "error": "invalid request timestamp"})
        try:
            return self._slack(environ, start_response)
        except Exception as exc:  # noqa: BLE001 - Bolt could not read it: a signed payload of a shape
            # Slack never sends (``"actions": []``); listeners' own failures never get here.
            log.warning("refused a request Bolt could not read: %s: %s", type(exc).__name__, exc)
            return _json(start_response, 400, {"ok": False, "error": "unreadable request"})

    def _webhook(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_WEBHOOK_BODY:
            return _json(start_response, 413, {"ok": False, "error": "too large"})
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        status, answer = self._mlflow_webhook(headers, body)  # type: ignore[misc]
        return _json(start_response, status, answer)

    def _health(self, start_response: Callable[..., Any]) -> Iterable[bytes]:
        """200 while the database answers; the load of the work after acknowledgements is
        reported (``saturated`` means new slow commands are being turned away as busy)."""
        load = self._load() if self._load else {}
        try:
            self._db.ping()
        except Exception as exc:  # the health check reports, it does not raise
            log.warning("health check: database unreachable: %s", type(exc).__name__)
            return _json(start_response, 503, {"ok": False, "database": "unreachable", "after_ack": load})
        return _json(start_response, 200, {"ok": True, "database": "ok", "after_ack": load})


def _slack_kind(environ: dict[str, Any]) -> str:
    """Read the body once to name the request's kind, and put it back for Bolt."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return metrics.request_kind(body)


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 413: "Payload Too Large",
            503: "Service Unavailable"}


def _json(start_response: Callable[..., Any], status: int, body: dict[str, Any]) -> Iterable[bytes]:
    payload = json.dumps(body).encode()
    start_response(
        f"{status} {_REASONS.get(status, 'Status')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def waitress_options(threads: int) -> dict[str, Any]:
    return {
        "threads": threads,
        "backlog": 2048,
        "connection_limit": max(100, threads * 16),
        "channel_timeout": 60,
        "ident": "factorybot",
        "clear_untrusted_proxy_headers": True,
    }


def serve_forever(wsgi: WSGIApp, *, host: str, port: int, threads: int) -> None:
    import waitress

    log.info("serving on http://%s:%s%s with %d threads", host, port, SLACK_PATH, threads)
    waitress.serve(wsgi, host=host, port=port, **waitress_options(threads))


@dataclass
class RunningServer:
    """A waitress server on a background thread (tests, benchmarks, the sandbox)."""

    url: str
    _server: Any
    _thread: threading.Thread

    def stop(self) -> None:
        from waitress import wasyncore

        # Let the requests in progress finish first: a worker that completes one pulls the
        # trigger, which must still be open.  Then close every channel from inside the loop's
        # own thread (the trigger runs the thunk there); closing sockets under a running
        # select() from here would race it.
        self._server.task_dispatcher.shutdown()
        self._server.trigger.pull_trigger(lambda: wasyncore.close_all(self._server._map))
        self._thread.join(timeout=5)


def start_in_thread(wsgi: WSGIApp, *, host: str = "127.0.0.1", port: int = 0, threads: int = 8) -> RunningServer:
    from waitress.server import create_server

    # waitress's own loop timeout (1 s; it keeps only whole seconds, and 0 would spin a core on
    # select): stop() does not wait for it, as pulling the trigger wakes the loop at once.
    server = create_server(wsgi, host=host, port=port, **waitress_options(threads))
    thread = threading.Thread(target=server.run, name="factorybot-http", daemon=True)
    thread.start()
    return RunningServer(url=f"http://{host}:{server.effective_port}", _server=server, _thread=thread)
