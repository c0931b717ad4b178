"""Scheduled jobs and the context they run in.

A scheduled job is persisted as a plain ``"module:function"`` reference and called
with no arguments, so it cannot be handed the settings or the database.  Instead
:func:`jobs.scheduler.build_scheduler` stores one process-wide :class:`JobContext`
here, and each job reads it with :func:`current_context`.  One bot process runs one
scheduler, so one context is enough; a job called outside a scheduler (or before one
was built) fails loudly instead of silently touching some default database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.runtime.settings import Settings
    from storage.db import Database


@dataclass(frozen=True)
class JobContext:
    """What scheduled jobs may use: the settings, the database and, later, a notifier."""

    settings: Settings
    db: Database
    notifier: Any | None = None


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
