"""Show-and-tell jobs: the reminders (every 10 minutes) and the daily top-up of each series'
next eight sessions.

Thin entries into :class:`bot.showtell.service.ShowTellService`; each reminder is claimed in
the database before it is sent, so a job that runs twice, or in two processes, sends nothing twice.
"""

from __future__ import annotations

from jobs import current_context
from storage.models import utcnow


def send_reminders() -> str:
    return str(current_context().services.showtell.remind(now=utcnow()))


def extend_series() -> str:
    made = current_context().services.showtell.extend_series(now=utcnow())
    return f"sessions made {made}"
