"""One replica for tests/integration/test_leader.py: the real scheduler leader, one fast job.

``python -m tests.support.leader_replica`` reads ``DATABASE_URL`` and
``FACTORY_LEADER_RETRY_SECONDS`` like the bot and stands for ``factorybot scheduler``, but
schedules only ``tick`` (every second).  Each run is written to ``leader_ticks`` with this
process id and the run time APScheduler scheduled, so the test can see who ran which run.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlalchemy import text

from bot.runtime.settings import load_settings
from jobs import JobContext
from jobs.leader import SchedulerLeader
from jobs.scheduler import JobSpec, build_scheduler
from storage.db import Database

TICK = JobSpec(
    id="test.tick", func="tests.support.leader_replica:tick", trigger="interval",
    trigger_args={"seconds": 1}, description="a job due every second",
)
CREATE_TICKS = "CREATE TABLE leader_ticks (pid integer NOT NULL, scheduled timestamptz NOT NULL)"


def tick() -> str:
    return "tick"


def _record(db: Database, event: JobExecutionEvent) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO leader_ticks (pid, scheduled) VALUES (:pid, :scheduled)"),
            {"pid": os.getpid(), "scheduled": event.scheduled_run_time},
        )


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    settings = load_settings()
    db = Database(settings.database_url)
    context = JobContext(services=None, db=db)  # type: ignore[arg-type] - the tick needs no service

    def build():  # noqa: ANN202 - a BackgroundScheduler
        scheduler = build_scheduler(context, zone=ZoneInfo("UTC"), specs=(TICK,))
        scheduler.add_listener(lambda event: _record(db, event), EVENT_JOB_EXECUTED)
        return scheduler

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    leader = SchedulerLeader(db, build, retry_seconds=settings.leader_retry_seconds)
    leader.start()
    stop.wait()
    leader.stop()


if __name__ == "__main__":
    main()
