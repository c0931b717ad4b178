"""Scheduled jobs and the context they run in.

A scheduled job is persisted as a plain ``"module:function"`` reference and called with
no arguments, so it cannot be handed its services.  Instead
:func:`jobs.scheduler.build_scheduler` installs one process-wide :class:`JobContext`
here — built by the composition root, holding the same services the Slack listeners
call — and each job reads it with :func:`current_context`.  A job called outside a
scheduler fails loudly instead of silently touching some default database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apscheduler.events import JobExecutionEvent

    from bot.services import Services
    from storage.db import Database


@dataclass(frozen=True)
class JobContext:
    """What scheduled jobs may use: the services and the database; ``run_listeners`` hear of
    every run, its outcome included (the composition root's metrics count them)."""

    services: Services
    db: Database
    run_listeners: tuple[Callable[[JobExecutionEvent], None], ...] = ()


_context: JobContext | None = None


def set_context(context: JobContext | None) -> None:
    """Install (or, with ``None``, clear) the context every job of this process reads."""
    global _context
    _context = context


def current_context() -> JobContext:
    """The context set by ``build_scheduler``; a clear error if there is none."""
    context = _context
    if context is None:
        raise RuntimeError(
            "no job context: scheduled jobs must run inside a scheduler made by "
            "jobs.scheduler.build_scheduler() (or after jobs.set_context())"
        )
    return context
