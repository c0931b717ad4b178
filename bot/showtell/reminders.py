"""The reminders the scheduler sends, each in a window where it still makes sense.

* the presenter's DM the day before: from 24 h before the start until the start (a talk
  booked inside those 24 hours needs no reminder);
* one nudge in the guild's channel when a session two days away has free slots: from
  48 h until 24 h before (after that it is not "two days away" any more);
* the agenda in the channel on the morning of the session: from 08:00 on the series' wall
  clock (or an hour before the start, if earlier) until the session ends;
* after the session, it and each of its talks are logged as held (for the weekly digest) and
  each presenter is asked for a recording or slides link: for seven days after the end;
* offers to the waitlist that nobody answered in time lapse, and the slot goes to the next.

Each reminder is claimed in ``showtell_reminders`` (primary key: kind, subject) before it is
sent, so a restart, a retry or a second scheduler process never sends it twice; one that
did not get through is released for the next run, while its window lasts.  A bot that was
down past a window sends nothing for it: never a "tomorrow" after the session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.showtell.cards import session_cards, zones_of
from bot.showtell.model import LinkRequest, Reminder, SessionCard, ShowTellNotifier, SlotOffer
from bot.showtell.schedule import MAX_MINUTES
from bot.showtell.waitlist import offer_freed_slots
from storage import showtell as repo
from storage.db import Database
from storage.repositories import record_activity

log = logging.getLogger(__name__)

AGENDA_AT = time(8, 0)
LINK_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Window:
    opens: datetime
    closes: datetime

    def __contains__(self, now: datetime) -> bool:
        return self.opens <= now < self.closes


def day_before(card: SessionCard) -> Window:
    return Window(card.starts_at - timedelta(hours=24), card.starts_at)


def two_days_before(card: SessionCard) -> Window:
    return Window(card.starts_at - timedelta(hours=48), card.starts_at - timedelta(hours=24))


def morning_of(card: SessionCard) -> Window:
    local_day = card.starts_at.astimezone(card.zone).date()
    morning = datetime.combine(local_day, AGENDA_AT, tzinfo=card.zone).astimezone(timezone.utc)
    return Window(min(morning, card.starts_at - timedelta(hours=1)), card.ends_at)


def after_session(card: SessionCard) -> Window:
    return Window(card.ends_at, card.ends_at + LINK_WINDOW)


@dataclass
class ReminderReport:
    presenters: int = 0
    nudges: int = 0
    agendas: int = 0
    talks_held: int = 0
    link_requests: int = 0
    offers_lapsed: int = 0
    failures: int = 0

    def __str__(self) -> str:
        return (f"presenters {self.presenters}; nudges {self.nudges}; agendas {self.agendas}; talks held "
                f"{self.talks_held}; link requests {self.link_requests}; offers lapsed {self.offers_lapsed}; "
                f"failures {self.failures}")


def send_offers(notifier: ShowTellNotifier, offers: list[SlotOffer]) -> None:
    """An offer that does not get through still stands; it lapses and passes on like any other."""
    for offer in offers:
        if not notifier.offer_slot(offer):
            log.warning("could not offer session %s to %s", offer.session.id, offer.member_id)


class Reminders:
    def __init__(self, db: Database, notifier: ShowTellNotifier) -> None:
        self._db, self._notifier = db, notifier

    def run(self, *, now: datetime) -> ReminderReport:
        report = ReminderReport()
        self._lapse_offers(now, report)
        with self._db.unit_of_work() as uow:
            rows = repo.sessions_between(uow.session, now - LINK_WINDOW - timedelta(minutes=MAX_MINUTES),
                                         now + timedelta(hours=48))
            cards = session_cards(uow.session, rows)
            zones = {c.id: zones_of(uow.session, [t.presenter for t in c.talks], fallback=c.zone) for c in cards}
        for card in cards:
            self._session(card, zones[card.id], now, report)
        return report

    def _session(self, card: SessionCard, zones: dict[str, ZoneInfo], now: datetime, report: ReminderReport) -> None:
        if now in two_days_before(card) and card.free_slots:
            report.nudges += self._once("nudge", card.id, lambda: self._notifier.nudge_channel(card), now, report)
        if now in morning_of(card) and card.talks:
            report.agendas += self._once("agenda", card.id, lambda: self._post_agenda(card), now, report)
        window = day_before(card)
        for talk in card.talks if now in window else ():
            if talk.booked_at is not None and talk.booked_at < window.opens:
                reminder = Reminder(card, talk, zones[talk.presenter])
                report.presenters += self._once("day_before", talk.id,
                                                lambda r=reminder: self._notifier.dm_presenter(r), now, report)
        if now in after_session(card) and card.talks:
            self._log_once("session_held", card.id, card, actor=None, talks=len(card.talks))
        for talk in card.talks if now in after_session(card) else ():
            report.talks_held += self._log_once("talk_held", talk.id, card, actor=talk.presenter, minutes=talk.minutes)
            if talk.link is None:
                request = LinkRequest(card, talk)
                report.link_requests += self._once("link_request", talk.id,
                                                   lambda r=request: self._notifier.ask_for_link(r), now,
                                                   report)

    def _once(self, kind: str, subject_id: int, send: Callable[[], bool], now: datetime,
              report: ReminderReport) -> int:
        """Claim, then send; release the claim if the message did not get through (or raised)."""
        with self._db.unit_of_work() as uow:
            won = repo.claim_reminder(uow.session, kind=kind, subject_id=subject_id, at=now)
            uow.commit()
        if not won:
            return 0
        sent = False
        try:
            sent = send()
        finally:
            if not sent:
                report.failures += 1
                with self._db.unit_of_work() as uow:
                    repo.release_reminder(uow.session, kind=kind, subject_id=subject_id)
                    uow.commit()
        return 1 if sent else 0

    def _log_once(self, what: str, subject_id: int, card: SessionCard, *, actor: str | None, **figures: int) -> int:
        """Log a session or a talk as held (``showtell.session_held`` / ``showtell.talk_held``), once, at the
        session's start: the weekly digest counts them."""
        with self._db.unit_of_work() as uow:
            if not repo.claim_reminder(uow.session, kind=what, subject_id=subject_id, at=card.ends_at):
                return 0
            record_activity(uow.session, kind=f"showtell.{what}", actor=actor, guild=card.guild_slug,
                            subject=str(subject_id), figures={**figures, "session": card.id}, at=card.starts_at)
            uow.commit()
        return 1

    def _post_agenda(self, card: SessionCard) -> bool:
        ts = self._notifier.post_agenda(card)
        if ts is None:
            return False
        with self._db.unit_of_work() as uow:
            repo.set_agenda_message(uow.session, card.id, channel=card.channel_id, ts=ts)
            uow.commit()
        return True

    def _lapse_offers(self, now: datetime, report: ReminderReport) -> None:
        with self._db.unit_of_work() as uow:
            lapsed = [(e.id, e.session_id) for e in repo.lapsed_offers(uow.session, now=now)]
        for entry_id, session_id in lapsed:
            with self._db.unit_of_work() as uow:
                row = repo.lock_session(uow.session, session_id)
                if row is None or not repo.expire_offer(uow.session, entry_id, now=now):
                    continue
                offers = offer_freed_slots(uow.session, row, now=now)
                uow.commit()
            report.offers_lapsed += 1
            send_offers(self._notifier, offers)
