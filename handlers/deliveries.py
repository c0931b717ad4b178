"""Each Slack event is handled once, whichever replica it reaches.

Slack sends an event again (with ``X-Slack-Retry-Num``) when the first delivery was not
acknowledged within 3 seconds, and the retry may land on another replica.  This global
middleware runs after Bolt has checked the signature and before any listener: it claims the
event's ``event_id`` in the shared database, and a delivery whose id is already claimed is
acknowledged (so Slack stops retrying) and dropped.  Interactive payloads have no such id;
their listeners are idempotent through the services instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse

from bot.deliveries import DeliveryLedger

# Slack's event ids look like "Ev0123ABCD"; anything else is not de-duplicated (nor stored).
_EVENT_ID = re.compile(r"Ev[0-9A-Za-z]{1,100}")


def register(app: App, deliveries: DeliveryLedger) -> None:
    def once_per_event(body: dict[str, Any], next_: Callable[[], BoltResponse]) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and _EVENT_ID.fullmatch(event_id):
            if not deliveries.first_time(f"slack:event:{event_id}"):
                return BoltResponse(status=200, body="")
        return next_()

    app.use(once_per_event)
