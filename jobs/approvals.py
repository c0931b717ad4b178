"""The approvals SLA job: reminders, escalations, expiries, retried deliveries (every 5 minutes).

A thin entry into :func:`bot.approvals.routing.sla_tick`, which claims each step in the SLA
ledger before sending it: a run that overlaps or repeats another sends nothing twice.
The bot modules are imported inside the functions: the scheduler imports this module
while installing its jobs at start-up, and that must stay quick.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from jobs import JobContext, current_context
from storage.models import utcnow

if TYPE_CHECKING:
    from bot.approvals.routing import SlaReport
    from bot.services import Services


def run_sla() -> str:
    """The scheduled entry point (no arguments: it reads :func:`jobs.current_context`)."""
    return str(run_sla_with(current_context(), now=utcnow()))


def run_sla_with(context: JobContext, *, now: datetime, services: Services | None = None) -> SlaReport:
    """One tick; the notifier is the context's, or a Slack client built from the settings."""
    from handlers.approvals.notifier import notifier_from_settings
    from bot.approvals.routing import sla_tick
    from bot.services import Services

    if services is None:
        from bot.runtime.bootstrap import build_web_client, wire_deployments

        services = wire_deployments(Services(settings=context.settings, db=context.db),
                                    build_web_client(context.settings))
    notifier = context.notifier or notifier_from_settings(context.settings)
    return sla_tick(services, notifier, now=now)
