"""HTTP serving: a small WSGI router in front of Bolt, served by waitress.

Why waitress: Bolt's built-in ``app.start()`` server is single-threaded with a listen
backlog of 5, and the sync ``App`` under an ASGI server polls for the ack with 10 ms
sleeps.  A threaded WSGI server with Bolt's WSGI adapter is the fast, portable choice;
waitress is pure Python, embeddable (tests and benchmarks start it on a thread) and
needs no process manager.

Routes: ``POST /slack/events`` (slash commands, interactivity and events alike) and
``GET /healthz``.  Anything else is 404.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

from storage.db import Database

log = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FactoryWSGI:
    """Routes requests to Bolt or to the health check."""

    def __init__(self, app: App, db: Database) -> None:
        self._slack = SlackRequestHandler(app, path=SLACK_PATH)
        self._db = db

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return self._health(start_response)
        return self._slack(environ, start_response)

    def _health(self, start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            with self._db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            status, body = "200 OK", {"ok": True, "database": "ok"}
        except Exception as exc:  # the health check reports, it does not raise
            log.warning("health check: database unreachable: %s", type(exc).__name__)
            status, body = "503 Service Unavailable", {"ok": False, "database": "unreachable"}
        payload = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
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

        # Close every channel from inside the loop's own thread (waitress's trigger runs the
        # thunk there); closing sockets under a running select() from here would race it.
        self._server.trigger.pull_trigger(lambda: wasyncore.close_all(self._server._map))
        self._thread.join(timeout=5)
        self._server.task_dispatcher.shutdown()


def start_in_thread(wsgi: WSGIApp, *, host: str = "127.0.0.1", port: int = 0, threads: int = 8) -> RunningServer:
    from waitress.server import create_server

    # A short loop timeout lets stop() return at once instead of after waitress's 1 s poll.
    server = create_server(wsgi, host=host, port=port, asyncore_loop_timeout=0.05, **waitress_options(threads))
    thread = threading.Thread(target=server.run, name="factorybot-http", daemon=True)
    thread.start()
    return RunningServer(url=f"http://{host}:{server.effective_port}", _server=server, _thread=thread)
