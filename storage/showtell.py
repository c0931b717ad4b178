"""Show-and-tell tables and their repository functions.

* ``showtell_series`` — one per guild: the rhythm a lead set.
* ``showtell_sessions`` — UNIQUE (series_id, held_on): one session per series and local date,
  so topping up the next eight sessions twice makes them once.
* ``showtell_talks`` — a booking.  A talk takes a slot number; partial unique indexes allow
  one booked talk per (session, slot) and per (session, presenter).
* ``showtell_waitlist`` — people waiting for a slot, with their proposal; one open entry
  per (session, member).  An entry ``offered`` a freed slot holds it until it is answered
  or ``offer_expires_at``.
* ``showtell_kudos`` — primary key (talk, member): a double click counts once.
* ``showtell_reminders`` — primary key (kind, subject): a reminder is claimed here before it
  is sent, so a restart, a retry or a second scheduler never sends it twice.

Booking is decided under :func:`lock_session`: ``SELECT … FOR UPDATE`` on the session row on
PostgreSQL; on SQLite, where ``FOR UPDATE`` does not exist and Python's sqlite3 starts a
transaction only at the first write, ``BEGIN IMMEDIATE`` takes the database's single write
lock before anything is read (as :func:`storage.approvals.lock_request` does).  Counting the
talks of a locked session and inserting one is therefore one step; the unique indexes are
the second line of defence.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.guilds import Guild
from storage.members import insert_ignoring_conflicts, insert_new
from storage.models import Base, Member, utcnow

SCHEDULED, SKIPPED, REMOVED = "scheduled", "skipped", "removed"  # session status
BOOKED, CANCELLED = "booked", "cancelled"  # talk status
WAITING, OFFERED, ACCEPTED, PASSED, EXPIRED, DROPPED = "waiting", "offered", "accepted", "passed", "expired", "dropped"
OPEN_ENTRY = (WAITING, OFFERED)


class Series(Base):
    __tablename__ = "showtell_series"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(ForeignKey("guilds.id"), unique=True)
    every_weeks: Mapped[int]
    weekday: Mapped[int]  # 0 = Monday
    local_time: Mapped[str] = mapped_column(String(5))  # HH:MM in ``zone``
    zone: Mapped[str] = mapped_column(String(64))
    slots: Mapped[int]
    minutes: Mapped[int]
    anchor_on: Mapped[date] = mapped_column(Date)  # the local date sessions count from
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShowSession(Base):
    __tablename__ = "showtell_sessions"
    __table_args__ = (Index("uq_showtell_sessions_day", "series_id", "held_on", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("showtell_series.id"))
    guild_id: Mapped[int] = mapped_column(ForeignKey("guilds.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)  # local date in the series' zone
    starts_at: Mapped[datetime] = mapped_column(index=True)
    minutes: Mapped[int]
    slots: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=SCHEDULED)
    agenda_channel: Mapped[str | None] = mapped_column(String(32))
    agenda_ts: Mapped[str | None] = mapped_column(String(32))


def _booked() -> object:
    return text(f"status = '{BOOKED}'")


class Talk(Base):
    __tablename__ = "showtell_talks"
    __table_args__ = (
        Index("uq_showtell_talks_slot", "session_id", "slot", unique=True,
              sqlite_where=_booked(), postgresql_where=_booked()),
        Index("uq_showtell_talks_presenter", "session_id", "presenter", unique=True,
              sqlite_where=_booked(), postgresql_where=_booked()),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("showtell_sessions.id"), index=True)
    presenter: Mapped[str] = mapped_column(ForeignKey("members.slack_id"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    abstract: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[int]
    slot: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=BOOKED)
    booked_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(32))
    link: Mapped[str | None] = mapped_column(Text)
    link_at: Mapped[datetime | None]


def _open_entry() -> object:
    return text(f"status IN ('{WAITING}', '{OFFERED}')")


class WaitlistEntry(Base):
    __tablename__ = "showtell_waitlist"
    __table_args__ = (
        Index("uq_showtell_waitlist_open", "session_id", "member_id", unique=True,
              sqlite_where=_open_entry(), postgresql_where=_open_entry()),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("showtell_sessions.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.slack_id"))
    title: Mapped[str] = mapped_column(String(150))
    abstract: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=WAITING)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    offered_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None] = mapped_column(index=True)


class Kudos(Base):
    __tablename__ = "showtell_kudos"

    talk_id: Mapped[int] = mapped_column(ForeignKey("showtell_talks.id"), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    given_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderClaim(Base):
    __tablename__ = "showtell_reminders"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject_id: Mapped[int] = mapped_column(primary_key=True)  # a session's or a talk's id
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- series and sessions -------------------------------------------------------------


def series_of_guild(session: Session, guild_id: int) -> Series | None:
    return session.scalar(select(Series).where(Series.guild_id == guild_id))


def all_series(session: Session) -> list[Series]:
    return list(session.scalars(select(Series).order_by(Series.id)))


def add_sessions(session: Session, series: Series, starts: dict[date, datetime]) -> list[int]:
    """Create the sessions of ``starts`` (local date → UTC start) that do not exist yet; their ids."""
    rows = [{"series_id": series.id, "guild_id": series.guild_id, "held_on": day, "starts_at": at,
             "minutes": series.minutes, "slots": series.slots, "status": SCHEDULED} for day, at in starts.items()]
    return [key.id for key in insert_new(session, ShowSession, rows)]


def lock_session(session: Session, session_id: int) -> ShowSession | None:
    """The session row, locked until the unit of work ends: call it first in a unit of work
    that books, cancels or offers (see the module docstring for each backend)."""
    if session.get_bind().dialect.name == "sqlite":
        connection = session.connection()
        if not connection.connection.dbapi_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    query = select(ShowSession).where(ShowSession.id == session_id).with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).one_or_none()


def get_session(session: Session, session_id: int) -> ShowSession | None:
    return session.get(ShowSession, session_id)


def future_sessions(session: Session, series_id: int, *, after: datetime, lock: bool = False) -> list[ShowSession]:
    """The series' sessions starting after ``after`` (with ``lock``, under ``FOR UPDATE``: no booking meanwhile)."""
    query = select(ShowSession).where(ShowSession.series_id == series_id, ShowSession.starts_at > after)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(session.scalars(query.order_by(ShowSession.starts_at)))


def session_on(session: Session, series_id: int, day: date) -> ShowSession | None:
    return session.scalar(select(ShowSession).where(ShowSession.series_id == series_id, ShowSession.held_on == day))


def upcoming_sessions(
    session: Session, *, after: datetime, guild_ids: list[int] | None = None, limit: int = 8
) -> list[ShowSession]:
    """Scheduled sessions starting after ``after``, soonest first (of ``guild_ids`` when given)."""
    query = select(ShowSession).where(ShowSession.status == SCHEDULED, ShowSession.starts_at > after)
    if guild_ids is not None:
        query = query.where(ShowSession.guild_id.in_(guild_ids))
    return list(session.scalars(query.order_by(ShowSession.starts_at, ShowSession.id).limit(limit)))


def next_session_per_guild(
    session: Session, *, after: datetime, guild_ids: list[int] | None = None, limit: int = 10
) -> list[ShowSession]:
    """The next scheduled session of each active guild (of ``guild_ids`` when given), soonest first."""
    if guild_ids == []:
        return []
    first = select(ShowSession.guild_id, func.min(ShowSession.starts_at).label("at")).where(
        ShowSession.status == SCHEDULED, ShowSession.starts_at > after
    )
    if guild_ids is not None:
        first = first.where(ShowSession.guild_id.in_(guild_ids))
    first = first.group_by(ShowSession.guild_id).subquery()
    query = (
        select(ShowSession)
        .join(first, (first.c.guild_id == ShowSession.guild_id) & (first.c.at == ShowSession.starts_at))
        .join(Guild, Guild.id == ShowSession.guild_id)
        .where(ShowSession.status == SCHEDULED, Guild.archived_at.is_(None))
    )
    return list(session.scalars(query.order_by(ShowSession.starts_at, ShowSession.id).limit(limit)))


def next_session_room(session: Session, guild_id: int, *, after: datetime) -> tuple[datetime, int] | None:
    """When a guild's next session starts and how many of its slots are free (neither booked nor
    offered to the waitlist): ``/guild info`` shows it."""
    rows = upcoming_sessions(session, after=after, guild_ids=[guild_id], limit=1)
    if not rows:
        return None
    row = rows[0]
    offered = [e for e in open_entries(session, [row.id])[row.id] if e.status == OFFERED]
    return row.starts_at, max(row.slots - len(booked_talks(session, [row.id])[row.id]) - len(offered), 0)


def sessions_between(session: Session, start: datetime, end: datetime) -> list[ShowSession]:
    query = select(ShowSession).where(
        ShowSession.status == SCHEDULED, ShowSession.starts_at >= start, ShowSession.starts_at < end
    )
    return list(session.scalars(query.order_by(ShowSession.starts_at, ShowSession.id)))


def set_agenda_message(session: Session, session_id: int, *, channel: str, ts: str) -> None:
    session.execute(update(ShowSession).where(ShowSession.id == session_id)
                    .values(agenda_channel=channel, agenda_ts=ts).execution_options(synchronize_session=False))


def guilds_by_id(session: Session, guild_ids: list[int]) -> dict[int, Guild]:
    if not guild_ids:
        return {}
    return {g.id: g for g in session.scalars(select(Guild).where(Guild.id.in_(guild_ids)))}


def member_zones(session: Session, member_ids: list[str]) -> dict[str, str]:
    """The cached IANA zone of each member who has one (from Slack's ``users.info``)."""
    if not member_ids:
        return {}
    query = select(Member.slack_id, Member.tz).where(Member.slack_id.in_(member_ids), Member.tz.is_not(None))
    return dict(session.execute(query).all())


def zones_of_series(session: Session, series_ids: list[int]) -> dict[int, str]:
    if not series_ids:
        return {}
    return dict(session.execute(select(Series.id, Series.zone).where(Series.id.in_(series_ids))).all())


# -- talks and the waitlist ----------------------------------------------------------------


def booked_talks(session: Session, session_ids: list[int]) -> dict[int, list[Talk]]:
    found: dict[int, list[Talk]] = {sid: [] for sid in session_ids}
    if session_ids:
        query = select(Talk).where(Talk.session_id.in_(session_ids), Talk.status == BOOKED)
        for talk in session.scalars(query.order_by(Talk.booked_at, Talk.id)):
            found[talk.session_id].append(talk)
    return found


def get_talk(session: Session, talk_id: int) -> Talk | None:
    return session.get(Talk, talk_id, populate_existing=True)


def talk_of_presenter(session: Session, session_id: int, presenter: str) -> Talk | None:
    query = select(Talk).where(Talk.session_id == session_id, Talk.presenter == presenter, Talk.status == BOOKED)
    return session.scalar(query)


def upcoming_talks_of(session: Session, presenter: str, *, after: datetime, limit: int = 5) -> list[Talk]:
    query = (select(Talk).join(ShowSession, ShowSession.id == Talk.session_id)
             .where(Talk.presenter == presenter, Talk.status == BOOKED, ShowSession.status == SCHEDULED,
                    ShowSession.starts_at > after)
             .order_by(ShowSession.starts_at).limit(limit))
    return list(session.scalars(query))


def add_talk(session: Session, *, session_id: int, presenter: str, title: str, abstract: str, minutes: int,
             at: datetime) -> Talk | None:
    """Book the lowest free slot number; ``None`` if a unique index refused it (taken meanwhile,
    or this presenter already has a talk there).  Call under :func:`lock_session`."""
    used = set(session.scalars(select(Talk.slot).where(Talk.session_id == session_id, Talk.status == BOOKED)))
    slot = next(n for n in range(1, len(used) + 2) if n not in used)
    talk = Talk(session_id=session_id, presenter=presenter, title=title, abstract=abstract, minutes=minutes,
                slot=slot, status=BOOKED, booked_at=at)
    try:
        with session.begin_nested():
            session.add(talk)
    except IntegrityError:
        return None
    return talk


def cancel_talks(session: Session, talk_ids: list[int], *, by: str, at: datetime) -> None:
    if talk_ids:
        session.execute(update(Talk).where(Talk.id.in_(talk_ids), Talk.status == BOOKED)
                        .values(status=CANCELLED, cancelled_by=by, cancelled_at=at)
                        .execution_options(synchronize_session=False))


def open_entries(session: Session, session_ids: list[int]) -> dict[int, list[WaitlistEntry]]:
    """Waiting and offered entries of each session, first come first."""
    found: dict[int, list[WaitlistEntry]] = {sid: [] for sid in session_ids}
    if session_ids:
        query = select(WaitlistEntry).where(WaitlistEntry.session_id.in_(session_ids),
                                            WaitlistEntry.status.in_(OPEN_ENTRY))
        for entry in session.scalars(query.order_by(WaitlistEntry.id)):
            found[entry.session_id].append(entry)
    return found


def get_entry(session: Session, entry_id: int) -> WaitlistEntry | None:
    return session.get(WaitlistEntry, entry_id, populate_existing=True)


def join_waitlist(session: Session, *, session_id: int, member_id: str, title: str, abstract: str, minutes: int,
                  at: datetime) -> WaitlistEntry | None:
    """The new entry, or ``None`` if the member already waits for this session."""
    entry = WaitlistEntry(session_id=session_id, member_id=member_id, title=title, abstract=abstract,
                          minutes=minutes, status=WAITING, joined_at=at)
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        return None
    return entry


def close_entries(session: Session, session_id: int, *, status: str) -> None:
    session.execute(update(WaitlistEntry)
                    .where(WaitlistEntry.session_id == session_id, WaitlistEntry.status.in_(OPEN_ENTRY))
                    .values(status=status).execution_options(synchronize_session=False))


def lapsed_offers(session: Session, *, now: datetime) -> list[WaitlistEntry]:
    query = select(WaitlistEntry).where(WaitlistEntry.status == OFFERED, WaitlistEntry.offer_expires_at <= now)
    return list(session.scalars(query.order_by(WaitlistEntry.id)))


def expire_offer(session: Session, entry_id: int, *, now: datetime) -> bool:
    """True if this call expired the offer (a concurrent answer or a second scheduler makes it False)."""
    result = session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.id == entry_id, WaitlistEntry.status == OFFERED, WaitlistEntry.offer_expires_at <= now)
        .values(status=EXPIRED).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


# -- kudos and reminders -----------------------------------------------------------------


def add_kudos(session: Session, *, talk_id: int, member_id: str, at: datetime) -> bool:
    """False when this member had already given kudos for this talk (the primary key says so)."""
    return insert_ignoring_conflicts(session, Kudos, [{"talk_id": talk_id, "member_id": member_id,
                                                       "given_at": at}]) == 1


def kudos_counts(session: Session, talk_ids: list[int]) -> dict[int, int]:
    if not talk_ids:
        return {}
    query = select(Kudos.talk_id, func.count()).where(Kudos.talk_id.in_(talk_ids)).group_by(Kudos.talk_id)
    return {talk_id: int(n) for talk_id, n in session.execute(query)}


def claim_reminder(session: Session, *, kind: str, subject_id: int, at: datetime) -> bool:
    """True the first time (kind, subject) is claimed: whoever inserts the row sends the reminder."""
    rows = [{"kind": kind, "subject_id": subject_id, "claimed_at": at}]
    return insert_ignoring_conflicts(session, ReminderClaim, rows) == 1


def release_reminder(session: Session, *, kind: str, subject_id: int) -> None:
    """Forget a claim whose message did not get through, so a later run tries again."""
    session.execute(delete(ReminderClaim).where(ReminderClaim.kind == kind, ReminderClaim.subject_id == subject_id))

