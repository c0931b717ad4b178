"""Mentoring jobs: the weekly round (Monday 10:00; each program's own cadence decides whether it is
due) and the daily check-ins with the ignored-introduction rule.

Thin entries into :class:`bot.mentoring.rounds.RoundService`; the round is keyed by
(program, date) and each message claimed before it is sent, so a job that runs twice
sends nothing twice.  Bot modules are imported inside the functions to keep the
scheduler's start-up quick.
"""

from __future__ import annotations

from typing import Any

from jobs import JobContext, current_context
from storage.models import utcnow


def run_rounds() -> str:
    """The scheduled entry point of the round job."""
    return run_rounds_with(current_context())


def run_checkins() -> str:
    """The scheduled entry point of the check-in job."""
    return run_checkins_with(current_context())


def _service_and_delivery(context: JobContext) -> tuple[Any, Any]:
    from bot.mentoring.rounds import RoundService
    from handlers.mentoring.delivery import SlackMentoringDelivery

    from bot.runtime.bootstrap import build_web_client

    delivery = SlackMentoringDelivery(build_web_client(context.settings), zone=context.settings.zone)
    return RoundService(context.db, zone=context.settings.zone), delivery


def run_rounds_with(context: JobContext) -> str:
    from bot.mentoring.rounds import DeliveryReport

    service, delivery = _service_and_delivery(context)
    now, report = utcnow(), DeliveryReport()
    service.program_for(None)  # the org-wide program always exists
    for slug in service.due_programs(now):
        outcome = service.run_round(slug, now=now)
        if outcome.ran:
            report.rounds.append(slug)
            service.deliver(delivery, outcome, report)
    return str(report)


def run_checkins_with(context: JobContext) -> str:
    from bot.mentoring.rounds import DeliveryReport

    service, delivery = _service_and_delivery(context)
    now, report = utcnow(), DeliveryReport()
    service.retry_introductions(delivery, now=now, report=report)
    service.send_checkins(delivery, now=now, report=report)
    service.settle_ignored(delivery, now=now, report=report)
    return str(report)
