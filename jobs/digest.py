"""Flywheel digest jobs: Monday 09:00 (``FACTORY_TIMEZONE``) and a catch-up every 10 minutes.

Both are the same thin entry into :meth:`bot.digest.service.DigestService.send_due`, which
posts only what is due and not yet posted (a ledger keyed by channel and ISO week), so the
catch-up sends a digest missed while the bot was down, retries failed posts with backoff,
posts a guild's digest on the slot its leads moved it to (``/factory digest schedule``),
and otherwise does nothing.  The weekly run is there so ``factorybot jobs list`` shows when
the next digest goes out.
"""

from __future__ import annotations

from jobs import current_context
from storage.models import utcnow


def send_digests() -> str:
    return str(current_context().services.digest.send_due(now=utcnow()))
