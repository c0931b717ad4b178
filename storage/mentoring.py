"""Mentoring tables and their repository functions.

Rounds are idempotent by a unique key (program, round date): a scheduler that runs twice,
or an admin's ``/mentor round now`` racing the job, makes one round; only a round that
matched nobody may be replaced the same day (:func:`drop_empty_round`).  Introductions and
check-ins are claimed with a conditional ``UPDATE … WHERE x IS NULL`` whose row count says
who won, so a message is sent once; an answer is one row per (match, member).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, String, UniqueConstraint, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.models import Base, utcnow

ORG = "org"  # the slug of the org-wide program


class Program(Base):
    """A mentoring program: org-wide mentor ↔ mentee (slug ``org``) or a guild's peer pairing."""

    __tablename__ = "mentoring_programs"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)  # "org" or the guild's slug
    guild_id: Mapped[int | None] = mapped_column(ForeignKey("guilds.id"))
    kind: Mapped[str] = mapped_column(String(16))  # "mentoring" or "peer"
    cadence_days: Mapped[int] = mapped_column(default=14)
    checkin_days: Mapped[int] = mapped_column(default=7)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Participant(Base):
    """A person's standing in mentoring, whatever their roles: paused, inactive, stopped."""

    __tablename__ = "mentoring_participants"

    member_id: Mapped[str] = mapped_column(ForeignKey("members.slack_id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active, paused, inactive, stopped
    paused_until: Mapped[datetime | None]  # with status "paused": resumes by itself then (None: until resumed)
    ignored_intros: Mapped[int] = mapped_column(default=0)  # in a row
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Enrollment(Base):
    """Someone taking part in a program in one role (mentor with a capacity, or mentee)."""

    __tablename__ = "mentoring_enrollments"
    __table_args__ = (UniqueConstraint("program_id", "member_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("mentoring_programs.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.slack_id"), index=True)
    role: Mapped[str] = mapped_column(String(8))  # mentor, mentee
    capacity: Mapped[int] = mapped_column(default=1)
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)


class Avoid(Base):
    """``member_id`` never wants to be matched with ``avoided_id``; applied both ways, shown to no one."""

    __tablename__ = "mentoring_avoids"

    member_id: Mapped[str] = mapped_column(ForeignKey("members.slack_id"), primary_key=True)
    avoided_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Round(Base):
    __tablename__ = "mentoring_rounds"
    __table_args__ = (UniqueConstraint("program_id", "round_on"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("mentoring_programs.id"), index=True)
    round_on: Mapped[date] = mapped_column(Date)  # local date in FACTORY_TIMEZONE
    seed: Mapped[int]
    ran_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_by: Mapped[str | None] = mapped_column(String(32))  # None: the scheduler
    unmatched: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{id, role, reason}], JSON


class MentoringMatch(Base):
    __tablename__ = "mentoring_matches"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("mentoring_rounds.id"), index=True)
    members: Mapped[list[Any]] = mapped_column(JSON)  # slack ids; mentor first in mentoring, JSON
    mentor_id: Mapped[str | None] = mapped_column(String(32))
    fit: Mapped[float] = mapped_column(Float)
    reason: Mapped[dict[str, Any]] = mapped_column(default=dict)
    conversation_id: Mapped[str | None] = mapped_column(String(32))
    introduced_at: Mapped[datetime | None]
    checkin_due_at: Mapped[datetime] = mapped_column(index=True)
    checkin_sent_at: Mapped[datetime | None]
    settled_at: Mapped[datetime | None]  # ignored-intro counting done


class CheckIn(Base):
    __tablename__ = "mentoring_checkins"
    __table_args__ = (UniqueConstraint("match_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("mentoring_matches.id"), index=True)
    member_id: Mapped[str] = mapped_column(String(32))
    answer: Mapped[str] = mapped_column(String(16))  # yes, not_yet, cant
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- repository functions ------------------------------------------------------------


def program_by_slug(session: Session, slug: str) -> Program | None:
    return session.scalar(select(Program).where(Program.slug == slug))


def all_programs(session: Session) -> list[Program]:
    return list(session.scalars(select(Program).order_by(Program.id)))


def ensure_program(session: Session, *, slug: str, kind: str, guild_id: int | None) -> Program:
    """The program, created if missing (a concurrent twin loses on the unique slug)."""
    found = program_by_slug(session, slug)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.add(Program(slug=slug, kind=kind, guild_id=guild_id, created_at=utcnow()))
    except IntegrityError:
        pass
    program = program_by_slug(session, slug)
    assert program is not None
    return program


def participant(session: Session, member_id: str, *, lock: bool = False) -> Participant | None:
    query = select(Participant).where(Participant.member_id == member_id)
    if lock:
        query = query.with_for_update()
    return session.scalar(query.execution_options(populate_existing=True))


def ensure_participant(session: Session, member_id: str, *, at: datetime) -> Participant:
    found = participant(session, member_id, lock=True)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.add(Participant(member_id=member_id, status="active", ignored_intros=0, updated_at=at))
    except IntegrityError:
        pass
    found = participant(session, member_id, lock=True)
    assert found is not None
    return found


def participants(session: Session, member_ids: list[str]) -> dict[str, Participant]:
    if not member_ids:
        return {}
    query = select(Participant).where(Participant.member_id.in_(member_ids))
    return {p.member_id: p for p in session.scalars(query)}


def enrollments_of(session: Session, member_id: str) -> list[Enrollment]:
    return list(session.scalars(select(Enrollment).where(Enrollment.member_id == member_id).order_by(Enrollment.id)))


def program_enrollments(session: Session, program_id: int) -> list[Enrollment]:
    query = select(Enrollment).where(Enrollment.program_id == program_id).order_by(Enrollment.member_id)
    return list(session.scalars(query))


def enrol(session: Session, *, program_id: int, member_id: str, role: str, capacity: int, at: datetime) -> bool:
    """Enrol or update the capacity; True when the enrolment is new."""
    query = select(Enrollment).where(
        Enrollment.program_id == program_id, Enrollment.member_id == member_id, Enrollment.role == role
    )
    found = session.scalar(query)
    if found is not None:
        found.capacity = capacity
        return False
    try:
        with session.begin_nested():
            session.add(Enrollment(program_id=program_id, member_id=member_id, role=role, capacity=capacity,
                                   enrolled_at=at))
    except IntegrityError:
        return False
    return True


def add_avoid(session: Session, *, member_id: str, avoided_id: str, at: datetime) -> bool:
    try:
        with session.begin_nested():
            session.add(Avoid(member_id=member_id, avoided_id=avoided_id, created_at=at))
    except IntegrityError:
        return False
    return True


def avoid_pairs(session: Session) -> list[tuple[str, str]]:
    return [(a, b) for a, b in session.execute(select(Avoid.member_id, Avoid.avoided_id))]


def add_round(
    session: Session, *, program_id: int, round_on: date, seed: int, at: datetime, started_by: str | None
) -> Round | None:
    """The new round, or ``None`` when this program already had one that day (the unique key says so)."""
    new = Round(program_id=program_id, round_on=round_on, seed=seed, ran_at=at, started_by=started_by, unmatched=[])
    try:
        with session.begin_nested():
            session.add(new)
    except IntegrityError:
        return None
    return new


def drop_empty_round(session: Session, *, program_id: int, round_on: date) -> bool:
    """Delete the program's round of that day if it matched nobody, so an admin's new round can
    take its place under the unique key; True when there was one.  Of two re-runs at once, the
    second finds nothing to delete (PostgreSQL waits on the row) and its insert loses."""
    has_match = select(MentoringMatch.id).where(MentoringMatch.round_id == Round.id).exists()
    result = session.execute(
        delete(Round)
        .where(Round.program_id == program_id, Round.round_on == round_on, ~has_match)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def recent_rounds(session: Session, program_id: int, *, limit: int, before: date | None = None) -> list[Round]:
    """The program's last ``limit`` rounds (those before the date ``before``, if given), newest first."""
    query = select(Round).where(Round.program_id == program_id)
    if before is not None:
        query = query.where(Round.round_on < before)
    return list(session.scalars(query.order_by(Round.round_on.desc()).limit(limit)))


def matches_of_rounds(session: Session, round_ids: list[int]) -> list[MentoringMatch]:
    if not round_ids:
        return []
    query = select(MentoringMatch).where(MentoringMatch.round_id.in_(round_ids)).order_by(MentoringMatch.id)
    return list(session.scalars(query))


def get_match(session: Session, match_id: int) -> MentoringMatch | None:
    return session.get(MentoringMatch, match_id, populate_existing=True)


def claim_introduction(session: Session, match_id: int, *, at: datetime) -> bool:
    result = session.execute(
        update(MentoringMatch)
        .where(MentoringMatch.id == match_id, MentoringMatch.introduced_at.is_(None))
        .values(introduced_at=at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def set_introduction(session: Session, match_id: int, *, conversation_id: str | None, at: datetime | None) -> None:
    session.execute(
        update(MentoringMatch)
        .where(MentoringMatch.id == match_id)
        .values(conversation_id=conversation_id, introduced_at=at)
        .execution_options(synchronize_session=False)
    )


def unintroduced_matches(session: Session) -> list[MentoringMatch]:
    query = select(MentoringMatch).where(MentoringMatch.introduced_at.is_(None)).order_by(MentoringMatch.id)
    return list(session.scalars(query))


def checkins_due(session: Session, *, now: datetime) -> list[MentoringMatch]:
    query = select(MentoringMatch).where(
        MentoringMatch.checkin_due_at <= now,
        MentoringMatch.checkin_sent_at.is_(None),
        MentoringMatch.conversation_id.is_not(None),
    )
    return list(session.scalars(query.order_by(MentoringMatch.id)))


def claim_checkin(session: Session, match_id: int, *, at: datetime | None, undo: bool = False) -> bool:
    """Mark the check-in as sent (or, with ``undo``, as not sent after a failed delivery)."""
    query = update(MentoringMatch).where(MentoringMatch.id == match_id)
    query = query.where(MentoringMatch.checkin_sent_at.is_not(None) if undo else MentoringMatch.checkin_sent_at.is_(None))
    result = session.execute(query.values(checkin_sent_at=at).execution_options(synchronize_session=False))
    return result.rowcount == 1


def unsettled_checkins(session: Session, *, asked_before: datetime) -> list[MentoringMatch]:
    query = select(MentoringMatch).where(
        MentoringMatch.checkin_sent_at.is_not(None),
        MentoringMatch.checkin_sent_at <= asked_before,
        MentoringMatch.settled_at.is_(None),
    )
    return list(session.scalars(query.order_by(MentoringMatch.id).with_for_update()))


def answers_of(session: Session, match_ids: list[int]) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = {mid: {} for mid in match_ids}
    if match_ids:
        query = select(CheckIn.match_id, CheckIn.member_id, CheckIn.answer).where(CheckIn.match_id.in_(match_ids))
        for match_id, member_id, answer in session.execute(query):
            found[match_id][member_id] = answer
    return found


def record_answer(session: Session, *, match_id: int, member_id: str, answer: str, at: datetime) -> str | None:
    """Store the answer; returns the previous one (``None`` when first), so a repeat click changes nothing."""
    found = session.scalar(
        select(CheckIn).where(CheckIn.match_id == match_id, CheckIn.member_id == member_id).with_for_update()
    )
    if found is None:
        try:
            with session.begin_nested():
                session.add(CheckIn(match_id=match_id, member_id=member_id, answer=answer, answered_at=at))
            return None
        except IntegrityError:
            return record_answer(session, match_id=match_id, member_id=member_id, answer=answer, at=at)
    previous = found.answer
    found.answer, found.answered_at = answer, at
    return previous


def rounds_of_programs(session: Session, program_ids: list[int]) -> list[Round]:
    if not program_ids:
        return []
    return list(session.scalars(select(Round).where(Round.program_id.in_(program_ids)).order_by(Round.round_on)))


def members_matches(session: Session, round_ids: list[int], member_id: str) -> list[MentoringMatch]:
    return [m for m in matches_of_rounds(session, round_ids) if member_id in m.members]


def tags_and_zones(session: Session, member_ids: list[str]) -> dict[str, tuple[list[str], list[str], str | None]]:
    """``member -> (teach tags, learn tags, IANA zone)`` in two queries, for building a round."""
    from storage.guilds import ProfileTag
    from storage.models import Member

    found: dict[str, tuple[list[str], list[str], str | None]] = {m: ([], [], None) for m in member_ids}
    if not member_ids:
        return found
    for member_id, tz in session.execute(select(Member.slack_id, Member.tz).where(Member.slack_id.in_(member_ids))):
        found[member_id] = (found[member_id][0], found[member_id][1], tz)
    query = select(ProfileTag.member_id, ProfileTag.kind, ProfileTag.tag).where(ProfileTag.member_id.in_(member_ids))
    for member_id, kind, tag in session.execute(query.order_by(ProfileTag.id)):
        (found[member_id][0] if kind == "teach" else found[member_id][1]).append(tag)
    return found
