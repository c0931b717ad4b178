"""Looking at approvals: one request's timeline, lists, the auditors' export.

Read-only.  The timeline and the export come from the append-only audit trail.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from bot.approvals.model import EventView, InvalidRequest, RequestView
from bot.approvals.policy import Policy
from bot.approvals.records import get_or_raise, request_view
from storage import approvals as store
from storage.approvals import PENDING
from storage.db import Database

LIST_LIMIT = 20
SCOPES: tuple[str, ...] = ("mine", "pending", "all")
EXPORT_COLUMNS = (
    "request", "type", "requester", "guild", "tier", "rule", "status",
    "event_at", "event", "actor", "reason", "fields",
)


def parse_request_id(text: str) -> int:
    request_id = store.parse_public_id(text or "")
    if request_id is None:
        raise InvalidRequest(f"`{text}` is not a request id; they look like `AR-42`.")
    return request_id


class ApprovalReports:
    """Read-only views of the requests for people and auditors."""

    def __init__(self, db: Database, policy: Policy) -> None:
        self.db = db
        self.policy = policy

    def timeline(self, *, request_id: int) -> tuple[RequestView, list[EventView]]:
        """The request and every audit event about it, oldest first."""
        with self.db.unit_of_work() as uow:
            view = request_view(uow.session, self.policy, get_or_raise(uow.session, request_id))
            events = [
                EventView(at=e.at, actor=e.actor, kind=e.kind, reason=e.reason, detail=e.detail)
                for e in store.audit_for(uow.session, request_id)
            ]
        return view, events

    def list_for(self, *, user: str, scope: str) -> list[RequestView]:
        """``mine``: what ``user`` filed; ``pending``: what waits for ``user``'s decision; ``all``: everything.
        Newest first, at most :data:`LIST_LIMIT`."""
        with self.db.unit_of_work() as uow:
            session = uow.session
            if scope == "mine":
                rows = store.list_requests(session, requester=user, limit=LIST_LIMIT)
            elif scope == "pending":
                rows = store.list_requests(session, statuses=[PENDING], limit=10 * LIST_LIMIT)
            else:
                rows = store.list_requests(session, limit=LIST_LIMIT)
            views = [request_view(session, self.policy, r) for r in rows]
        if scope == "pending":
            views = [v for v in views if user in v.deciders][:LIST_LIMIT]
        return views

    def export_rows(self, *, since: datetime, until: datetime | None = None) -> list[dict[str, Any]]:
        """One row per audit event since ``since``, with its request's current state."""
        with self.db.unit_of_work() as uow:
            pairs = store.audit_between(uow.session, since, until)
            return [
                {
                    "request": request.public_id, "type": request.type_id, "requester": request.requester,
                    "guild": request.guild or "", "tier": request.tier, "rule": request.matched_rule or "",
                    "status": request.status, "event_at": event.at.isoformat(), "event": event.kind,
                    "actor": event.actor or "", "reason": event.reason,
                    "fields": json.dumps(request.fields, sort_keys=True),
                }
                for event, request in pairs
            ]


# -- the auditors' export -----------------------------------------------------------------


def format_export(rows: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
