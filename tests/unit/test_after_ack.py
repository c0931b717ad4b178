"""The after-ack pool: bounded, busy when full, drained on demand, closed on SIGTERM."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest

from handlers.after_ack import AfterAckPool


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """Work submitted as ``gate.wait`` runs until the test opens the gate."""
    event = threading.Event()
    yield event
    event.set()


def test_the_pool_takes_workers_plus_queue_then_says_busy(gate: threading.Event) -> None:
    pool = AfterAckPool(workers=1, queue=2)
    assert [pool.submit(gate.wait) for _ in range(4)] == [True, True, True, False]
    assert pool.health() == {"in_flight": 3, "capacity": 3, "saturated": True}
    gate.set()
    assert pool.drain(timeout=5)
    assert pool.health() == {"in_flight": 0, "capacity": 3, "saturated": False}
    assert pool.submit(gate.wait)  # room again
    pool.shutdown()


def test_drain_waits_for_the_accepted_work_and_says_when_it_did_not_finish(gate: threading.Event) -> None:
    pool = AfterAckPool(workers=2, queue=2)
    done: list[int] = []
    for n in range(4):
        pool.submit(lambda n=n: gate.wait() and done.append(n))
    assert pool.drain(timeout=0.05) is False
    gate.set()
    assert pool.drain(timeout=5) is True
    assert sorted(done) == [0, 1, 2, 3]
    pool.shutdown()


def test_shutdown_finishes_the_accepted_work_then_refuses_new_work(gate: threading.Event) -> None:
    pool = AfterAckPool(workers=1, queue=1)
    done: list[str] = []
    pool.submit(lambda: gate.wait() and done.append("first"))
    pool.submit(done.append, "queued")
    threading.Timer(0.1, gate.set).start()
    pool.shutdown(timeout=5)
    assert done == ["first", "queued"]
    assert pool.submit(done.append, "late") is False
    assert pool.health()["in_flight"] == 0


def test_failing_work_is_logged_and_frees_its_slot(caplog: pytest.LogCaptureFixture) -> None:
    pool = AfterAckPool(workers=1, queue=0)

    def broken() -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="handlers.after_ack"):
        assert pool.submit(broken)
        assert pool.drain(timeout=5)
    assert "work after the ack failed" in caplog.text and "boom" in caplog.text
    assert pool.submit(lambda: None)  # its slot came back
    pool.shutdown()
