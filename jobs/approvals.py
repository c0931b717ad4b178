"""The approvals SLA job: reminders, escalations, expiries, retried deliveries (every 5 minutes).

A thin entry into :meth:`bot.approvals.routing.ApprovalRouting.sla_tick`, which claims each
step in the SLA ledger before sending it: a run that overlaps or repeats another sends
nothing twice.
"""

from __future__ import annotations

from jobs import current_context


def run_sla() -> str:
    return str(current_context().services.approval_routing.sla_tick())
