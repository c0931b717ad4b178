"""Retry deployments that MLflow could not take (every minute; due ones only, with backoff)."""

from __future__ import annotations

from bot.text import plural
from jobs import current_context


def retry_deployments() -> str:
    outcomes = current_context().services.deployments.retry_due()
    if not outcomes:
        return "no deployment was due"
    return f"retried {plural(len(outcomes), 'deployment')}: " + ", ".join(f"{o.model} {o.status}" for o in outcomes)
