"""Show-and-tell's service against a real database (SQLite or PostgreSQL), with a recording
notifier instead of Slack: series, atomic booking under many threads, the waitlist, reminders
claimed once, kudos."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from bot.showtell.model import (
    CancelNotice,
    when,
    LinkRequest,
    NotAllowed,
    Reminder,
    SessionCard,
    SharedLink,
    ShowTellError,
    SlotOffer,
)
from bot.showtell.service import ShowTellService
from storage import showtell as repo
from storage.db import Database
from storage.guilds import add_guild, add_lead
from storage.members import ensure_members, save_directory_entry
from storage.models import ActivityEvent

PARIS = ZoneInfo("Europe/Paris")
ADMIN, LEAD, ANA, BEN, CAL = "UADMIN", "ULEAD", "UANA", "UBEN", "UCAL"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)  # a Tuesday
WEEKLY = "every 1 weeks on thursday at 16:00 Europe/Paris slots=2 minutes=30"


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@dataclass
class RecordingNotifier:
    sent: list[tuple[str, object]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # methods that "fail" (Slack refused)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _record(self, kind: str, what: object) -> bool:
        with self.lock:
            if kind in self.refuse:
                return False
            self.sent.append((kind, what))
            return True

    def of(self, kind: str) -> list:
        return [what for k, what in self.sent if k == kind]

    def dm_presenter(self, reminder: Reminder) -> bool:
        return self._record("dm_presenter", reminder)

    def post_agenda(self, session: SessionCard) -> str | None:
        return f"1700000000.{session.id:06d}" if self._record("post_agenda", session) else None

    def nudge_channel(self, session: SessionCard) -> bool:
        return self._record("nudge_channel", session)

    def offer_slot(self, offer: SlotOffer) -> bool:
        return self._record("offer_slot", offer)

    def ask_for_link(self, request: LinkRequest) -> bool:
        return self._record("ask_for_link", request)

    def post_link_in_thread(self, link: SharedLink) -> bool:
        return self._record("post_link_in_thread", link)

    def tell_cancelled(self, notice: CancelNotice) -> bool:
        return self._record("tell_cancelled", notice)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


def make_service(database: Database, notifier: RecordingNotifier, clock: Clock) -> ShowTellService:
    return ShowTellService(database, zone=PARIS, is_admin=lambda u: u == ADMIN, notifier=notifier, clock=clock)


@pytest.fixture
def service(database: Database, notifier: RecordingNotifier, clock: Clock) -> ShowTellService:
    with database.unit_of_work() as uow:
        ensure_members(uow.session, [ADMIN, LEAD, ANA, BEN, CAL])
        save_directory_entry(uow.session, BEN, name="ben", tz="America/New_York", at=NOW)
        guild = add_guild(uow.session, slug="mlops", name="MLOps", description="", channel_id="C0MLOPS",
                          created_by=ADMIN, at=NOW)
        add_lead(uow.session, guild_id=guild.id, member_id=LEAD, added_by=ADMIN, at=NOW)
        uow.commit()
    return make_service(database, notifier, clock)


def sessions(database: Database) -> list[repo.ShowSession]:
    with database.unit_of_work() as uow:
        return list(uow.session.scalars(select(repo.ShowSession).order_by(repo.ShowSession.starts_at)))


def kinds(database: Database) -> list[str]:
    with database.unit_of_work() as uow:
        return list(uow.session.scalars(select(ActivityEvent.kind).order_by(ActivityEvent.id)))


def together(n: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(i)`` on ``n`` threads released at the same moment; results or exceptions."""
    barrier, results, lock = threading.Barrier(n), [], threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        try:
            outcome: object = work(i)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


# -- series ---------------------------------------------------------------------------------


def test_a_lead_schedules_eight_sessions_ahead_and_members_may_not(service: ShowTellService,
                                                                   database: Database) -> None:
    with pytest.raises(NotAllowed, match=r"Only the leads of \*MLOps\* and admins"):
        service.schedule(ANA, "mlops", WEEKLY)
    with pytest.raises(ShowTellError, match="No guild called `mlopz`. Did you mean `mlops`?"):
        service.schedule(LEAD, "mlopz", WEEKLY)
    assert sessions(database) == []
    scheduled = service.schedule(LEAD, "MLOps", WEEKLY)
    rows = sessions(database)
    assert len(rows) == 8 and [r.held_on.isoformat() for r in rows[:2]] == ["2026-12-03", "2026-12-10"]
    assert all(r.starts_at.astimezone(PARIS).hour == 16 for r in rows)
    assert len(scheduled.sessions) == 8 and scheduled.schedule == WEEKLY.replace("1 weeks", "1 weeks")
    assert service.extend_series(now=NOW) == 0  # already eight ahead
    assert service.extend_series(now=NOW + timedelta(days=8)) == 1  # a week later: one more
    assert kinds(database) == ["showtell.session_scheduled"] * 8 + ["showtell.scheduled", "showtell.session_scheduled"]


def test_changing_the_series_keeps_bookings_whose_session_remains_and_tells_the_others(
    service: ShowTellService, database: Database, notifier: RecordingNotifier
) -> None:
    service.schedule(LEAD, "mlops", WEEKLY)
    first, second = sessions(database)[:2]
    service.propose(ANA, session_id=first.id, title="Feature store", abstract="", minutes=10)
    service.propose(BEN, session_id=second.id, title="Drift alarms", abstract="", minutes=10)
    changed = service.schedule(ADMIN, "mlops", WEEKLY.replace("1 weeks", "2 weeks").replace("16:00", "17:00"))
    assert (changed.kept_talks, changed.cancelled_talks) == (1, 1)
    [told] = notifier.of("tell_cancelled")
    assert (told.member_id, told.title, told.why, told.zone.key) == (BEN, "Drift alarms", "rescheduled",
                                                                      "America/New_York")
    upcoming = service.upcoming("mlops")
    assert upcoming[0].id == first.id and upcoming[0].starts_at.astimezone(PARIS).hour == 17
    assert [t.title for t in upcoming[0].talks] == ["Feature store"]
    assert upcoming[1].starts_at - upcoming[0].starts_at == timedelta(weeks=2)


def test_skipping_a_session_cancels_it_and_tells_everyone_booked(
    service: ShowTellService, database: Database, notifier: RecordingNotifier
) -> None:
    service.schedule(LEAD, "mlops", WEEKLY)
    first = sessions(database)[0]
    service.propose(ANA, session_id=first.id, title="Feature store", abstract="", minutes=10)
    for problem, args in (("not a date", (LEAD, "mlops", "next week")),
                          ("2026-11-26 is in the past", (LEAD, "mlops", "2026-11-26")),
                          ("no session on Friday 2026-12-04. Its next sessions: 2026-12-03, 2026-12-10",
                           (LEAD, "mlops", "2026-12-04"))):
        with pytest.raises(ShowTellError, match=problem):
            service.skip(*args)
    with pytest.raises(NotAllowed):
        service.skip(ANA, "mlops", "2026-12-03")
    skipped = service.skip(LEAD, "mlops", "2026-12-03")
    assert skipped.told == 1 and notifier.of("tell_cancelled")[0].why == "skipped"
    assert service.upcoming("mlops")[0].starts_at.date().isoformat() == "2026-12-10"
    with pytest.raises(ShowTellError, match="was skipped"):
        service.propose(BEN, session_id=first.id, title="Late", abstract="", minutes=5)


# -- booking --------------------------------------------------------------------------------


def test_a_proposal_books_then_fills_then_waits_and_a_long_talk_is_told_what_is_left(
    service: ShowTellService, database: Database
) -> None:
    service.schedule(LEAD, "mlops", WEEKLY)
    first = sessions(database)[0]
    booked = service.propose(ANA, session_id=first.id, title="  Feature   store ", abstract="Why", minutes=20)
    assert booked.position is None and [t.title for t in booked.session.talks] == ["Feature store"]
    with pytest.raises(ShowTellError, match="A 15-minute talk does not fit: 10 minutes are left") as raised:
        service.propose(BEN, session_id=first.id, title="Drift", abstract="", minutes=15)
    assert raised.value.field == "minutes"
    with pytest.raises(ShowTellError, match="already have a talk at this session: #1"):
        service.propose(ANA, session_id=first.id, title="Again", abstract="", minutes=5)
    assert service.propose(BEN, session_id=first.id, title="Drift", abstract="", minutes=10).talk_id
    waiting = service.propose(CAL, session_id=first.id, title="Evals", abstract="", minutes=10)
    assert waiting.position == 1 and waiting.session.room() == "full · 1 on the waitlist"
    with pytest.raises(ShowTellError, match="already on this session's waitlist"):
        service.propose(CAL, session_id=first.id, title="Evals", abstract="", minutes=10)
    for bad, problem in (({"title": " "}, "Give your talk a title"), ({"minutes": 45}, "at most 30 minutes"),
                         ({"session_id": 999}, "no longer exists")):
        args = {"session_id": first.id, "title": "T", "abstract": "", "minutes": 5, **bad}
        with pytest.raises(ShowTellError, match=problem):
            service.propose(ADMIN, **args)


def test_many_people_booking_the_last_slot_at_once_make_one_talk_and_a_waitlist(
    database: Database, notifier: RecordingNotifier, clock: Clock, service: ShowTellService
) -> None:
    service.schedule(LEAD, "mlops", WEEKLY)
    first = sessions(database)[0]
    service.propose(ANA, session_id=first.id, title="Already booked", abstract="", minutes=5)
    people = [f"UPAR{i:03d}" for i in range(8)]
    services = [make_service(database, notifier, clock) for _ in people]  # as if in separate processes
    results = together(len(people), lambda i: services[i].propose(
        people[i], session_id=first.id, title=f"Talk {i}", abstract="", minutes=5))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len([r for r in results if r.talk_id]) == 1
    assert sorted(r.position for r in results if r.position) == list(range(1, 8))
    with database.unit_of_work() as uow:
        booked = uow.session.scalar(select(func.count()).select_from(repo.Talk).where(repo.Talk.status == "booked"))
    assert booked == 2


def test_a_cancelled_talk_offers_its_slot_down_the_waitlist_until_someone_accepts(
    service: ShowTellService, database: Database, notifier: RecordingNotifier, clock: Clock
) -> None:
    service.schedule(LEAD, "mlops", WEEKLY.replace("slots=2", "slots=1"))
    first = sessions(database)[0]
    talk = service.propose(ANA, session_id=first.id, title="Feature store", abstract="", minutes=10).talk_id
    service.propose(BEN, session_id=first.id, title="Drift", abstract="", minutes=10)
    service.propose(CAL, session_id=first.id, title="Evals", abstract="", minutes=10)
    with pytest.raises(NotAllowed, match=f"Talk #{talk} is <@{ANA}>'s"):
        service.cancel(BEN, f"#{talk}")
    with pytest.raises(ShowTellError, match="not a talk number"):
        service.cancel(ANA, "feature-store")
    cancelled = service.cancel(LEAD, str(talk))
    assert cancelled.offered_to == BEN and notifier.of("tell_cancelled")[0].by == LEAD
    offer = notifier.of("offer_slot")[0]
    assert offer.expires_at == NOW + timedelta(hours=24) and offer.zone.key == "America/New_York"
    assert offer.session.free_slots == 0  # held for Ben: nobody else can book it meanwhile
    assert service.propose(ADMIN, session_id=first.id, title="Sneaky", abstract="", minutes=5).position == 2
    with pytest.raises(NotAllowed, match="made to <@UBEN>"):
        service.answer_offer(CAL, offer.entry_id, accept=True)
    clock.at = NOW + timedelta(hours=25)
    with pytest.raises(ShowTellError, match="expired"):
        service.answer_offer(BEN, offer.entry_id, accept=True)
    assert service.remind(now=clock.at).offers_lapsed == 1
    assert service.remind(now=clock.at).offers_lapsed == 0
    second = notifier.of("offer_slot")[1]
    assert second.member_id == CAL
    service.answer_offer(CAL, second.entry_id, accept=False)
    third = notifier.of("offer_slot")[2]
    assert third.member_id == ADMIN
    answer = service.answer_offer(ADMIN, third.entry_id, accept=True)
    assert answer.talk_id and [t.title for t in answer.session.talks] == ["Sneaky"]
    with pytest.raises(ShowTellError, match="already accepted"):
        service.answer_offer(ADMIN, third.entry_id, accept=True)
    with pytest.raises(ShowTellError, match="already cancelled"):
        service.cancel(LEAD, str(talk))


# -- reminders ------------------------------------------------------------------------------


def test_each_reminder_is_sent_once_in_its_window_even_by_two_schedulers_at_once(
    service: ShowTellService, database: Database, notifier: RecordingNotifier, clock: Clock
) -> None:
    service.schedule(LEAD, "mlops", WEEKLY)
    second = sessions(database)[1]  # Thursday 10 December, 16:00 Paris = 15:00 UTC
    start = second.starts_at
    service.propose(BEN, session_id=second.id, title="Drift", abstract="", minutes=10)
    others = [make_service(database, notifier, clock) for _ in range(4)]

    def run_all(at: datetime) -> None:
        together(len(others), lambda i: others[i].remind(now=at))

    run_all(start - timedelta(hours=47))
    [nudge] = notifier.of("nudge_channel")
    assert nudge.free_slots == 1
    run_all(start - timedelta(hours=23))
    [reminder] = notifier.of("dm_presenter")
    assert reminder.talk.title == "Drift" and reminder.zone.key == "America/New_York"
    run_all(start - timedelta(hours=6))  # 09:00 Paris on the day
    [agenda] = notifier.of("post_agenda")
    assert agenda.id == second.id
    run_all(start + timedelta(minutes=45))
    [asked] = notifier.of("ask_for_link")
    assert asked.talk.presenter == BEN
    assert kinds(database).count("showtell.talk_held") == kinds(database).count("showtell.session_held") == 1
    assert len(notifier.sent) == 4


def test_a_reminder_missed_while_down_is_sent_late_only_while_it_makes_sense(
    service: ShowTellService, database: Database, notifier: RecordingNotifier
) -> None:
    service.schedule(LEAD, "mlops", WEEKLY)
    second = sessions(database)[1]
    service.propose(BEN, session_id=second.id, title="Drift", abstract="", minutes=10)
    report = service.remind(now=second.starts_at + timedelta(minutes=5))  # back during the session
    assert (report.presenters, report.nudges, report.agendas) == (0, 0, 1)
    report = service.remind(now=second.starts_at + timedelta(days=8))  # back too late to ask for a link
    assert (report.link_requests, report.talks_held) == (0, 0)


def test_a_reminder_slack_refused_is_tried_again_on_the_next_run(
    service: ShowTellService, database: Database, notifier: RecordingNotifier
) -> None:
    service.schedule(LEAD, "mlops", WEEKLY)
    second = sessions(database)[1]
    service.propose(BEN, session_id=second.id, title="Drift", abstract="", minutes=10)
    notifier.refuse.add("dm_presenter")
    assert service.remind(now=second.starts_at - timedelta(hours=20)).failures == 1
    notifier.refuse.clear()
    assert service.remind(now=second.starts_at - timedelta(hours=19)).presenters == 1
    assert service.remind(now=second.starts_at - timedelta(hours=18)).presenters == 0


# -- kudos and links -----------------------------------------------------------------------


def test_kudos_count_once_per_person_and_links_go_to_the_agenda_thread(
    service: ShowTellService, database: Database, notifier: RecordingNotifier
) -> None:
    service.schedule(LEAD, "mlops", WEEKLY)
    first = sessions(database)[0]
    talk = service.propose(BEN, session_id=first.id, title="Drift", abstract="", minutes=10).talk_id
    service.remind(now=first.starts_at - timedelta(minutes=30))  # the agenda
    assert [service.kudos(ANA, talk).added for _ in range(2)] == [True, False]
    assert service.kudos(CAL, talk).talk.kudos == 2
    with pytest.raises(ShowTellError, match="your own talk"):
        service.kudos(BEN, talk)
    with pytest.raises(NotAllowed, match="who gave this talk"):
        service.share_link(ANA, talk, "https://example.com/slides")
    with pytest.raises(ShowTellError, match="starts with https://"):
        service.share_link(BEN, talk, "slides on my laptop")
    shared = service.share_link(BEN, talk, " https://example.com/drift.pdf ")
    assert shared.thread_ts == f"1700000000.{first.id:06d}" and shared.url == "https://example.com/drift.pdf"
    assert [k for k in kinds(database) if k in ("showtell.kudos", "showtell.link_shared")] == [
        "showtell.kudos", "showtell.kudos", "showtell.link_shared"]
    service.cancel(BEN, str(talk))
    with pytest.raises(ShowTellError, match="This talk no longer exists: it was cancelled."):
        service.kudos(ANA, talk)


# -- time -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frozen", "expected"),
    [
        # Spring 2027: New York moves on 14 March, Paris on 28 March.
        ("2027-03-16 09:00", ["Thursday 18 March 2027, 11:00 EDT", "Thursday 25 March 2027, 11:00 EDT",
                              "Thursday 1 April 2027, 10:00 EDT"]),
        # Autumn 2027: Paris moves back on 31 October, New York on 7 November.
        ("2027-10-26 09:00", ["Thursday 28 October 2027, 10:00 EDT", "Thursday 4 November 2027, 11:00 EDT",
                              "Thursday 11 November 2027, 10:00 EST"]),
    ],
)
def test_across_daylight_saving_changes_sessions_keep_paris_time_and_a_new_york_presenter_gets_theirs(
    service: ShowTellService, database: Database, notifier: RecordingNotifier, frozen: str, expected: list[str]
) -> None:
    clockless = ShowTellService(database, zone=PARIS, is_admin=lambda u: u == ADMIN, notifier=notifier)
    with freeze_time(frozen):
        clockless.schedule(LEAD, "mlops", WEEKLY)
        rows = sessions(database)[:3]
        for row in rows:
            clockless.propose(BEN, session_id=row.id, title="Drift", abstract="", minutes=10)
    assert {r.starts_at.astimezone(PARIS).strftime("%H:%M") for r in rows} == {"16:00"}
    assert {r.starts_at.hour for r in rows} == {14, 15}  # the UTC instant moves instead
    for row in rows:
        with freeze_time(row.starts_at - timedelta(hours=23)):
            assert clockless.remind().presenters == 1
    assert [when(r.session.starts_at, r.zone) for r in notifier.of("dm_presenter")] == expected
