"""Peer mentoring, the person's side: offer, seek, status, pause, resume, stop, avoid, stats.

Skills are the profile's tags (:mod:`bot.guilds.tags`): ``/mentor offer`` adds to what the person
teaches and ``/mentor seek`` to what they want to learn, the same ``ProfileTag`` rows
``/guild profile`` edits, so there is one source of skills.  A person's standing (active,
paused until a date, inactive after ignoring three introductions, stopped) is one row
whatever their roles.  Rounds and check-ins live in :mod:`bot.mentoring.rounds`.
Every method runs in one unit of work and commits once; bad input raises
:class:`MentoringError`, whose message is the reply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.guilds.tags import parse_tags, tag_problems
from storage import mentoring as repo
from storage.db import Database
from storage.guilds import profile_tags, replace_profile_tags
from storage.members import ensure_member, ensure_members
from storage.models import utcnow
from storage.repositories import record_activity

MAX_CAPACITY = 5
ROUND_WEEKDAY, ROUND_HOUR = 0, 10  # Monday 10:00 in FACTORY_TIMEZONE


class MentoringError(Exception):
    """Bad input for a mentoring command; ``str(error)`` is the reply."""


@dataclass(frozen=True)
class CurrentMatch:
    program: str
    round_on: date
    partners: tuple[str, ...]
    mentor_id: str | None
    reason: dict[str, object]


@dataclass(frozen=True)
class Status:
    member_id: str
    roles: tuple[tuple[str, int], ...]  # (role, capacity)
    teach: tuple[str, ...]
    learn: tuple[str, ...]
    state: str  # active, paused, inactive, stopped, not_enrolled
    paused_until: datetime | None
    current: CurrentMatch | None
    next_round_at: datetime


@dataclass(frozen=True)
class Enrolled:
    role: str
    skills: tuple[str, ...]  # every skill of that kind on the profile now
    added: tuple[str, ...]
    capacity: int
    next_round_at: datetime


@dataclass(frozen=True)
class ProgramStats:
    program: str
    rounds: int
    matches: int
    people_matched: int
    unmatched_last_round: int
    checkins_asked: int
    answered: int
    met: int

    @property
    def met_rate(self) -> float:
        return self.met / self.checkins_asked if self.checkins_asked else 0.0


def next_round_at(now: datetime, *, zone: ZoneInfo, last_round_on: date | None, cadence_days: int = 14) -> datetime:
    """The next Monday 10:00 (local) at or after ``now`` that is also ``cadence_days`` past the last round."""
    local = now.astimezone(zone)
    earliest = local.date() if last_round_on is None else max(local.date(), last_round_on + timedelta(days=cadence_days))
    day = earliest + timedelta(days=(ROUND_WEEKDAY - earliest.weekday()) % 7)
    at = datetime.combine(day, time(ROUND_HOUR), tzinfo=zone)
    if at < local:
        at += timedelta(days=7)
    return at


def is_paused(participant: repo.Participant | None, now: datetime) -> bool:
    if participant is None or participant.status != "paused":
        return False
    return participant.paused_until is None or participant.paused_until > now


def effective_state(participant: repo.Participant | None, now: datetime) -> str:
    """A pause whose date has passed is over: the person takes part again without asking."""
    if participant is None:
        return "active"
    if participant.status == "paused" and not is_paused(participant, now):
        return "active"
    return participant.status


def _small_number(text: str) -> bool:
    """ASCII digits, a few of them: ``"²".isdigit()`` is true, and ``int()`` refuses 5,000 digits."""
    return text.isascii() and text.isdigit() and len(text) <= 6


def parse_offer(words: tuple[str, ...]) -> tuple[list[str], int]:
    """``python "llm evaluation" capacity 2`` → (tags, capacity); each word (or quoted phrase) is a tag."""
    words_list, capacity = list(words), 1
    lowered = [w.lower() for w in words_list]
    if "capacity" in lowered:
        at = lowered.index("capacity")
        tail = words_list[at + 1 : at + 2]
        if not tail or not _small_number(tail[0]) or not 1 <= int(tail[0]) <= MAX_CAPACITY:
            raise MentoringError(f"Capacity is how many mentees you take per round: a number from 1 to {MAX_CAPACITY}.")
        capacity = int(tail[0])
        words_list = words_list[:at] + words_list[at + 2 :]
    return parse_tags(",".join(words_list)), capacity


class MentoringService:
    def __init__(self, db: Database, *, zone: ZoneInfo, is_admin: Callable[[str], bool],
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._db, self._zone, self._is_admin, self._clock = db, zone, is_admin, clock

    def offer(self, member_id: str, words: tuple[str, ...]) -> Enrolled:
        tags, capacity = parse_offer(words)
        return self._enrol(member_id, role="mentor", kind="teach", tags=tags, capacity=capacity)

    def seek(self, member_id: str, words: tuple[str, ...]) -> Enrolled:
        if any(w.lower() == "capacity" for w in words):
            raise MentoringError("Capacity is for mentors: `/mentor offer <skills…> capacity N`.")
        return self._enrol(member_id, role="mentee", kind="learn", tags=parse_tags(",".join(words)), capacity=1)

    def _enrol(self, member_id: str, *, role: str, kind: str, tags: list[str], capacity: int) -> Enrolled:
        what = "skills you teach" if kind == "teach" else "skills you want to learn"
        if not tags:
            verb = "offer" if role == "mentor" else "seek"
            raise MentoringError(f"Which skills? For example `/mentor {verb} python, \"llm evaluation\"`.")
        if problem := tag_problems(tags, what=what):
            raise MentoringError(problem)
        now = self._clock()
        with self._db.unit_of_work() as uow:
            s = uow.session
            ensure_member(s, member_id)
            person = repo.ensure_participant(s, member_id, at=now)
            if person.status in ("stopped", "inactive"):  # offering or seeking again is coming back; a pause stays
                person.status, person.paused_until, person.ignored_intros, person.updated_at = "active", None, 0, now
            program = repo.ensure_program(s, slug=repo.ORG, kind="mentoring", guild_id=None)
            repo.enrol(s, program_id=program.id, member_id=member_id, role=role, capacity=capacity, at=now)
            existing = profile_tags(s, member_id)[kind]
            added = [t for t in tags if t not in existing]
            skills = [*existing, *added]
            if problem := tag_problems(skills, what=what):
                raise MentoringError(problem)
            replace_profile_tags(s, member_id, kind=kind, tags=skills)
            record_activity(s, kind=f"mentoring.{'offered' if role == 'mentor' else 'sought'}", actor=member_id,
                            subject=member_id, figures={"skills": len(skills), "capacity": capacity}, at=now)
            next_at = self._next_round(s, program, now)
            uow.commit()
        return Enrolled(role, tuple(skills), tuple(added), capacity, next_at)

    def status(self, member_id: str) -> Status:
        now = self._clock()
        with self._db.unit_of_work() as uow:
            s = uow.session
            person = repo.participant(s, member_id)
            enrolments = repo.enrollments_of(s, member_id)
            tags = profile_tags(s, member_id)
            current = self._current_match(s, member_id)
            org = repo.program_by_slug(s, repo.ORG)
            next_at = self._next_round(s, org, now)
        state = effective_state(person, now) if (enrolments or person) else "not_enrolled"
        return Status(
            member_id, tuple((e.role, e.capacity) for e in enrolments), tuple(tags["teach"]), tuple(tags["learn"]),
            state, person.paused_until if person and state == "paused" else None, current, next_at,
        )

    def pause(self, member_id: str, until: str | None) -> datetime | None:
        now = self._clock()
        resume_at = None
        if until is not None:
            try:
                day = date.fromisoformat(until)
            except ValueError:
                raise MentoringError(f"`{until}` is not a date I can read: use YYYY-MM-DD, e.g. `2027-01-15`.") from None
            resume_at = datetime.combine(day, time(0), tzinfo=self._zone)
            if resume_at <= now:
                raise MentoringError(f"{day.isoformat()} has already begun: give a date in the future.")
        self._set_state(member_id, "paused", kind="mentoring.paused", until=resume_at)
        return resume_at

    def resume(self, member_id: str) -> None:
        self._set_state(member_id, "active", kind="mentoring.resumed")

    def stop(self, member_id: str) -> None:
        self._set_state(member_id, "stopped", kind="mentoring.stopped")

    def _set_state(self, member_id: str, status: str, *, kind: str, until: datetime | None = None) -> None:
        now = self._clock()
        with self._db.unit_of_work() as uow:
            s = uow.session
            ensure_member(s, member_id)
            if not repo.enrollments_of(s, member_id) and repo.participant(s, member_id) is None:
                raise MentoringError("You are not in mentoring yet: `/mentor offer <skills…>` or `/mentor seek <skills…>`.")
            person = repo.ensure_participant(s, member_id, at=now)
            if status == "active" and effective_state(person, now) == "active" and person.status != "stopped":
                raise MentoringError("You are already taking part in rounds.")
            person.status, person.paused_until, person.updated_at = status, until, now
            if status == "active":
                person.ignored_intros = 0
            figures = {"until": until.isoformat()} if until else {}
            record_activity(s, kind=kind, actor=member_id, subject=member_id, figures=figures, at=now)
            uow.commit()

    def avoid(self, member_id: str, other_id: str) -> bool:
        """True if new.  Private: only a count goes to the activity log, never who."""
        if other_id == member_id:
            raise MentoringError("You are never matched with yourself.")
        now = self._clock()
        with self._db.unit_of_work() as uow:
            ensure_members(uow.session, [member_id, other_id])
            added = repo.add_avoid(uow.session, member_id=member_id, avoided_id=other_id, at=now)
            if added:
                record_activity(uow.session, kind="mentoring.avoid_added", figures={"count": 1}, at=now)
            uow.commit()
        return added

    def stats(self, user_id: str, guild_slug: str | None) -> list[ProgramStats]:
        if not self._is_admin(user_id):
            raise MentoringError("Only factorybot admins can see mentoring stats.")
        with self._db.unit_of_work() as uow:
            s = uow.session
            programs = repo.all_programs(s)
            if guild_slug:
                programs = [p for p in programs if p.slug == guild_slug.lower()]
                if not programs:
                    raise MentoringError(f"`{guild_slug}` has no mentoring rounds yet: `/mentor round now {guild_slug}`.")
            return [self._stats(s, p) for p in programs]

    def _stats(self, s: Session, program: repo.Program) -> ProgramStats:
        rounds = repo.rounds_of_programs(s, [program.id])
        matches = repo.matches_of_rounds(s, [r.id for r in rounds])
        asked = [m for m in matches if m.checkin_sent_at is not None]
        answers = repo.answers_of(s, [m.id for m in asked])
        return ProgramStats(
            program=program.slug, rounds=len(rounds), matches=len(matches),
            people_matched=len({p for m in matches for p in m.members}),
            unmatched_last_round=len(rounds[-1].unmatched) if rounds else 0,
            checkins_asked=len(asked), answered=sum(1 for m in asked if answers[m.id]),
            met=sum(1 for m in asked if "yes" in answers[m.id].values()),
        )

    def _current_match(self, s: Session, member_id: str) -> CurrentMatch | None:
        for program in repo.all_programs(s):
            last = repo.recent_rounds(s, program.id, limit=1)
            if not last:
                continue
            for match in repo.members_matches(s, [last[0].id], member_id):
                partners = tuple(m for m in match.members if m != member_id)
                return CurrentMatch(program.slug, last[0].round_on, partners, match.mentor_id, match.reason)
        return None

    def _next_round(self, s: Session, program: repo.Program | None, now: datetime) -> datetime:
        last = repo.recent_rounds(s, program.id, limit=1) if program else []
        cadence = program.cadence_days if program else 14
        return next_round_at(now, zone=self._zone, last_round_on=last[0].round_on if last else None,
                             cadence_days=cadence)
