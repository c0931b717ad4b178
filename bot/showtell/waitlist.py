"""The waitlist's rule: a freed slot goes to the first person waiting whose talk fits.

The offer holds the slot (and its minutes) for :data:`OFFER_TIME`, or until the session
starts if that is sooner; nobody else can book it meanwhile.  Accepting books it, passing
or letting it lapse offers it to the next person.  Call under
:func:`storage.showtell.lock_session`; the caller sends the offers after committing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.showtell.cards import session_card, zones_of
from bot.showtell.model import SlotOffer
from storage import showtell as repo
from storage.showtell import OFFERED, WAITING, ShowSession

OFFER_TIME = timedelta(hours=24)


def offer_freed_slots(session: Session, row: ShowSession, *, now: datetime) -> list[SlotOffer]:
    """Offer each free slot of a locked, coming session to the first waiting person whose talk fits."""
    if row.status != repo.SCHEDULED or row.starts_at <= now:
        return []
    card = session_card(session, row)
    waiting = [e for e in repo.open_entries(session, [row.id])[row.id] if e.status == WAITING]
    zones = zones_of(session, [e.member_id for e in waiting], fallback=card.zone)
    offers = []
    for entry in waiting:
        if card.free_slots == 0:
            break
        if entry.minutes > card.free_minutes:
            continue  # stays first in line for a slot with more time
        entry.status, entry.offered_at = OFFERED, now
        entry.offer_expires_at = min(now + OFFER_TIME, row.starts_at)
        session.flush()
        card = session_card(session, row)
        offers.append(SlotOffer(entry.id, entry.member_id, card, entry.title, entry.minutes,
                                entry.offer_expires_at, zones[entry.member_id]))
    return offers
