"""Which deliveries the bot has already handled, in the database every replica shares.

Slack delivers an event again when the first delivery was not acknowledged in time, and a
load balancer may hand the retry to another replica: only the database they share can
tell that it is a repeat.
"""

from __future__ import annotations

from storage.db import Database
from storage.repositories import claim_once


class DeliveryLedger:
    def __init__(self, db: Database) -> None:
        self._db = db

    def first_time(self, key: str) -> bool:
        """True for the first delivery of ``key`` whichever replica got it, False for every repeat."""
        with self._db.unit_of_work() as uow:
            first = claim_once(uow.session, key)
            uow.commit()
        return first
