"""The scheduler against a real database: persistence across restarts, results, listing.

About freezegun and APScheduler's thread (checked against freezegun 1.5 / APScheduler 3.11):

* APScheduler reads the clock only through ``datetime.now(tz)``.  freezegun replaces
  ``datetime.datetime`` everywhere and ``FakeDatetime.now`` ignores freezegun's
  ``ignore`` list, so the scheduler thread and the job threads all see the frozen
  time.  Plain ``freeze_time`` (no ``tick``) is enough and fully deterministic.
* Waiting is real: ``threading.Event.wait`` uses the ``threading`` module's own
  reference to ``time.monotonic``, and ``threading`` is on freezegun's default ignore
  list, so it is never patched; a frozen scheduler still sleeps and wakes on shutdown.
* The catch: that same ignore list makes ``time.time()``/``time.monotonic()`` return
  the *real* time when called within 5 frames of ``threading`` (e.g. directly in a
  job function on a pool thread), while ``datetime.now()`` stays frozen.  Jobs must
  therefore take the time from ``datetime.now`` (``storage.models.utcnow``).
* In the test thread ``time.monotonic()`` is frozen, so a deadline loop would never
  end: :func:`tests.polling.eventually` counts real ``time.sleep`` steps instead.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.util import ref_to_obj
from freezegun import freeze_time
from sqlalchemy import inspect, select

import jobs
from bot.runtime.bootstrap import bootstrap
from bot.runtime.settings import Settings, load_settings
from jobs import JobContext, maintenance
from jobs.scheduler import (
    JOBS,
    JOBSTORE_TABLE,
    build_scheduler,
    format_jobs,
    list_jobs,
)
from storage.db import Database
from storage.models import JobRun, ProcessedEvent
from storage.repositories import job_runs
from tests.polling import eventually

PARIS = ZoneInfo("Europe/Paris")
FORGET = "maintenance.forget_old_events"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_job_context() -> Iterator[None]:
    """``build_scheduler`` sets a process-wide context: never let it leak between tests."""
    jobs.set_context(None)
    yield
    jobs.set_context(None)


def scheduler_for(settings: Settings, database: Database):  # noqa: ANN201 - a BackgroundScheduler
    """A scheduler over the services the composition root builds, as ``factorybot scheduler`` makes it."""
    services = bootstrap(settings, db=database).services
    return build_scheduler(JobContext(services=services, db=database), zone=settings.zone)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return load_settings(FACTORY_TIMEZONE="Europe/Paris", DATABASE_URL=database_url)


def last_run(db: Database, job_id: str) -> JobRun | None:
    with db.unit_of_work() as uow:
        return job_runs(uow.session).get(job_id)


def stored_ids(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return sorted(conn.exec_driver_sql(f"SELECT id FROM {JOBSTORE_TABLE}").scalars())


def boom() -> None:
    raise RuntimeError("boom: this test job fails on purpose")


def fine() -> str:
    return "fine"


def test_job_persists_across_restart_and_runs_when_due(settings: Settings, database: Database) -> None:
    with freeze_time(datetime(2026, 11, 23, 10, 0, tzinfo=PARIS)):
        scheduler = scheduler_for(settings, database)
        scheduler.start()
        try:
            job = scheduler.get_job(FORGET)
            assert job is not None
            assert job.next_run_time == datetime(2026, 11, 24, 3, 0, tzinfo=PARIS)
        finally:
            scheduler.shutdown()

    # The bot was down at 03:00 and comes back 30 s later: a brand-new scheduler finds
    # the persisted job, still due, and runs it once.
    restart = datetime(2026, 11, 24, 3, 0, 30, tzinfo=PARIS)
    with database.unit_of_work() as uow:
        uow.session.add(ProcessedEvent(key="old", seen_at=restart - timedelta(days=8)))
        uow.session.add(ProcessedEvent(key="recent", seen_at=restart - timedelta(days=1)))
        uow.commit()
    with freeze_time(restart):
        scheduler = scheduler_for(settings, database)
        scheduler.start()
        try:
            run = eventually(lambda: last_run(database, FORGET))
        finally:
            scheduler.shutdown()  # waits for the job and the main loop's store update

    assert run.outcome == "ok"
    assert run.detail == "forgot 1 processed event"
    assert run.last_run_at == datetime(2026, 11, 24, 3, 0, tzinfo=PARIS)
    with database.unit_of_work() as uow:
        assert list(uow.session.scalars(select(ProcessedEvent.key))) == ["recent"]
    info = next(i for i in list_jobs(database, zone=settings.zone) if i.id == FORGET)
    assert info.next_run_time == datetime(2026, 11, 25, 3, 0, tzinfo=PARIS)


def test_run_missed_by_more_than_the_grace_time_is_recorded_not_run(
    settings: Settings, database: Database
) -> None:
    with freeze_time(datetime(2026, 11, 23, 10, 0, tzinfo=PARIS)):
        scheduler = scheduler_for(settings, database)
        scheduler.start()
        scheduler.shutdown()
    with database.unit_of_work() as uow:
        uow.session.add(ProcessedEvent(key="old", seen_at=datetime(2026, 11, 1, tzinfo=timezone.utc)))
        uow.commit()
    with freeze_time(datetime(2026, 11, 24, 5, 0, tzinfo=PARIS)):  # two hours late
        scheduler = scheduler_for(settings, database)
        scheduler.start()
        try:
            run = eventually(lambda: last_run(database, FORGET))
        finally:
            scheduler.shutdown()
    assert run.outcome == "missed"
    assert run.last_run_at == datetime(2026, 11, 24, 3, 0, tzinfo=PARIS)
    with database.unit_of_work() as uow:
        assert list(uow.session.scalars(select(ProcessedEvent.key))) == ["old"]
    assert list_jobs(database, zone=settings.zone)[0].next_run_time == datetime(2026, 11, 25, 3, 0, tzinfo=PARIS)


def test_restarts_never_duplicate_and_retired_jobs_are_removed(
    settings: Settings, database: Database
) -> None:
    for spec in JOBS:
        assert callable(ref_to_obj(spec.func)), spec.func
    scheduler = scheduler_for(settings, database)
    scheduler.start()
    scheduler.add_job(fine, "interval", hours=1, id="retired.job")
    scheduler.shutdown()
    assert stored_ids(database) == sorted([spec.id for spec in JOBS] + ["retired.job"])

    for _ in range(2):
        scheduler = scheduler_for(settings, database)
        scheduler.start()
        try:
            assert sorted(job.id for job in scheduler.get_jobs()) == sorted(spec.id for spec in JOBS)
        finally:
            scheduler.shutdown()
        assert stored_ids(database) == sorted(spec.id for spec in JOBS)


def test_failing_job_is_recorded_and_the_scheduler_keeps_going(
    settings: Settings, database: Database
) -> None:
    scheduler = scheduler_for(settings, database)
    scheduler.start()
    try:
        now = datetime.now(timezone.utc)
        scheduler.add_job(boom, "interval", hours=1, id="test.boom", next_run_time=now)
        failed = eventually(lambda: last_run(database, "test.boom"))
        assert failed.outcome == "error"
        assert failed.detail == "RuntimeError: boom: this test job fails on purpose"

        assert scheduler.running
        assert scheduler.get_job("test.boom").next_run_time > now
        scheduler.add_job(fine, "interval", hours=1, id="test.fine", next_run_time=now)
        ok = eventually(lambda: last_run(database, "test.fine"))
        assert (ok.outcome, ok.detail) == ("ok", "fine")
    finally:
        scheduler.shutdown()


def test_list_jobs_on_a_fresh_database_shows_the_declared_jobs_unscheduled(
    settings: Settings, database: Database
) -> None:
    infos = list_jobs(database, zone=settings.zone)
    assert [info.id for info in infos] == [spec.id for spec in JOBS]
    assert all(info.next_run_time is None and info.last_outcome is None for info in infos)
    assert not inspect(database.engine).has_table(JOBSTORE_TABLE)  # listing created nothing
    text = format_jobs(infos)
    assert FORGET in text and "cron[hour='3', minute='0']" in text


def test_list_jobs_shows_next_run_and_last_result(settings: Settings, database: Database) -> None:
    with freeze_time(datetime(2026, 11, 23, 10, 0, tzinfo=PARIS)):
        scheduler = scheduler_for(settings, database)
        scheduler.start()
        scheduler.shutdown()
    with database.unit_of_work() as uow:
        uow.session.add(
            JobRun(
                job_id=FORGET,
                last_run_at=datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc),
                outcome="ok",
                detail="forgot 3 processed events",
            )
        )
        uow.commit()

    info = next(i for i in list_jobs(database, zone=settings.zone) if i.id == FORGET)
    assert info.func == "jobs.maintenance:forget_old_events"
    assert info.next_run_time == datetime(2026, 11, 24, 3, 0, tzinfo=PARIS)
    assert info.last_run_at == datetime(2026, 11, 23, 3, 0, tzinfo=PARIS)
    assert (info.last_outcome, info.last_detail) == ("ok", "forgot 3 processed events")

    header, row = format_jobs([info]).splitlines()
    assert header.split() == ["ID", "SCHEDULE", "NEXT", "RUN", "LAST", "RUN", "RESULT", "DESCRIPTION"]
    assert row.startswith(FORGET)
    assert "2026-11-24 03:00 CET" in row and "2026-11-23 03:00 CET" in row
    assert "ok: forgot 3 processed events" in row


def test_a_job_run_without_context_says_so() -> None:
    with pytest.raises(RuntimeError, match="no job context.*build_scheduler"):
        maintenance.forget_old_events()


def test_scheduler_command_stops_cleanly_on_sigterm(
    settings: Settings, database_url: str, database: Database, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "FACTORY_TIMEZONE": "Europe/Paris",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    code = (
        "from bot.runtime.settings import load_settings\n"
        "from bot.runtime.bootstrap import bootstrap\n"
        "from jobs import JobContext\n"
        "from jobs.scheduler import run_scheduler_forever\n"
        "s = load_settings()\n"
        "b = bootstrap(s)\n"
        "run_scheduler_forever(JobContext(services=b.services, db=b.db), zone=s.zone)\n"
    )
    log = tmp_path / "scheduler.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=tmp_path, stderr=stderr)
    try:
        eventually(lambda: proc.poll() is not None or list_jobs(database, zone=settings.zone)[0].next_run_time)
        assert proc.poll() is None, log.read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
