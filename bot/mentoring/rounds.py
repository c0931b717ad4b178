"""Mentoring rounds and check-ins: from enrolments to the matcher, and back to people.

:meth:`RoundService.run_round` reads a program's people (enrolments, or a guild's
members for peer pairing), their profile tags and time zones, their avoid lists and the
program's last K rounds, calls the pure matcher (:mod:`bot.mentoring.matching.match`) and stores the
matches, all in one unit of work keyed by (program, round date): running it twice makes
one round — except that an admin may run again a day whose round matched nobody, the new
round taking its place.  Someone who both offers and seeks comes to the matcher in both
roles but is one person in the round: told once, stored once, never "unmatched" while
matched in the other role.  What has to reach people is handed to a :class:`Delivery` (Slack in
production, :mod:`handlers.mentoring.delivery`); each introduction and check-in is
claimed in the database before it is sent, so a repeated job sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.mentoring.matching.match import (
    MatchingRules,
    MatchResult,
    Person,
    Unmatched,
    match_mentors,
    match_peers,
    utc_offset_minutes,
)
from bot.mentoring.service import MentoringError, effective_state, is_paused, next_round_at
from bot.text import plural
from storage import mentoring as repo
from storage.db import Database
from storage.guilds import guild_by_slug, open_member_ids
from storage.models import utcnow
from storage.repositories import record_activity

IGNORED_INTROS_LIMIT = 3
ANSWER_WINDOW = timedelta(days=7)  # after the check-in, how long an answer counts before the intro is "ignored"
ANSWERS = {"yes": "Yes, we met", "not_yet": "Not yet", "cant": "We can't"}


@dataclass(frozen=True)
class Intro:
    match_id: int
    program: str
    kind: str  # mentoring or peer
    members: tuple[str, ...]
    mentor_id: str | None
    reason: dict[str, object]
    checkin_at: datetime


@dataclass(frozen=True)
class UnmatchedNotice:
    member_id: str
    role: str
    reason: str
    program: str
    next_round_at: datetime


@dataclass(frozen=True)
class RoundOutcome:
    program: str
    round_on: date
    ran: bool  # False: this program already had its round that day
    intros: tuple[Intro, ...] = ()
    unmatched: tuple[UnmatchedNotice, ...] = ()
    replaced: bool = False  # True: it took the place of that day's earlier round, which matched nobody


@dataclass(frozen=True)
class CheckInPrompt:
    match_id: int
    conversation_id: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class AnswerOutcome:
    match_id: int
    answer: str
    changed: bool


class Delivery(Protocol):
    """How mentoring reaches people (Slack in production)."""

    def introduce(self, intro: Intro) -> str | None:
        """Open the group conversation, post the introduction; its id, or ``None`` on failure."""
        ...

    def tell_unmatched(self, notice: UnmatchedNotice) -> None: ...

    def ask_checkin(self, prompt: CheckInPrompt) -> bool: ...

    def tell_inactive(self, member_id: str) -> None: ...


@dataclass
class DeliveryReport:
    rounds: list[str] = field(default_factory=list)
    introduced: int = 0
    unmatched_told: int = 0
    checkins: int = 0
    set_inactive: int = 0
    failures: int = 0

    def __str__(self) -> str:
        """The job's result in ``factorybot jobs list``: what happened, nothing for what did not."""
        parts = [f"ran {plural(len(self.rounds), 'round')} ({', '.join(self.rounds)})"] if self.rounds else []
        counts = [(self.introduced, plural(self.introduced, "introduction") + " sent"),
                  (self.unmatched_told, plural(self.unmatched_told, "person", "people") + " told they are unmatched"),
                  (self.checkins, plural(self.checkins, "check-in") + " asked"),
                  (self.set_inactive, plural(self.set_inactive, "person", "people") + " set inactive"),
                  (self.failures, plural(self.failures, "message") + " Slack refused")]
        parts += [text for count, text in counts if count]
        return "; ".join(parts) or "nothing was due"


def _left_out(result: MatchResult) -> list[Unmatched]:
    """Who the round left out, each person once.  Someone who offers and seeks is both a mentor
    and a mentee to the matcher: matched in either role, they are not left out; matched in
    neither, they are left out once, in the first role the matcher lists (mentee)."""
    matched = {member for match in result.matches for member in match.members}
    once: dict[str, Unmatched] = {}
    for unmatched in result.unmatched:
        if unmatched.person_id not in matched:
            once.setdefault(unmatched.person_id, unmatched)
    return list(once.values())


class RoundService:
    def __init__(self, db: Database, *, zone: ZoneInfo, is_admin: Callable[[str], bool], delivery: Delivery,
                 rules: MatchingRules = MatchingRules(), clock: Callable[[], datetime] = utcnow) -> None:
        self._db, self._zone, self._rules, self._clock = db, zone, rules, clock
        self._is_admin, self._delivery = is_admin, delivery

    # -- the ways a round starts ------------------------------------------------------

    def run_round_now(self, actor: str, guild_slug: str | None, *, now: datetime) -> RoundOutcome:
        """``/mentor round now [guild]``: admins only; the round's messages go out before it returns.
        An admin may run again a day whose round matched nobody (people enrolled since, say)."""
        if not self._is_admin(actor):
            raise MentoringError("Only factorybot admins can start a round.")
        outcome = self.run_round(self.program_for(guild_slug), now=now, started_by=actor, replace_empty=True)
        if outcome.ran:
            self.deliver(outcome, DeliveryReport())
        return outcome

    def run_due_rounds(self, *, now: datetime) -> DeliveryReport:
        """The weekly job: every program whose cadence has come round (the org program always exists)."""
        report = DeliveryReport()
        self.program_for(None)
        for slug in self.due_programs(now):
            outcome = self.run_round(slug, now=now)
            if outcome.ran:
                report.rounds.append(slug)
                self.deliver(outcome, report)
        return report

    def follow_up(self, *, now: datetime) -> DeliveryReport:
        """The daily job: unsent introductions, due check-ins, and the ignored-introduction rule."""
        report = DeliveryReport()
        self.retry_introductions(now=now, report=report)
        self.send_checkins(now=now, report=report)
        self.settle_ignored(now=now, report=report)
        return report

    def program_for(self, guild_slug: str | None) -> str:
        """The org program, or the guild's peer program (created on first use)."""
        with self._db.unit_of_work() as uow:
            if guild_slug is None:
                slug = repo.ensure_program(uow.session, slug=repo.ORG, kind="mentoring", guild_id=None).slug
            else:
                guild = guild_by_slug(uow.session, guild_slug)
                if guild is None or guild.archived_at is not None:
                    raise MentoringError(f"No guild called `{guild_slug}`: `/guild list` shows them all.")
                slug = repo.ensure_program(uow.session, slug=guild.slug, kind="peer", guild_id=guild.id).slug
            uow.commit()
        return slug

    def due_programs(self, now: datetime) -> list[str]:
        """Programs whose cadence has come round (the weekly job asks every Monday)."""
        with self._db.unit_of_work() as uow:
            due = []
            for program in repo.all_programs(uow.session):
                last = repo.recent_rounds(uow.session, program.id, limit=1)
                if not last or now.astimezone(self._zone).date() >= last[0].round_on + timedelta(days=program.cadence_days):
                    due.append(program.slug)
        return due

    def run_round(self, slug: str, *, now: datetime, seed: int | None = None, started_by: str | None = None,
                  replace_empty: bool = False) -> RoundOutcome:
        """The program's round for the local date of ``now``; not run (``ran`` False) when it already
        had one that day, unless ``replace_empty`` and that round matched nobody."""
        round_on = now.astimezone(self._zone).date()
        with self._db.unit_of_work() as uow:
            s = uow.session
            program = repo.program_by_slug(s, slug)
            if program is None:
                raise MentoringError(f"There is no mentoring program `{slug}`.")
            seed = seed if seed is not None else int(round_on.strftime("%Y%m%d")) + program.id
            previous = repo.recent_rounds(s, program.id, limit=max(self._rules.cooldown_rounds, 1), before=round_on)
            replaced = replace_empty and repo.drop_empty_round(s, program_id=program.id, round_on=round_on)
            new = repo.add_round(s, program_id=program.id, round_on=round_on, seed=seed, at=now, started_by=started_by)
            if new is None:
                return RoundOutcome(slug, round_on, ran=False)
            result = self._match(s, program, previous, now=now, seed=seed)
            left_out = _left_out(result)
            new.unmatched = [{"id": u.person_id, "role": u.role, "reason": u.reason.value} for u in left_out]
            checkin_at = now + timedelta(days=program.checkin_days)
            intros = []
            for match in result.matches:
                row = repo.MentoringMatch(round_id=new.id, members=list(match.members), mentor_id=match.mentor_id,
                                          fit=match.fit, reason=match.reason.as_dict(), checkin_due_at=checkin_at)
                s.add(row)
                s.flush()
                intros.append(Intro(row.id, slug, program.kind, match.members, match.mentor_id, row.reason, checkin_at))
                record_activity(s, kind="mentoring.matched", guild=self._guild(program), subject=",".join(match.members),
                                figures={"round": round_on.isoformat(), "fit": round(match.fit, 3),
                                         "shared_skills": len(match.reason.shared_skills),
                                         "repeat": match.reason.repeat}, at=now)
            next_at = next_round_at(now, zone=self._zone, last_round_on=round_on, cadence_days=program.cadence_days)
            told = [UnmatchedNotice(u.person_id, u.role, u.reason.value, slug, next_at) for u in left_out
                    if u.reason.value not in ("paused", "inactive")]
            record_activity(s, kind="mentoring.round", actor=started_by, guild=self._guild(program), subject=slug,
                            figures={"matches": len(intros), "unmatched": len(told), "round": round_on.isoformat()},
                            at=now)
            uow.commit()
        return RoundOutcome(slug, round_on, True, tuple(intros), tuple(told), replaced=replaced)

    def _guild(self, program: repo.Program) -> str | None:
        return None if program.slug == repo.ORG else program.slug

    def _match(self, s: Session, program: repo.Program, previous: list[repo.Round], *, now: datetime,
               seed: int) -> MatchResult:
        history_rounds = list(reversed(previous))[-self._rules.cooldown_rounds:] if self._rules.cooldown_rounds else []
        by_round: dict[int, list[list[str]]] = {r.id: [] for r in history_rounds}
        for m in repo.matches_of_rounds(s, [r.id for r in history_rounds]):
            by_round[m.round_id].append(list(m.members))
        history = [by_round[r.id] for r in history_rounds]
        left_out = {u["id"] for u in (previous[0].unmatched if previous else [])
                    if u.get("reason") not in ("paused", "inactive")}
        if program.kind == "peer":
            roles = [(member_id, "peer", 1) for member_id in sorted(open_member_ids(s, program.guild_id or 0))]
        else:
            roles = [(e.member_id, e.role, e.capacity) for e in repo.program_enrollments(s, program.id)]
        ids = sorted({r[0] for r in roles})
        states = repo.participants(s, ids)
        facts = repo.tags_and_zones(s, ids)
        people: dict[str, list[Person]] = {"mentor": [], "mentee": [], "peer": []}
        for member_id, role, capacity in roles:
            state = states.get(member_id)
            if effective_state(state, now) == "stopped":
                continue
            teach, learn, tz = facts[member_id]
            people[role].append(Person(
                id=member_id, teaches=frozenset(teach), learns=frozenset(learn),
                utc_offset_minutes=utc_offset_minutes(tz, at=now) if tz else 0, capacity=max(capacity, 1),
                paused=is_paused(state, now), active=effective_state(state, now) != "inactive",
                unmatched_last_round=member_id in left_out,
            ))
        avoid = repo.avoid_pairs(s)
        if program.kind == "peer":
            return match_peers(members=people["peer"], avoid=avoid, history=history, rules=self._rules, seed=seed)
        return match_mentors(mentors=people["mentor"], mentees=people["mentee"], avoid=avoid, history=history,
                             rules=self._rules, seed=seed)

    # -- delivery -------------------------------------------------------------------

    def deliver(self, outcome: RoundOutcome, report: DeliveryReport) -> None:
        """Introduce each new group once, and tell the people left out why and when the next round is."""
        for intro in outcome.intros:
            if not self._claim_intro(intro.match_id):
                continue
            conversation = None
            try:
                conversation = self._delivery.introduce(intro)
            finally:
                with self._db.unit_of_work() as uow:
                    repo.set_introduction(uow.session, intro.match_id, conversation_id=conversation,
                                          at=self._clock() if conversation else None)
                    uow.commit()
            if conversation:
                report.introduced += 1
            else:
                report.failures += 1
        for notice in outcome.unmatched:
            self._delivery.tell_unmatched(notice)
            report.unmatched_told += 1

    def retry_introductions(self, *, now: datetime, report: DeliveryReport) -> None:
        """Introductions a failed call (or a crash mid-round) left unsent go out on a later run,
        until their check-in falls due (then the round is stale and the next one is near)."""
        with self._db.unit_of_work() as uow:
            s = uow.session
            programs = {p.id: p for p in repo.all_programs(s)}
            rounds = {r.id: r for r in repo.rounds_of_programs(s, list(programs))}
            pending = [
                Intro(m.id, programs[rounds[m.round_id].program_id].slug, programs[rounds[m.round_id].program_id].kind,
                      tuple(m.members), m.mentor_id, m.reason, m.checkin_due_at)
                for m in repo.unintroduced_matches(s) if m.checkin_due_at > now
            ]
        if pending:
            self.deliver(RoundOutcome(pending[0].program, date.min, True, tuple(pending)), report)

    def _claim_intro(self, match_id: int) -> bool:
        with self._db.unit_of_work() as uow:
            claimed = repo.claim_introduction(uow.session, match_id, at=self._clock())
            uow.commit()
        return claimed

    def send_checkins(self, *, now: datetime, report: DeliveryReport) -> None:
        """Ask each group whose check-in is due "Did you meet?", once."""
        with self._db.unit_of_work() as uow:
            due = [CheckInPrompt(m.id, m.conversation_id or "", tuple(m.members))
                   for m in repo.checkins_due(uow.session, now=now)]
        for prompt in due:
            with self._db.unit_of_work() as uow:
                claimed = repo.claim_checkin(uow.session, prompt.match_id, at=now)
                uow.commit()
            if not claimed:
                continue
            if self._delivery.ask_checkin(prompt):
                report.checkins += 1
                continue
            report.failures += 1
            with self._db.unit_of_work() as uow:  # let the next run try again
                repo.claim_checkin(uow.session, prompt.match_id, at=None, undo=True)
                uow.commit()

    def record_answer(self, *, match_id: int, member_id: str, answer: str) -> AnswerOutcome:
        if answer not in ANSWERS:
            raise MentoringError("That answer is not one I know.")
        now = self._clock()
        with self._db.unit_of_work() as uow:
            s = uow.session
            match = repo.get_match(s, match_id)
            if match is None or member_id not in match.members:
                raise MentoringError("Only the people in this introduction can answer for it.")
            previous = repo.record_answer(s, match_id=match_id, member_id=member_id, answer=answer, at=now)
            changed = previous != answer
            if changed:
                record_activity(s, kind="mentoring.checkin_answered", actor=member_id, subject=str(match_id),
                                figures={"answer": answer, "met": answer == "yes"}, at=now)
            uow.commit()
        return AnswerOutcome(match_id, answer, changed)

    def settle_ignored(self, *, now: datetime, report: DeliveryReport) -> None:
        """Count introductions nobody answered for; three in a row sets a person inactive (and tells them)."""
        newly_inactive = []
        with self._db.unit_of_work() as uow:
            s = uow.session
            matches = repo.unsettled_checkins(s, asked_before=now - ANSWER_WINDOW)
            answers = repo.answers_of(s, [m.id for m in matches])
            for match in matches:
                match.settled_at = now
                for member_id in match.members:
                    person = repo.ensure_participant(s, member_id, at=now)
                    if member_id in answers[match.id]:
                        person.ignored_intros = 0
                        continue
                    person.ignored_intros += 1
                    if person.ignored_intros >= IGNORED_INTROS_LIMIT and person.status in ("active", "paused"):
                        person.status, person.updated_at = "inactive", now
                        newly_inactive.append(member_id)
                        record_activity(s, kind="mentoring.set_inactive", subject=member_id,
                                        figures={"ignored_intros": person.ignored_intros}, at=now)
            uow.commit()
        for member_id in newly_inactive:
            self._delivery.tell_inactive(member_id)
            report.set_inactive += 1
