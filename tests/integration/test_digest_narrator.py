"""The digest's narrative from a real openai client talking to a loopback OpenAI-compatible server:
a good answer, a server error, silence, an overlong and an empty answer — the digest always gets
its sentences, and the log says why the template was used."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.digest.figures import TALLIES, TREND_WEEKS, Digest, build_stages, weakest_sentence
from bot.digest.narrative import narrate, template
from bot.digest.weeks import IsoWeek
from bot.runtime.bootstrap import openai_narrator
from bot.runtime.settings import load_settings

GOOD = "Adoption grew by two builders. Deployments held steady; Trust needs a look."


class OpenAIStandIn:
    """``POST /v1/chat/completions`` answered as ``mode`` says: ok, error (HTTP 500), silent
    (no answer until the test ends), long (2,000 characters) or empty."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                standin.requests.append({"path": self.path, **body})
                if standin.mode == "silent":
                    standin.release.wait(10)
                    return
                if standin.mode == "error":
                    return self._send(500, {"error": {"message": "boom", "type": "server_error"}})
                content = {"ok": GOOD, "long": "x" * 2000, "empty": ""}[standin.mode]
                self._send(200, {
                    "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                })

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"


@pytest.fixture
def llm() -> Iterator[OpenAIStandIn]:
    standin = OpenAIStandIn()
    standin.thread.start()
    yield standin
    standin.release.set()
    standin.server.shutdown()
    standin.server.server_close()


@pytest.fixture
def digest() -> Digest:
    counts = [{**dict.fromkeys(TALLIES, 2), "builders": 3 + i} for i in range(TREND_WEEKS)]
    stages = build_stages(counts, [{"hours_to_decision": 5.0}] * TREND_WEEKS)
    return Digest("mlops", "MLOps", "C0MLOPS", IsoWeek(2026, 48), stages, weakest_sentence(stages), ("U0ADA",))


def narrator(llm: OpenAIStandIn, timeout: str = "5"):  # noqa: ANN201 - the narrator bootstrap builds
    settings = load_settings(OPENAI_BASE_URL=llm.url, OPENAI_MODEL="tiny-model", OPENAI_TIMEOUT=timeout,
                             FACTORY_DIGEST_PROMPT="Say what moved.")
    return openai_narrator(settings)


def test_the_model_writes_from_the_figures_only(llm: OpenAIStandIn, digest: Digest) -> None:
    assert narrate(narrator(llm), digest) == GOOD
    [request] = llm.requests
    assert request["path"] == "/v1/chat/completions" and request["model"] == "tiny-model"
    system, user = request["messages"]
    assert system == {"role": "system", "content": "Say what moved."}
    figures = json.loads(user["content"])
    assert figures["stages"]["Adoption"]["Active builders"]["last_8_weeks"] == [3, 4, 5, 6, 7, 8, 9, 10]
    assert "U0ADA" not in user["content"] and "MLOps" not in user["content"] and "mlops" not in user["content"]


@pytest.mark.parametrize(("mode", "why", "requests"), [
    ("error", "the model's server answered HTTP 500", 2),  # one retry, no more
    ("long", "the model's answer was too long (2,000 characters, at most 600)", 1),
    ("empty", "the model's answer was empty", 1),
])
def test_a_bad_answer_falls_back_to_the_template(
    llm: OpenAIStandIn, digest: Digest, caplog: pytest.LogCaptureFixture, mode: str, why: str, requests: int
) -> None:
    llm.mode = mode
    with caplog.at_level(logging.WARNING, logger="bot.digest.narrative"):
        assert narrate(narrator(llm), digest) == template(digest)
    assert why in caplog.text and len(llm.requests) == requests


def test_silence_times_out_twice_then_falls_back(
    llm: OpenAIStandIn, digest: Digest, caplog: pytest.LogCaptureFixture
) -> None:
    llm.mode = "silent"
    with caplog.at_level(logging.WARNING, logger="bot.digest.narrative"):
        assert narrate(narrator(llm, timeout="0.3"), digest) == template(digest)
    assert "no answer from the model within 0.3 s (tried twice)" in caplog.text and len(llm.requests) == 2


def test_no_server_configured_means_no_narrator() -> None:
    assert openai_narrator(load_settings()) is None
