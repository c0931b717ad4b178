"""Mentoring services against a real database, with a recording delivery instead of Slack."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.mentoring.service import MentoringError, MentoringService
from bot.mentoring.rounds import CheckInPrompt, DeliveryReport, Intro, RoundService, UnmatchedNotice
from storage.db import Database
from storage.guilds import add_guild, start_membership
from storage.members import ensure_members, save_directory_entry
from storage.mentoring import Round as MentoringRound
from storage.models import ActivityEvent

PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=PARIS)


@dataclass
class RecordingDelivery:
    intros: list[Intro] = field(default_factory=list)
    unmatched: list[UnmatchedNotice] = field(default_factory=list)
    checkins: list[CheckInPrompt] = field(default_factory=list)
    inactive: list[str] = field(default_factory=list)

    def introduce(self, intro: Intro) -> str | None:
        self.intros.append(intro)
        return f"G{intro.match_id:08d}"

    def tell_unmatched(self, notice: UnmatchedNotice) -> None:
        self.unmatched.append(notice)

    def ask_checkin(self, prompt: CheckInPrompt) -> bool:
        self.checkins.append(prompt)
        return True

    def tell_inactive(self, member_id: str) -> None:
        self.inactive.append(member_id)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY - timedelta(days=3))


@pytest.fixture
def mentoring(database: Database, clock: Clock) -> MentoringService:
    return MentoringService(database, zone=PARIS, is_admin=lambda u: u == "UADMIN", clock=clock)


class Relay:
    """The delivery the round service is built with; a test points it at a fresh recorder per step."""

    def __init__(self) -> None:
        self.target: RecordingDelivery = RecordingDelivery()

    def __getattr__(self, name: str) -> object:
        return getattr(self.target, name)


@pytest.fixture
def relay() -> Relay:
    return Relay()


@pytest.fixture
def rounds(database: Database, clock: Clock, relay: Relay) -> RoundService:
    return RoundService(database, zone=PARIS, is_admin=lambda u: u == "UADMIN", delivery=relay, clock=clock)


def run(rounds: RoundService, relay: Relay, at: datetime, slug: str = "org") -> tuple[RecordingDelivery, object]:
    relay.target = delivery = RecordingDelivery()
    outcome = rounds.run_round(slug, now=at)
    rounds.deliver(outcome, DeliveryReport())
    return delivery, outcome


def groups(delivery: RecordingDelivery) -> set[tuple[str, ...]]:
    return {i.members for i in delivery.intros}


def test_offer_and_seek_write_profile_tags_and_enrol(mentoring: MentoringService, database: Database) -> None:
    enrolled = mentoring.offer("UMENTOR", ("Python", "LLM evals", "capacity", "2"))
    assert enrolled.skills == ("python", "llm-evaluation") and enrolled.capacity == 2
    assert enrolled.next_round_at == MONDAY
    mentoring.seek("UMENTEE", ("llm-evaluation",))
    status = mentoring.status("UMENTOR")
    assert status.roles == (("mentor", 2),) and status.teach == ("python", "llm-evaluation")
    assert mentoring.status("UMENTEE").learn == ("llm-evaluation",)
    with database.unit_of_work() as uow:
        kinds = list(uow.session.scalars(select(ActivityEvent.kind).order_by(ActivityEvent.id)))
    assert kinds == ["mentoring.offered", "mentoring.sought"]


def test_bad_input_is_refused_with_a_reason(mentoring: MentoringService) -> None:
    with pytest.raises(MentoringError, match="Which skills"):
        mentoring.offer("U1", ())
    with pytest.raises(MentoringError, match="from 1 to 5"):
        mentoring.offer("U1", ("python", "capacity", "9"))
    with pytest.raises(MentoringError, match="not in mentoring"):
        mentoring.pause("U1", None)
    mentoring.seek("U1", ("python",))
    with pytest.raises(MentoringError, match="YYYY-MM-DD"):
        mentoring.pause("U1", "next week")
    with pytest.raises(MentoringError, match="yourself"):
        mentoring.avoid("U1", "U1")
    with pytest.raises(MentoringError, match="admins"):
        mentoring.stats("U1", None)


def test_a_round_matches_introduces_and_tells_the_unmatched_why(
    mentoring: MentoringService, rounds: RoundService, database: Database, relay: Relay
) -> None:
    with database.unit_of_work() as uow:
        ensure_members(uow.session, ["UM1", "UE1", "UE2"])
        save_directory_entry(uow.session, "UM1", name="m", tz="Europe/Paris", at=MONDAY)
        save_directory_entry(uow.session, "UE1", name="e", tz="Europe/Berlin", at=MONDAY)
        uow.commit()
    mentoring.offer("UM1", ("rag",))
    mentoring.seek("UE1", ("rag",))
    mentoring.seek("UE2", ("rag",))
    delivery, outcome = run(rounds, relay, MONDAY)
    assert len(delivery.intros) == 1 and delivery.intros[0].mentor_id == "UM1"
    assert delivery.intros[0].reason["shared_skills"] == ["rag"]
    assert [(n.member_id, n.reason) for n in delivery.unmatched] == [
        (delivery.unmatched[0].member_id, "capacity_full")
    ]
    assert delivery.unmatched[0].next_round_at == MONDAY + timedelta(days=14)
    # Running again the same day makes no second round.
    again = rounds.run_round("org", now=MONDAY + timedelta(hours=1))
    assert not again.ran
    # Who was left out goes first next time.
    left_out = delivery.unmatched[0].member_id
    second, _ = run(rounds, relay, MONDAY + timedelta(days=14))
    assert second.intros[0].members == ("UM1", left_out)


def test_capacity_avoid_pause_and_stop_are_respected(mentoring: MentoringService, rounds: RoundService, relay: Relay) -> None:
    mentoring.offer("UM1", ("python", "capacity", "2"))
    for mentee in ("UE1", "UE2", "UE3", "UE4", "UE5"):
        mentoring.seek(mentee, ("python",))
    mentoring.avoid("UE1", "UM1")  # either side's avoid works both ways
    mentoring.pause("UE2", None)
    mentoring.stop("UE3")
    delivery, outcome = run(rounds, relay, MONDAY)
    assert groups(delivery) == {("UM1", "UE4"), ("UM1", "UE5")}
    reasons = {n.member_id: n.reason for n in delivery.unmatched}
    assert reasons == {"UE1": "no_eligible_partner"}  # paused and stopped people are not told


def test_a_pause_with_a_date_ends_by_itself(mentoring: MentoringService, rounds: RoundService, clock: Clock, relay: Relay) -> None:
    mentoring.offer("UM1", ("python",))
    mentoring.seek("UE1", ("python",))
    until = mentoring.pause("UE1", "2026-12-10")
    assert until == datetime(2026, 12, 10, tzinfo=PARIS)
    assert mentoring.status("UE1").state == "paused"
    assert run(rounds, relay, MONDAY)[0].intros == []
    clock.at = MONDAY + timedelta(days=14)
    assert mentoring.status("UE1").state == "active"
    assert groups(run(rounds, relay, MONDAY + timedelta(days=14))[0]) == {("UM1", "UE1")}


def test_no_pair_repeats_within_the_cooldown_when_another_choice_exists(
    mentoring: MentoringService, rounds: RoundService, relay: Relay
) -> None:
    for mentor in ("UM1", "UM2"):
        mentoring.offer(mentor, ("python",))
    for mentee in ("UE1", "UE2"):
        mentoring.seek(mentee, ("python",))
    first = groups(run(rounds, relay, MONDAY)[0])
    second = groups(run(rounds, relay, MONDAY + timedelta(days=14))[0])
    assert len(first) == len(second) == 2 and not first & second


def test_nobody_eligible_makes_an_empty_round(mentoring: MentoringService, rounds: RoundService, relay: Relay) -> None:
    rounds.program_for(None)
    delivery, outcome = run(rounds, relay, MONDAY)
    assert outcome.ran and delivery.intros == [] and delivery.unmatched == []


def test_peer_rounds_pair_guild_members_with_one_trio(
    rounds: RoundService, database: Database, relay: Relay
) -> None:
    people = ["UP1", "UP2", "UP3", "UP4", "UP5"]
    with database.unit_of_work() as uow:
        ensure_members(uow.session, people)
        guild = add_guild(uow.session, slug="mlops", name="MLOps", description="", channel_id="C1",
                          created_by="UP1", at=MONDAY)
        for p in people:
            start_membership(uow.session, guild_id=guild.id, member_id=p, source="command", at=MONDAY)
        uow.commit()
    slug = rounds.program_for("mlops")
    delivery, _ = run(rounds, relay, MONDAY, slug)
    sizes = sorted(len(g) for g in groups(delivery))
    assert sizes == [2, 3] and {p for g in groups(delivery) for p in g} == set(people)
    with pytest.raises(MentoringError, match="No guild"):
        rounds.program_for("nope")


def test_checkins_are_asked_once_answers_recorded_and_three_ignored_intros_set_inactive(
    mentoring: MentoringService, rounds: RoundService, database: Database, clock: Clock, relay: Relay
) -> None:
    mentoring.offer("UM1", ("python",))
    mentoring.seek("UE1", ("python",))
    at = MONDAY
    for n in range(3):
        delivery, _ = run(rounds, relay, at)
        match_id = delivery.intros[0].match_id
        asked = RecordingDelivery()
        relay.target = asked
        rounds.send_checkins(now=at + timedelta(days=7), report=DeliveryReport())
        relay.target = asked
        rounds.send_checkins(now=at + timedelta(days=7, hours=1), report=DeliveryReport())
        assert [p.match_id for p in asked.checkins] == [match_id]
        clock.at = at + timedelta(days=8)
        assert rounds.record_answer(match_id=match_id, member_id="UM1", answer="yes").changed
        assert not rounds.record_answer(match_id=match_id, member_id="UM1", answer="yes").changed
        with pytest.raises(MentoringError):
            rounds.record_answer(match_id=match_id, member_id="UOTHER", answer="yes")
        relay.target = asked
        rounds.settle_ignored(now=at + timedelta(days=14), report=DeliveryReport())
        at += timedelta(days=14)
    assert asked.inactive == ["UE1"]
    assert mentoring.status("UE1").state == "inactive" and mentoring.status("UM1").state == "active"
    assert mentoring.stats("UADMIN", None)[0].met == 3
    mentoring.resume("UE1")
    assert mentoring.status("UE1").state == "active"


class FailingOnce(RecordingDelivery):
    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    def introduce(self, intro: Intro) -> str | None:
        if not self.failed:
            self.failed = True
            return None
        return super().introduce(intro)


def test_an_introduction_slack_refused_is_sent_on_a_later_run_and_only_once(
    mentoring: MentoringService, rounds: RoundService, relay: Relay
) -> None:
    mentoring.offer("UM1", ("python",))
    mentoring.seek("UE1", ("python",))
    delivery, report = FailingOnce(), DeliveryReport()
    relay.target = delivery
    rounds.deliver(rounds.run_round("org", now=MONDAY), report)
    assert delivery.intros == [] and report.failures == 1
    for _ in range(2):
        relay.target = delivery
        rounds.retry_introductions(now=MONDAY + timedelta(hours=1), report=report)
    assert [i.members for i in delivery.intros] == [("UM1", "UE1")] and report.introduced == 1
    later = RecordingDelivery()
    relay.target = later
    rounds.send_checkins(now=MONDAY + timedelta(days=7), report=DeliveryReport())
    assert [p.conversation_id for p in later.checkins] == [f"G{delivery.intros[0].match_id:08d}"]


def test_offering_again_brings_a_stopped_person_back_but_keeps_a_pause(mentoring: MentoringService) -> None:
    mentoring.seek("UE1", ("python",))
    mentoring.stop("UE1")
    mentoring.seek("UE1", ("rag",))
    assert mentoring.status("UE1").state == "active" and mentoring.status("UE1").learn == ("python", "rag")
    mentoring.pause("UE1", None)
    mentoring.seek("UE1", ("sql",))
    assert mentoring.status("UE1").state == "paused"
    mentoring.resume("UE1")
    with pytest.raises(MentoringError, match="already taking part"):
        mentoring.resume("UE1")


def test_someone_who_offers_and_seeks_is_one_person_in_a_round(
    mentoring: MentoringService, rounds: RoundService, database: Database, relay: Relay
) -> None:
    mentoring.offer("UBOTH", ("python",))
    mentoring.seek("UBOTH", ("rag",))
    delivery, outcome = run(rounds, relay, MONDAY)
    assert [(n.member_id, n.role) for n in outcome.unmatched] == [("UBOTH", "mentee")]
    assert [n.member_id for n in delivery.unmatched] == ["UBOTH"]  # one "No match" message, not two
    with database.unit_of_work() as uow:
        (stored,) = uow.session.scalars(select(MentoringRound)).all()
    assert [u["id"] for u in stored.unmatched] == ["UBOTH"]
    assert mentoring.stats("UADMIN", None)[0].unmatched_last_round == 1


def test_someone_matched_in_one_role_is_not_told_they_are_unmatched_in_the_other(
    mentoring: MentoringService, rounds: RoundService, database: Database, relay: Relay
) -> None:
    mentoring.offer("UBOTH", ("python",))
    mentoring.seek("UBOTH", ("rag",))  # nobody teaches rag
    mentoring.seek("UE1", ("python",))
    delivery, outcome = run(rounds, relay, MONDAY)
    assert groups(delivery) == {("UBOTH", "UE1")}
    assert outcome.unmatched == () and delivery.unmatched == []
    with database.unit_of_work() as uow:
        (stored,) = uow.session.scalars(select(MentoringRound)).all()
    assert stored.unmatched == []


def test_an_admin_may_run_again_the_day_a_round_matched_nobody(
    mentoring: MentoringService, rounds: RoundService, database: Database, relay: Relay
) -> None:
    mentoring.seek("UE1", ("python",))
    relay.target = first = RecordingDelivery()
    empty = rounds.run_round_now("UADMIN", None, now=MONDAY)
    assert empty.ran and not empty.replaced and empty.intros == () and [n.member_id for n in first.unmatched] == ["UE1"]
    mentoring.offer("UM1", ("python",))
    relay.target = second = RecordingDelivery()
    again = rounds.run_round_now("UADMIN", None, now=MONDAY + timedelta(hours=1))
    assert again.ran and again.replaced and groups(second) == {("UM1", "UE1")}
    assert not again.intros[0].reason["priority"]  # the empty attempt is not a "last round" that left UE1 out
    with database.unit_of_work() as uow:
        stored = uow.session.scalars(select(MentoringRound)).all()
    assert [(r.round_on, r.started_by, r.unmatched) for r in stored] == [(MONDAY.date(), "UADMIN", [])]
    # A round that matched people stays the day's only round, for admins and the scheduler alike.
    relay.target = third = RecordingDelivery()
    refused = rounds.run_round_now("UADMIN", None, now=MONDAY + timedelta(hours=2))
    assert not refused.ran and not refused.replaced and third.intros == []
    assert not rounds.run_round("org", now=MONDAY + timedelta(hours=3)).ran


def test_the_scheduler_does_not_run_a_second_round_after_an_empty_one(
    mentoring: MentoringService, rounds: RoundService, relay: Relay
) -> None:
    rounds.program_for(None)
    assert rounds.run_round("org", now=MONDAY).ran
    mentoring.offer("UM1", ("python",))
    mentoring.seek("UE1", ("python",))
    assert not rounds.run_round("org", now=MONDAY + timedelta(hours=1)).ran
