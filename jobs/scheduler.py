"""The bot's scheduler: APScheduler 3 with its jobs persisted in the bot's own database.

Why it looks like this:

* Jobs are declared once, in :data:`JOBS`, and referenced as ``"module:function"``
  strings.  The job store pickles that reference, so after a restart the function is
  imported again by name; a function defined in ``__main__`` (or a lambda, or a bound
  method) could not be found again.  Job functions take no arguments and read what
  they need from :func:`jobs.current_context`.
* Job ids are stable, and every start makes the store hold exactly :data:`JOBS`:
  declared jobs are added or updated (``replace_existing=True``) and persisted jobs
  whose id is no longer declared are removed.  Restarts therefore never duplicate a
  job.  (Jobs created at run time by later features must use another job store, or
  they would be removed as retired at the next start.)
* Updating a job must not lose a run that fell due while the bot was down: when the
  persisted schedule is unchanged, its pending ``next_run_time`` is kept, so the
  restarted scheduler still runs it (within the misfire grace time, see below).
  A plain ``add_job(replace_existing=True)`` would recompute it from "now" and skip it.
* APScheduler keeps only the next run; the last result of each job goes to the
  ``job_runs`` table through an event listener, for ``factorybot jobs list``.
* Every ``serve`` replica (and ``factorybot scheduler``) starts a :func:`scheduler_leader`:
  on PostgreSQL only the process holding the scheduler lock runs the jobs (:mod:`jobs.leader`).
"""

from __future__ import annotations

import logging
import pickle
import signal
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_SCHEDULER_STARTED,
    JobExecutionEvent,
    SchedulerEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import inspect, select

from jobs import JobContext, set_context
from jobs.leader import SchedulerLeader
from storage.db import Database
from storage.models import utcnow
from storage.repositories import job_runs, save_job_run

log = logging.getLogger(__name__)

JOBSTORE_TABLE = "apscheduler_jobs"
JOBSTORE = "default"

JOB_DEFAULTS = {
    # A run missed while the bot was down is run once, not once per missed slot...
    "coalesce": True,
    # ...never overlapping itself...
    "max_instances": 1,
    # ...and only if the bot is back within the hour: a bot restarted within the
    # hour still sends what it missed, once; after that the run is recorded as missed.
    "misfire_grace_time": 3600,
}


@dataclass(frozen=True)
class JobSpec:
    """One declared job: a stable id, what to call, and when."""

    id: str
    func: str  # "module:function", importable again after a restart
    trigger: str  # "cron" or "interval"
    trigger_args: dict[str, Any]
    description: str


JOBS: tuple[JobSpec, ...] = (
    JobSpec(
        id="maintenance.forget_old_events",
        func="jobs.maintenance:forget_old_events",
        trigger="cron",
        trigger_args={"hour": 3, "minute": 0},
        description="Forget processed Slack event ids older than 7 days",
    ),
    JobSpec(
        id="approvals.sla",
        func="jobs.approvals:run_sla",
        trigger="interval",
        trigger_args={"minutes": 5},
        description="Approval reminders, escalations and expiries; retry failed deliveries",
    ),
    JobSpec(
        id="deployments.retry",
        func="jobs.deployments:retry_deployments",
        trigger="interval",
        trigger_args={"minutes": 1},
        description="Retry model deployments MLflow could not take, with backoff",
    ),
    JobSpec(
        id="mentoring.rounds",
        func="jobs.mentoring:run_rounds",
        trigger="cron",
        trigger_args={"day_of_week": "mon", "hour": 10, "minute": 0},
        description="Mentoring rounds for every program due (cadence 14 days): match, introduce, tell the unmatched",
    ),
    JobSpec(
        id="mentoring.checkins",
        func="jobs.mentoring:run_checkins",
        trigger="cron",
        trigger_args={"minute": 15},
        description="Mentoring check-ins (\"Did you meet?\") when due; inactivity after 3 ignored introductions",
    ),
    JobSpec(
        id="showtell.reminders",
        func="jobs.showtell:send_reminders",
        trigger="interval",
        trigger_args={"minutes": 10},
        description="Show-and-tell: presenters' day-before DMs, nudges, morning agendas, link requests, lapsed offers",
    ),
    JobSpec(
        id="showtell.sessions",
        func="jobs.showtell:extend_series",
        trigger="cron",
        trigger_args={"hour": 3, "minute": 30},
        description="Show-and-tell: keep each series' next eight sessions in existence",
    ),
    JobSpec(
        id="digest.weekly",
        func="jobs.digest:send_digests",
        trigger="cron",
        trigger_args={"day_of_week": "mon", "hour": 9, "minute": 0},
        description="Flywheel digests of last week: each guild's channel (unless moved or off), the org's to "
        "FACTORY_DIGEST_CHANNEL",
    ),
    JobSpec(
        id="digest.catch_up",
        func="jobs.digest:send_digests",
        trigger="interval",
        trigger_args={"minutes": 10},
        description="Flywheel digests due and not yet posted, once each: a guild's on the slot its leads chose, "
        "one missed while the bot was down, a failed post",
    ),
)


@dataclass(frozen=True)
class JobInfo:
    """A job as ``factorybot jobs list`` shows it; times are aware, in the bot's zone."""

    id: str
    description: str
    func: str
    trigger: str
    next_run_time: datetime | None
    last_run_at: datetime | None
    last_outcome: str | None
    last_detail: str | None


def make_trigger(spec: JobSpec, zone: ZoneInfo) -> BaseTrigger:
    """The APScheduler trigger of a spec, in the bot's zone."""
    kinds: dict[str, type[BaseTrigger]] = {"cron": CronTrigger, "interval": IntervalTrigger}
    if spec.trigger not in kinds:
        raise ValueError(f"job {spec.id}: trigger must be 'cron' or 'interval', not {spec.trigger!r}")
    return kinds[spec.trigger](timezone=zone, **spec.trigger_args)


# -- building and running ---------------------------------------------------


def build_scheduler(context: JobContext, *, zone: ZoneInfo, specs: Iterable[JobSpec] = JOBS) -> BackgroundScheduler:
    """A scheduler (not started) over the bot's database, with ``specs`` (:data:`JOBS`) installed at start.

    Also sets the process-wide :class:`jobs.JobContext` the jobs read (the composition
    root builds it: the same services the Slack listeners call).
    """
    db = context.db
    scheduler = BackgroundScheduler(
        jobstores={JOBSTORE: SQLAlchemyJobStore(engine=db.engine, tablename=JOBSTORE_TABLE)},
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        job_defaults=JOB_DEFAULTS,
        timezone=zone,
    )
    set_context(context)
    for listener in (lambda event: _record_run(db, event), *context.run_listeners):
        scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    install_jobs(scheduler, specs)
    return scheduler


def scheduler_leader(context: JobContext, *, zone: ZoneInfo, retry_seconds: float = 15.0) -> SchedulerLeader:
    """What every process that may run the jobs starts: the scheduler, in the one process that leads."""
    return SchedulerLeader(context.db, lambda: build_scheduler(context, zone=zone), retry_seconds=retry_seconds)


def install_jobs(scheduler: BaseScheduler, specs: Iterable[JobSpec] = JOBS) -> None:
    """Make the job store hold exactly ``specs``: now if running, else on every start.

    Before ``start()`` a persistent store cannot be read (and a queued ``add_job``
    would overwrite a pending run time), so the work is done by a listener on the
    scheduler's start event, which APScheduler fires once the store is open and before
    the first job is processed.
    """
    specs = tuple(specs)

    def on_start(_event: SchedulerEvent) -> None:
        try:
            _install_now(scheduler, specs)
        except Exception:  # a listener's exception would only be logged vaguely by APScheduler
            log.exception("could not install the scheduled jobs %s", [s.id for s in specs])

    scheduler.add_listener(on_start, EVENT_SCHEDULER_STARTED)
    if scheduler.state != STATE_STOPPED:
        _install_now(scheduler, specs)


def _install_now(scheduler: BaseScheduler, specs: tuple[JobSpec, ...]) -> None:
    wanted = {spec.id for spec in specs}
    for job in scheduler.get_jobs(jobstore=JOBSTORE):
        if job.id not in wanted:
            scheduler.remove_job(job.id, jobstore=JOBSTORE)
            log.info("removed retired job %s", job.id)
    for spec in specs:
        trigger = make_trigger(spec, scheduler.timezone)
        keep: dict[str, Any] = {}
        existing = scheduler.get_job(spec.id, jobstore=JOBSTORE)
        if existing is not None and _same_schedule(existing.trigger, trigger):
            keep["next_run_time"] = existing.next_run_time  # a run due while we were down
        scheduler.add_job(
            spec.func, trigger, id=spec.id, name=spec.id, jobstore=JOBSTORE, replace_existing=True, **keep
        )


def _same_schedule(old: BaseTrigger, new: BaseTrigger) -> bool:
    return (
        type(old) is type(new)
        and str(old) == str(new)
        and str(getattr(old, "timezone", "")) == str(getattr(new, "timezone", ""))
    )


def _record_run(db: Database, event: JobExecutionEvent) -> None:
    """Keep the last result of a job in ``job_runs`` (runs on an executor thread)."""
    if event.code == EVENT_JOB_EXECUTED:
        outcome, detail = "ok", _short(event.retval)
    elif event.code == EVENT_JOB_ERROR:
        outcome, detail = "error", f"{type(event.exception).__name__}: {event.exception}"
    else:
        outcome, detail = "missed", "not run: the scheduler was down past the misfire grace time"
    at = (event.scheduled_run_time or utcnow()).astimezone(timezone.utc)
    try:
        with db.unit_of_work() as uow:
            save_job_run(uow.session, event.job_id, at=at, outcome=outcome, detail=detail[:500])
            uow.commit()
    except Exception:
        log.exception("could not record the %s run of job %s", outcome, event.job_id)


def _short(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else repr(value)


def run_scheduler_forever(context: JobContext, *, zone: ZoneInfo, retry_seconds: float = 15.0) -> None:
    """``factorybot scheduler``: run the jobs in the foreground until SIGTERM or Ctrl-C —
    when this process leads (:mod:`jobs.leader`), else stand by to take over.

    The signal handler only sets an event that the main thread waits on: raising from a
    handler could land inside the scheduler's start-up (installing jobs), where
    APScheduler's event dispatch swallows it and the process would never stop.
    Running jobs are waited for, and the process exits normally.
    """
    leader = scheduler_leader(context, zone=zone, retry_seconds=retry_seconds)
    stop = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    try:
        leader.start()
        log.info("scheduler process running in %s; stop with SIGTERM or Ctrl-C", zone.key)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        log.info("scheduler stopping")
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)  # a second SIGTERM now stops at once
        leader.stop()


# -- listing ------------------------------------------------------------------


def list_jobs(db: Database, *, zone: ZoneInfo) -> list[JobInfo]:
    """The declared jobs, then any other persisted ones, with next run and last result.

    Reads the job store's table directly: no scheduler is started, nothing is run,
    created or removed.  Before any scheduler has started, the table does not exist
    and the declared jobs are listed with no next run.
    """
    stored = _read_store(db)
    with db.unit_of_work() as uow:
        runs = job_runs(uow.session)
    specs = {spec.id: spec for spec in JOBS}
    infos = []
    for job_id in [*specs, *sorted(set(stored) - set(specs))]:
        spec = specs.get(job_id)
        state, next_ts = stored.get(job_id, ({}, None))
        trigger = state.get("trigger")
        if trigger is None and spec is not None:
            trigger = make_trigger(spec, zone)
        run = runs.get(job_id)
        infos.append(
            JobInfo(
                id=job_id,
                description=spec.description if spec else str(state.get("name", "")),
                func=spec.func if spec else str(state.get("func", "?")),
                trigger=str(trigger) if trigger is not None else "?",
                next_run_time=datetime.fromtimestamp(next_ts, zone) if next_ts is not None else None,
                last_run_at=run.last_run_at.astimezone(zone) if run else None,
                last_outcome=run.outcome if run else None,
                last_detail=run.detail if run else None,
            )
        )
    return infos


def _read_store(db: Database) -> dict[str, tuple[dict[str, Any], float | None]]:
    """id -> (pickled job state, next run as a UTC timestamp), without restoring the jobs.

    Restoring (as ``SQLAlchemyJobStore.get_all_jobs`` does) imports each job's function
    and deletes the rows it cannot restore: not what a read-only listing should do.
    """
    if not inspect(db.engine).has_table(JOBSTORE_TABLE):
        return {}
    table = SQLAlchemyJobStore(engine=db.engine, tablename=JOBSTORE_TABLE).jobs_t
    with db.engine.connect() as conn:
        rows = conn.execute(select(table.c.id, table.c.next_run_time, table.c.job_state)).all()
    stored = {}
    for row in rows:
        try:
            state = pickle.loads(row.job_state)
        except Exception:
            state = {}
        stored[row.id] = (state if isinstance(state, dict) else {}, row.next_run_time)
    return stored


def format_jobs(infos: Iterable[JobInfo]) -> str:
    """A plain-text table for ``factorybot jobs list``."""
    header = ("ID", "SCHEDULE", "NEXT RUN", "LAST RUN", "RESULT", "DESCRIPTION")
    rows = [
        (
            info.id,
            info.trigger,
            _when(info.next_run_time),
            _when(info.last_run_at),
            _result(info),
            info.description,
        )
        for info in infos
    ]
    if not rows:
        return "no scheduled jobs"
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]
    lines = []
    for row in (header, *rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M %Z") if value is not None else "-"


def _result(info: JobInfo) -> str:
    if info.last_outcome is None:
        return "-"
    detail = (info.last_detail or "").replace("\n", " ")
    text = f"{info.last_outcome}: {detail}" if detail else info.last_outcome
    return text if len(text) <= 60 else text[:59] + "…"
