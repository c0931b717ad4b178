"""The waitress server that tests, benchmarks and the sandbox start on a thread."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import requests

from bot.runtime.server import start_in_thread


def _hello(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]


def test_an_idle_server_uses_almost_no_cpu_and_stops_at_once() -> None:
    """A loop timeout that waitress rounds down to 0 turns its select() into a busy loop."""
    server = start_in_thread(_hello)
    try:
        assert requests.get(server.url, timeout=5).text == "hello"
        cpu_before = time.process_time()
        time.sleep(1.0)  # idling is what is measured
        idle_cpu = time.process_time() - cpu_before
    finally:
        started = time.monotonic()
        server.stop()
        stopping = time.monotonic() - started
    assert idle_cpu < 0.2, f"{idle_cpu:.2f} s of CPU in 1 s of idling"
    assert stopping < 0.5, f"stop() took {stopping:.2f} s"
