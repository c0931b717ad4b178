"""``GET /metrics``: what Prometheus scrapes from ``factorybot serve``, read back with its own parser.

Counters are process-wide (prometheus-client's registry), so each test compares a scrape
after with a scrape before.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

import jobs
from bot.runtime.bootstrap import Bot
from bot.runtime.metrics import count_job_run
from bot.runtime.server import RunningServer
from bot.sandbox import SlackRequestBuilder, SlackStandIn
from handlers.guilds.views import PROFILE_ACTION
from jobs import JobContext
from jobs.scheduler import build_scheduler
from tests.e2e.approval_helpers import CountingExecutor
from tests.e2e.conftest import MEMBER
from tests.polling import eventually

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def bot_parts() -> dict[str, Any]:
    return {"executor": CountingExecutor()}  # approvals filed here never ask MLflow


def scrape(server: RunningServer) -> Samples:
    resp = requests.get(f"{server.url}/metrics", timeout=5)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(resp.text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def grew(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_requests_are_counted_by_kind_and_outcome_with_their_ack_latency(
    bot_server: RunningServer, signed: SlackRequestBuilder, slack: SlackStandIn, bot: Bot
) -> None:
    before = scrape(bot_server)
    assert signed.slash_command("/factory", "help", user_id=MEMBER).status_code == 200
    assert signed.slash_command("/factory", "help", user_id=MEMBER).status_code == 200
    assert signed.block_actions(action_id=PROFILE_ACTION, user_id=MEMBER, view={"id": "V1"}).status_code == 200
    assert signed.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"}).status_code == 200
    assert signed.slash_command("/factory", "help", signature="v0=forged").status_code == 401
    bot.drain()
    after = scrape(bot_server)

    assert grew(before, after, "factorybot_requests_total", kind="command", outcome="ok") == 2
    assert grew(before, after, "factorybot_requests_total", kind="action", outcome="ok") == 1
    assert grew(before, after, "factorybot_requests_total", kind="event", outcome="ok") == 1
    assert grew(before, after, "factorybot_requests_total", kind="command", outcome="rejected") == 1
    assert grew(before, after, "factorybot_ack_seconds_count", kind="command") == 3
    assert grew(before, after, "factorybot_ack_seconds_bucket", kind="command", le="3.0") == 3  # within Slack's 3 s
    assert grew(before, after, "factorybot_ack_seconds_sum", kind="command") > 0


def test_each_request_gets_an_id_the_load_balancer_may_give(bot_server: RunningServer,
                                                             signed: SlackRequestBuilder) -> None:
    body, headers = signed.build_slash_command("/factory", "help", user_id=MEMBER)
    given = requests.post(signed.url, data=body, headers={**signed.signed_headers(body, headers),
                                                          "X-Request-Id": "lb-1234.abc"}, timeout=5)
    assert given.headers["X-Request-Id"] == "lb-1234.abc"
    forged = requests.post(signed.url, data=body, headers={**signed.signed_headers(body, headers),
                                                           "X-Request-Id": "x\" level=\"ERROR"}, timeout=5)
    assert len(forged.headers["X-Request-Id"]) == 32 and "\"" not in forged.headers["X-Request-Id"]


def test_slack_web_api_errors_are_counted_by_method(
    bot_server: RunningServer, signed: SlackRequestBuilder, slack: SlackStandIn, bot: Bot
) -> None:
    before = scrape(bot_server)
    slack.fail("views.publish", error="invalid_arguments")  # the listener's own client (Bolt's context)
    signed.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    bot.drain()
    after = scrape(bot_server)
    assert grew(before, after, "factorybot_slack_api_errors_total", method="views.publish",
                error="invalid_arguments") == 1


def test_approvals_pending_and_the_after_ack_queue_are_read_when_scraped(
    bot_server: RunningServer, bot: Bot
) -> None:
    assert value(scrape(bot_server), "factorybot_approvals_pending") == 0
    bot.services.approvals.file_request(requester=MEMBER, type_id="model_deployment", source="command",
                                        fields={"model": "churn", "version": "3", "alias": "production"}, answers={})
    release = threading.Event()
    assert bot.after_ack.submit(release.wait, 10)
    try:
        samples = scrape(bot_server)
        assert value(samples, "factorybot_approvals_pending") == 1
        assert value(samples, "factorybot_after_ack_in_flight") == 1
        assert value(samples, "factorybot_after_ack_capacity") == bot.after_ack.capacity
    finally:
        release.set()
    bot.drain()
    assert value(scrape(bot_server), "factorybot_after_ack_in_flight") == 0


def boom() -> None:
    raise RuntimeError("boom: this test job fails on purpose")


def fine() -> str:
    return "fine"


def test_job_runs_and_failures_are_counted(bot_server: RunningServer, bot: Bot) -> None:
    """The CLI hands the metrics' listener to every scheduler it builds (``JobContext.run_listeners``)."""
    before = scrape(bot_server)
    scheduler = build_scheduler(JobContext(services=bot.services, db=bot.db, run_listeners=(count_job_run,)),
                                zone=bot.settings.zone, specs=())
    scheduler.start()
    try:
        now = datetime.now(timezone.utc)
        scheduler.add_job(boom, "interval", hours=1, id="test.boom", next_run_time=now)
        scheduler.add_job(fine, "interval", hours=1, id="test.fine", next_run_time=now)
        eventually(lambda: grew(before, scrape(bot_server), "factorybot_jobs_total", job="test.fine", outcome="ok"),
                   what="the fine job counted")
        eventually(lambda: grew(before, scrape(bot_server), "factorybot_jobs_total", job="test.boom",
                                outcome="error"), what="the failing job counted")
    finally:
        scheduler.shutdown()
        jobs.set_context(None)


def test_processes_sharing_a_multiprocess_dir_answer_with_the_sum(tmp_path: Path) -> None:
    """What ``PROMETHEUS_MULTIPROC_DIR`` is for: several processes behind one port."""
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": root}
    count = "from bot.runtime import metrics; metrics.observe_request('command', 200, 0.01)"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, check=True, timeout=60)
    show = ("import sys; from bot.runtime import metrics\n"
            "class NoStates:\n    def collect(self): return []\n"
            "sys.stdout.write(metrics.exposition(NoStates()).decode())")
    page = subprocess.run([sys.executable, "-c", show], env=env, check=True, timeout=60,
                          capture_output=True, text=True).stdout
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(page) for s in family.samples}
    assert value(samples, "factorybot_requests_total", kind="command", outcome="ok") == 2
