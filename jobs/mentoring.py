"""Mentoring jobs: the weekly round (Monday 10:00; each program's own cadence decides whether it
is due) and the daily check-ins with the ignored-introduction rule.

Thin entries into :class:`bot.mentoring.rounds.RoundService`; a round is keyed by (program,
date) and each message claimed before it is sent, so a job that runs twice sends nothing twice.
"""

from __future__ import annotations

from jobs import current_context
from storage.models import utcnow


def run_rounds() -> str:
    return str(current_context().services.rounds.run_due_rounds(now=utcnow()))


def run_checkins() -> str:
    return str(current_context().services.rounds.follow_up(now=utcnow()))
