"""One scheduler among replicas: the PostgreSQL advisory-lock leader (jobs/leader.py).

The takeover test runs replicas as processes (tests/support/leader_replica.py: the real
leader with one job due every second) and kills the leader with SIGKILL, as a crash or an
OOM kill would: no code runs, only the closed connection releases the lock.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import text

from jobs.leader import SchedulerLeader
from storage.db import Database
from storage.locks import SCHEDULER_LOCK_CLASS
from tests.conftest import ON_POSTGRES
from tests.polling import eventually
from tests.support.leader_replica import CREATE_TICKS

ROOT = Path(__file__).resolve().parents[2]
postgres_only = pytest.mark.skipif(
    not ON_POSTGRES, reason="a SQLite bot is one process: there is no other replica to lead (set FACTORYBOT_TEST_DATABASE_URL)"
)


@pytest.fixture
def replicas(database_url: str) -> Iterator[tuple[SchedulerLeader, SchedulerLeader]]:
    """Two leaders, each on its own engine (its own connections, as in two processes), with an
    empty scheduler, trying again every 0.2 s."""
    dbs = [Database(database_url) for _ in range(2)]
    leaders = [SchedulerLeader(db, BackgroundScheduler, retry_seconds=0.2) for db in dbs]
    yield leaders[0], leaders[1]
    for leader, db in zip(leaders, dbs):
        leader.stop()
        db.dispose()


def test_on_sqlite_the_one_process_leads_at_once(replicas: tuple[SchedulerLeader, SchedulerLeader]) -> None:
    if ON_POSTGRES:
        pytest.skip("the SQLite case")
    leader = replicas[0]
    leader.start()
    try:
        assert leader.leading.is_set()
    finally:
        leader.stop()
    assert not leader.leading.is_set()


@postgres_only
def test_one_replica_leads_and_another_takes_over_when_it_stops(
    replicas: tuple[SchedulerLeader, SchedulerLeader],
) -> None:
    first, second = replicas
    first.start()
    eventually(first.leading.is_set, what="the first replica leads")
    second.start()
    assert not second.leading.wait(0.6), "two replicas ran the scheduler at once"
    first.stop()
    eventually(second.leading.is_set, seconds=3, what="the second replica took over")


@postgres_only
def test_a_leader_whose_connection_is_dropped_stops_and_another_leads(
    replicas: tuple[SchedulerLeader, SchedulerLeader], database: Database
) -> None:
    first, second = replicas
    first.start()
    eventually(first.leading.is_set, what="the first replica leads")
    second.start()
    assert not second.leading.wait(0.5)
    with database.engine.begin() as conn:  # what a failover or an idle-connection killer does
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                " AND classid = :c AND objid = hashtext(current_schema())::oid AND objsubid = 2"
            ),
            {"c": SCHEDULER_LOCK_CLASS},
        )
    eventually(lambda: not first.leading.is_set(), seconds=3, what="the first replica stopped leading")
    eventually(second.leading.is_set, seconds=3, what="the second replica took over")


def _replica(database_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "FACTORY_LEADER_RETRY_SECONDS": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.support.leader_replica"], env=env, cwd=log.parent, stderr=out
        )


def _ticks(database: Database) -> list[tuple[int, datetime]]:
    with database.engine.connect() as conn:
        rows = conn.execute(text("SELECT pid, scheduled FROM leader_ticks ORDER BY scheduled")).all()
    return [(row.pid, row.scheduled) for row in rows]


@postgres_only
def test_killing_the_leader_hands_the_jobs_to_another_replica_with_no_run_twice_or_lost(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    with database.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS leader_ticks"))
        conn.execute(text(CREATE_TICKS))
    first = _replica(database_url, tmp_path / "first.log")
    second = None
    try:
        eventually(lambda: len(_ticks(database)) >= 2, seconds=15, every=0.1, what="the first replica runs the job")
        second = _replica(database_url, tmp_path / "second.log")
        eventually(lambda: b"takes over" in (tmp_path / "second.log").read_bytes(), seconds=10, every=0.1,
                   what="the second replica stands by")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=5)
        killed_at = datetime.now(timezone.utc)
        eventually(lambda: sum(pid == second.pid for pid, _ in _ticks(database)) >= 3, seconds=10, every=0.1,
                   what="the second replica runs the job")
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=10)
    ticks = _ticks(database)
    times = [at for _, at in ticks]
    assert len(times) == len(set(times)), f"a run was run twice: {ticks}"
    assert {pid for pid, _ in ticks} == {first.pid, second.pid}
    by_first = [at for pid, at in ticks if pid == first.pid]
    by_second = [at for pid, at in ticks if pid == second.pid]
    assert max(by_first) < min(by_second) <= killed_at + timedelta(seconds=3), "the second took over only after the kill"
    # Each replica ran every second while it led; the runs missed while no one led are run once
    # (APScheduler's coalesce): the first run of the new leader is one that fell due before it led.
    for runs in (by_first, by_second):
        assert all(b - a == timedelta(seconds=1) for a, b in zip(runs, runs[1:])), ticks
    assert min(by_second) - max(by_first) >= timedelta(seconds=1)
