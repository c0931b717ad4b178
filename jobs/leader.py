"""One scheduler among many replicas: the leader holds a PostgreSQL advisory lock.

Several ``factorybot serve`` processes (and perhaps a ``factorybot scheduler``) share one
database; if each started a scheduler, each would run every job.  Each starts a
:class:`SchedulerLeader` instead, and only the process holding the lock of
:mod:`storage.locks` runs a scheduler.  The others try again every ``retry_seconds``:
when the leader dies, its connection and with it the lock go away, and one of them takes
over within that time.  The new leader reads the persisted job store, so a run that fell
due meanwhile is run once (``coalesce``), not skipped and not repeated.

The leader checks its lock's connection every second: if the database dropped it, the
lock is gone, and the scheduler stops before a follower's next try can start another.

SQLite is one process (the file is not shared between hosts): the scheduler starts at
once, without a lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from storage.db import Database
from storage.locks import hold_lock, release, still_held

log = logging.getLogger(__name__)

CHECK_SECONDS = 1.0  # how often the leader makes sure it still holds the lock


class SchedulerLeader:
    """``start()`` then ``stop()``: runs a scheduler made by ``build`` whenever this process leads."""

    def __init__(self, db: Database, build: Callable[[], BaseScheduler], *, retry_seconds: float = 15.0) -> None:
        self._db, self._build, self._retry = db, build, retry_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sqlite_scheduler: BaseScheduler | None = None
        self.leading = threading.Event()  # set while this process runs the scheduler

    def start(self) -> None:
        if self._db.is_sqlite:
            self._sqlite_scheduler = self._build()
            self._sqlite_scheduler.start()
            self.leading.set()
            return
        self._thread = threading.Thread(target=self._follow, name="scheduler-leader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop trying; a leader lets its running jobs finish and releases the lock."""
        self._stop.set()
        if self._sqlite_scheduler is not None:
            self._sqlite_scheduler.shutdown(wait=True)
            self._sqlite_scheduler = None
            self.leading.clear()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _follow(self) -> None:
        told = False
        while not self._stop.is_set():
            try:
                conn = hold_lock(self._db.engine)
            except DBAPIError as exc:
                log.warning("could not try the scheduler lock, trying again in %g s: %s", self._retry, exc)
            else:
                if conn is not None:
                    self._lead(conn)
                elif not told:
                    log.info("another process runs the scheduler; this one takes over within %g s if it stops",
                             self._retry)
                    told = True
            self._stop.wait(self._retry)

    def _lead(self, conn: Connection) -> None:
        """Run the scheduler until told to stop or the lock is lost; whatever happens, the lock
        is released and this thread goes back to following (it must not die holding nothing)."""
        scheduler = None
        try:
            scheduler = self._build()
            scheduler.start()
            self.leading.set()
            log.info("this process runs the scheduler (it holds the scheduler lock)")
            while not self._stop.wait(CHECK_SECONDS):
                if not still_held(conn):
                    log.warning("lost the scheduler lock with its database connection; stopping the scheduler")
                    break
        except Exception:
            log.exception("the scheduler could not run; this process tries to lead again in %g s", self._retry)
        finally:
            self.leading.clear()
            if scheduler is not None and scheduler.running:
                scheduler.shutdown(wait=True)
            release(conn)
