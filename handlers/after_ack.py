"""Work that follows an acknowledgement runs here, never on the threads that acknowledge.

Bolt runs every listener on its listener pool, and a request is acknowledged from one of
those threads.  Slow work (MLflow, many Web API calls) left on that pool starves new
requests of a thread: after 16 slow ``/model list`` a ``/factory help`` waits past Slack's
3 seconds.  So a listener acknowledges at once and submits the slow part here: a bounded
pool of its own, whose queue is bounded too.  When it is full, :meth:`AfterAckPool.submit`
returns ``False`` at once and the listener tells the person to try again in a minute;
``/healthz`` reports the saturation; ``drain`` waits for what was accepted (SIGTERM, tests).

Why not ``ThreadPoolExecutor`` alone: its queue is unbounded, so a stuck MLflow would
grow it without limit and nobody would be told.  A count of the accepted work bounds it.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from handlers.errors import failure_text, report

log = logging.getLogger(__name__)

BUSY_TEXT = ":hourglass: I'm busy with other requests right now. Please try again in a minute."


class AfterAckPool:
    def __init__(self, *, workers: int = 8, queue: int = 32) -> None:
        self.workers, self.capacity = workers, workers + queue
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="after-ack")
        self._in_flight = 0  # accepted and not finished: running or queued
        self._changed = threading.Condition()
        self._closed = False

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        """Run ``fn`` soon; ``False`` (and nothing runs) when the pool is full or shutting down."""
        with self._changed:
            if self._closed or self._in_flight >= self.capacity:
                return False
            self._in_flight += 1
        try:
            # In the submitter's context: the work logs under the request id that started it.
            self._executor.submit(contextvars.copy_context().run, self._run, fn, *args, **kwargs)
        except RuntimeError:  # shut down between the check and the submit
            self._finished()
            return False
        return True

    @property
    def in_flight(self) -> int:
        with self._changed:
            return self._in_flight

    @property
    def saturated(self) -> bool:
        return self.in_flight >= self.capacity

    def health(self) -> dict[str, Any]:
        return {"in_flight": self.in_flight, "capacity": self.capacity, "saturated": self.saturated}

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until no accepted work is left; ``True`` when that happened in time."""
        with self._changed:
            return self._changed.wait_for(lambda: self._in_flight == 0, timeout)

    def shutdown(self, timeout: float = 30.0) -> None:
        """Accept nothing more, then finish what was accepted (SIGTERM)."""
        with self._changed:
            self._closed = True
        self.drain(timeout)
        self._executor.shutdown(wait=False)

    def _finished(self) -> None:
        # Counted down by the work's own thread, before its future is done: once drain()
        # returns, health() and submit() already see the room it left.
        with self._changed:
            self._in_flight -= 1
            self._changed.notify_all()

    def _run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except Exception:  # logged with its traceback; the person already had their ack
            log.exception("work after the ack failed: %s", getattr(fn, "__qualname__", fn))
        finally:
            self._finished()


class ListenerPool(ThreadPoolExecutor):
    """Bolt's listener pool (the threads that acknowledge), counting what runs on it so that
    :meth:`Bot.drain <bot.runtime.bootstrap.Bot.drain>` can wait for a quiet moment; a listener
    runs in the context of the request's thread, so it logs under the request's id."""

    def __init__(self, workers: int) -> None:
        super().__init__(max_workers=workers, thread_name_prefix="bolt-listener")
        self._running: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(contextvars.copy_context().run, fn, *args, **kwargs)  # the request id
        with self._lock:
            self._running.add(future)
        future.add_done_callback(self._done)
        return future

    def wait_idle(self, timeout: float) -> bool:
        with self._lock:
            pending = list(self._running)
        return not wait(pending, timeout=timeout).not_done

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._running.discard(future)


def ack_then(ack: Callable[..., Any], respond: Callable[..., Any], pool: AfterAckPool,
             fn: Callable[..., Any], *args: Any) -> None:
    """Acknowledge a click and run ``fn(*args)`` after it on ``pool``; if the pool is full, say so.

    The work is submitted before the acknowledgement, so whoever drains the pool after the
    HTTP answer (a test, the sandbox, SIGTERM) finds it there.  If it fails, the failure is
    logged once with a reference and the person is given the reference.
    """
    accepted = pool.submit(_answering_failure, respond, fn, *args)
    ack()
    if not accepted:
        respond(response_type="ephemeral", replace_original=False, text=BUSY_TEXT)


def _answering_failure(respond: Callable[..., Any], fn: Callable[..., Any], *args: Any) -> None:
    try:
        fn(*args)
    except Exception:
        ref = report(f"{getattr(fn, '__name__', 'work')} after the ack")
        try:
            respond(response_type="ephemeral", replace_original=False, text=failure_text(ref))
        except Exception as exc:  # Slack unreachable: the log has the failure and its ref
            log.warning("could not tell the person about ref %s: %s", ref, exc)
