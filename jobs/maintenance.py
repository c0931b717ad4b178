"""Housekeeping jobs that keep the bot's own tables small."""

from __future__ import annotations

from datetime import timedelta

from bot.text import plural
from jobs import current_context
from storage.models import utcnow
from storage.repositories import forget_processed_before

# Slack retries a delivery for minutes, not days: a week of event ids is ample for
# de-duplication, and the table stays small.
PROCESSED_EVENTS_RETENTION = timedelta(days=7)


def forget_old_events() -> str:
    """Delete ``processed_events`` rows older than the retention, in one unit of work."""
    context = current_context()
    cutoff = utcnow() - PROCESSED_EVENTS_RETENTION
    with context.db.unit_of_work() as uow:
        deleted = forget_processed_before(uow.session, cutoff)
        uow.commit()
    return f"forgot {plural(deleted, 'processed event')}" if deleted else "no processed event was old enough to forget"
