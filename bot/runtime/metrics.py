"""What ``GET /metrics`` tells Prometheus: the bot's counters and states, in one place.

Counts (requests, their ack latency, failed Web API calls, job runs) are kept as they happen
by the runtime that sees them: the HTTP router, the composition root's Slack client, the
scheduler's listener.  States (approvals pending, the after-ack pool) are read when scraped,
so they are never stale; approvals pending is the shared database's figure, the same from
every replica.

Each replica is scraped on its own.  Several processes answering on one port (a process
manager forking workers) set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder before they
start: prometheus-client then keeps the counts in files there and each process answers with
the sum of all (``MultiProcessCollector``).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from storage.approvals import pending_requests
from storage.db import Database

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REQUESTS = Counter(
    "factorybot_requests",
    "HTTP requests by kind (command, action, view, event, webhook, other) and outcome (ok, rejected, error)",
    ["kind", "outcome"],
)
ACK_SECONDS = Histogram(
    "factorybot_ack_seconds",
    "Seconds from a request's arrival to its answer (for Slack: the acknowledgement), by kind",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0),  # Slack waits 3 s
)
WEB_API_ERRORS = Counter(
    "factorybot_slack_api_errors",
    "Slack Web API calls that failed after the client's retries, by method and error",
    ["method", "error"],
)
JOBS = Counter("factorybot_jobs", "Scheduled job runs by job and outcome (ok, error, missed)", ["job", "outcome"])

_INTERACTIVE = {
    "block_actions": "action", "interactive_message": "action", "block_suggestion": "action",
    "shortcut": "action", "message_action": "action",
    "view_submission": "view", "view_closed": "view",
}


def request_kind(body: bytes) -> str:
    """What a body posted to ``/slack/events`` is: ``command``, ``action``, ``view``, ``event`` or
    ``other`` (anything malformed: the count must not fail where the request will)."""
    if body.startswith(b"{"):
        return "event"
    try:
        form = parse_qs(body.decode())
        if "command" in form:
            return "command"
        payload = json.loads(form["payload"][0])
        return _INTERACTIVE.get(payload.get("type"), "other")
    except (ValueError, KeyError, AttributeError, TypeError, RecursionError):  # JSON nested past reason
        return "other"


def observe_request(kind: str, status: int | None, seconds: float) -> None:
    """Count one answered request; ``status`` None when the application raised (waitress sends 500)."""
    if status is None or status >= 500:
        outcome = "error"
    elif status >= 400:
        outcome = "rejected"  # a bad signature or timestamp, an unknown path
    else:
        outcome = "ok"
    REQUESTS.labels(kind=kind, outcome=outcome).inc()
    ACK_SECONDS.labels(kind=kind).observe(seconds)


def count_web_api_error(method: str, error: str) -> None:
    WEB_API_ERRORS.labels(method=method, error=error).inc()


_JOB_OUTCOMES = {EVENT_JOB_EXECUTED: "ok", EVENT_JOB_ERROR: "error", EVENT_JOB_MISSED: "missed"}


def count_job_run(event: JobExecutionEvent) -> None:
    """The scheduler's listener (:class:`jobs.JobContext` ``run_listeners``): one count per run."""
    JOBS.labels(job=event.job_id, outcome=_JOB_OUTCOMES.get(event.code, "other")).inc()


class States:
    """The gauges read at each scrape: approvals pending in the database and this process's
    after-ack pool (``load``: :meth:`AfterAckPool.health <handlers.after_ack.AfterAckPool.health>`)."""

    def __init__(self, db: Database, load: Callable[[], dict[str, Any]] | None) -> None:
        self._db, self._load = db, load

    def collect(self) -> Iterator[Metric]:
        try:
            with self._db.unit_of_work() as uow:
                pending = len(pending_requests(uow.session))
            yield GaugeMetricFamily("factorybot_approvals_pending", "Approval requests awaiting a decision",
                                    value=pending)
        except Exception as exc:  # a scrape reports what it can; /healthz reports the database
            log.warning("metrics: approvals pending not read: %s", type(exc).__name__)
        load = self._load() if self._load else {}
        if load:
            yield GaugeMetricFamily("factorybot_after_ack_in_flight",
                                    "Work accepted after acknowledgements and not finished (running or queued)",
                                    value=load["in_flight"])
            yield GaugeMetricFamily("factorybot_after_ack_capacity",
                                    "Work the after-ack pool accepts before answering busy", value=load["capacity"])


def exposition(states: States) -> bytes:
    """The Prometheus text page: the counts (of every process sharing ``PROMETHEUS_MULTIPROC_DIR``,
    when set), then the states."""
    counts = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counts = CollectorRegistry()
        MultiProcessCollector(counts)
    return generate_latest(counts) + generate_latest(states)  # type: ignore[arg-type]
