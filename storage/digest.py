"""The flywheel digest's reads over the activity log, and its ledger of posts.

Figures are aggregated in SQL, never by a Python loop over the log: one statement counts
every figure of every week for every guild at once (conditional aggregation grouped by
scope and week), one more per median (window functions), one for the top contributors.
The number of statements does not grow with the number of guilds or weeks.

Which guild an event counts for: the guild it names; an event without one that a person
did (a check-in answer, kudos, a profile) counts for every guild that person belonged to
at the time.  Approvals and models belong to the guild named on the request, or to the
org only.

The ledger (``digest_posts``) is keyed by (channel, ISO week) with a unique constraint:
a digest is claimed before it is posted, so two schedulers, a restart or a retry post it
once.  A claim whose sender died (still ``sending`` after :data:`LEASE`) or a failure
whose retry time has come may be taken again, by one claimant: a conditional ``UPDATE``
whose row count says who won.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    FromClause,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from storage.guilds import Guild, Membership
from storage.models import ActivityEvent, Base

ORG = "org"  # the scope of the org-wide digest
SENDING, POSTED, FAILED = "sending", "posted", "failed"
LEASE = timedelta(minutes=10)
GUILD_ONLY_KINDS = ("approval.%", "model.%")  # never attributed through membership


class DigestPost(Base):
    """One digest for one channel and ISO week: claimed, then posted (or failed)."""

    __tablename__ = "digest_posts"
    __table_args__ = (UniqueConstraint("channel_id", "week", name="uq_digest_posts_channel_week"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    week: Mapped[str] = mapped_column(String(8))  # ISO week, "2026-W48"
    scope: Mapped[str] = mapped_column(String(40))  # a guild's slug or "org"
    status: Mapped[str] = mapped_column(String(16))  # sending, posted, failed
    attempts: Mapped[int] = mapped_column(default=1)
    claimed_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime | None]  # a failure retried then; None: given up
    posted_at: Mapped[datetime | None]
    message_ts: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")


class DigestSchedule(Base):
    """A guild's own digest slot (local weekday and time), or ``off``; no row: the default slot."""

    __tablename__ = "digest_schedules"

    guild_id: Mapped[int] = mapped_column(ForeignKey("guilds.id"), primary_key=True)
    weekday: Mapped[int]  # 0 = Monday
    hour: Mapped[int]
    minute: Mapped[int]
    off: Mapped[bool] = mapped_column(default=False)
    set_by: Mapped[str] = mapped_column(String(32))
    set_at: Mapped[datetime]


# An event without a guild counts for the guilds its author was in at the time: this index
# answers that join from the index alone, no row lookups (a fifth off the per-guild figures
# at 1,000,000 events, benchmarks/digest.py).
Index("ix_memberships_member_span", Membership.member_id, Membership.joined_at, Membership.left_at, Membership.guild_id)


# -- figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """A figure counted over the log: events of ``kinds`` (any kind when None) whose
    ``figures[key]`` equals ``value`` (when given); rows, or distinct ``actor``s or
    ``subject``s; ``unless`` is a kind that must not exist for the same subject."""

    kinds: tuple[str, ...] | None
    key: str | None = None
    value: str | None = None
    distinct: Literal["actor", "subject"] | None = None
    unless: str | None = None
    actors_except: tuple[str, ...] = ()


@dataclass(frozen=True)
class Median:
    """The median of the number ``figures[key]`` over events of ``kinds``."""

    kinds: tuple[str, ...]
    key: str


Table = dict[str, list[dict[str, Any]]]  # scope -> one {figure: value} per week


def tallies(
    session: Session, spec: Mapping[str, Tally], *, bounds: Sequence[datetime],
    per_guild: bool = False, guild: str | None = None,
) -> Table:
    """Every tally of ``spec`` for each week ``[bounds[i], bounds[i+1])``: org-wide, or per
    guild (all of them, or only ``guild``).  Scopes with no event at all are absent."""
    events = _scoped_events(bounds, per_guild=per_guild, guild=guild)
    columns = [_tally(events, t).label(name) for name, t in spec.items()]
    rows = session.execute(select(events.c.scope, events.c.week, *columns).group_by(events.c.scope, events.c.week))
    return _table(rows, spec, len(bounds) - 1, default=0)


def medians(
    session: Session, spec: Mapping[str, Median], *, bounds: Sequence[datetime],
    per_guild: bool = False, guild: str | None = None,
) -> Table:
    """Each median of ``spec`` per scope and week (None for a week without values); one statement each."""
    weeks = len(bounds) - 1
    table: Table = {}
    for name, median in spec.items():
        events = _scoped_events(bounds, per_guild=per_guild, guild=guild, kinds=median.kinds)
        value = events.c.figures[median.key].as_float()
        numbers = select(events.c.scope, events.c.week, value.label("v")).where(value.is_not(None)).subquery()
        window = {"partition_by": (numbers.c.scope, numbers.c.week)}
        ranked = select(
            numbers.c.scope, numbers.c.week, numbers.c.v,
            func.row_number().over(order_by=numbers.c.v, **window).label("rn"),
            func.count().over(**window).label("n"),
        ).subquery()
        middle = ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
        rows = session.execute(
            select(ranked.c.scope, ranked.c.week, func.avg(ranked.c.v).label(name))
            .where(middle).group_by(ranked.c.scope, ranked.c.week)
        )
        for scope, weekly in _table(rows, {name: median}, weeks, default=None).items():
            for row, values in zip(table.setdefault(scope, [{} for _ in range(weeks)]), weekly):
                row.update(values)
    for weekly in table.values():
        for row in weekly:
            for name in spec:
                row.setdefault(name, None)
    return table


def top_actors(
    session: Session, *, start: datetime, end: datetime, per_guild: bool = False, guild: str | None = None,
    actors_except: Iterable[str] = (), limit: int = 3,
) -> dict[str, list[str]]:
    """The ``limit`` people with the most events in ``[start, end)`` per scope, most first (ties by id)."""
    events = _scoped_events([start, end], per_guild=per_guild, guild=guild)
    counted = (
        select(events.c.scope, events.c.actor, func.count().label("n"))
        .where(events.c.actor.is_not(None), events.c.actor.not_in(list(actors_except)))
        .group_by(events.c.scope, events.c.actor)
        .subquery()
    )
    order = (counted.c.n.desc(), counted.c.actor)
    ranked = select(
        counted.c.scope, counted.c.actor, counted.c.n,
        func.row_number().over(partition_by=counted.c.scope, order_by=order).label("rn"),
    ).subquery()
    rows = session.execute(
        select(ranked.c.scope, ranked.c.actor).where(ranked.c.rn <= limit)
        .order_by(ranked.c.scope, ranked.c.rn)
    )
    top: dict[str, list[str]] = {}
    for scope, actor in rows:
        top.setdefault(scope, []).append(actor)
    return top


def _scoped_events(
    bounds: Sequence[datetime], *, per_guild: bool, guild: str | None, kinds: Sequence[str] | None = None
) -> FromClause:
    """The events in ``[bounds[0], bounds[-1])`` with their ``scope`` and ``week`` (index into bounds)."""
    e = ActivityEvent
    inner = bounds[1:-1]
    week = case(*[(e.at < b, i) for i, b in enumerate(inner)], else_=len(inner)) if inner else literal(0)
    where: list[ColumnElement[bool]] = [e.at >= bounds[0], e.at < bounds[-1]]
    if kinds is not None:
        where.append(e.kind.in_(kinds))
    if not per_guild:
        columns = [literal(ORG, String).label("scope"), week.label("week"), e.kind, e.actor, e.subject, e.figures]
        return select(*columns).where(*where).subquery("events")
    through_membership = and_(
        e.guild.is_(None), *[e.kind.not_like(pattern) for pattern in GUILD_ONLY_KINDS],
        Membership.member_id == e.actor, Membership.joined_at <= e.at,
        or_(Membership.left_at.is_(None), Membership.left_at > e.at),
    )
    scope = func.coalesce(e.guild, Guild.slug)
    where.append(scope == guild if guild is not None else scope.is_not(None))
    return (
        select(scope.label("scope"), week.label("week"), e.kind, e.actor, e.subject, e.figures)
        .select_from(e)
        .outerjoin(Membership, through_membership)
        .outerjoin(Guild, Guild.id == Membership.guild_id)
        .where(*where)
        .subquery("events")
    )


def _tally(events: FromClause, tally: Tally) -> ColumnElement[Any]:
    condition: ColumnElement[bool] = events.c.kind.in_(tally.kinds) if tally.kinds is not None else true()
    if tally.key is not None:
        condition = and_(condition, events.c.figures[tally.key].as_string() == tally.value)
    if tally.actors_except:
        condition = and_(condition, events.c.actor.not_in(tally.actors_except))
    if tally.unless is not None:
        other = aliased(ActivityEvent)
        condition = and_(condition, ~exists().where(other.kind == tally.unless, other.subject == events.c.subject))
    if tally.distinct is not None:
        return func.count(distinct(case((condition, events.c[tally.distinct]))))
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _table(rows: Iterable[Any], spec: Mapping[str, object], weeks: int, *, default: Any) -> Table:
    table: Table = {}
    for row in rows:
        weekly = table.setdefault(row.scope, [dict.fromkeys(spec, default) for _ in range(weeks)])
        weekly[row.week].update({name: _number(getattr(row, name)) for name in spec})
    return table


def _number(value: Any) -> Any:
    """Integers as ``int``, other numbers as ``float`` (PostgreSQL answers ``Decimal`` for sums and averages)."""
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() and not isinstance(value, float) else number


# -- the guilds that get a digest ---------------------------------------------------------------


@dataclass(frozen=True)
class DigestGuild:
    slug: str
    name: str
    channel_id: str
    created_at: datetime
    schedule: tuple[int, int, int] | None = None  # (weekday, hour, minute) of its own slot; None: the default
    off: bool = False


def open_guilds(session: Session, slug: str | None = None) -> list[DigestGuild]:
    """Guilds not archived (or just ``slug``), in slug order, with their own schedule if they have one."""
    s = DigestSchedule
    query = (
        select(Guild.slug, Guild.name, Guild.channel_id, Guild.created_at, s.weekday, s.hour, s.minute, s.off)
        .outerjoin(s, s.guild_id == Guild.id)
        .where(Guild.archived_at.is_(None))
    )
    if slug is not None:
        query = query.where(Guild.slug == slug)
    return [
        DigestGuild(slug_, name, channel, created, None if weekday is None else (weekday, hour, minute), bool(off))
        for slug_, name, channel, created, weekday, hour, minute, off in session.execute(query.order_by(Guild.slug))
    ]


def guild_id(session: Session, slug: str) -> int | None:
    """The id of the open guild ``slug``."""
    return session.scalar(select(Guild.id).where(Guild.slug == slug, Guild.archived_at.is_(None)))


def set_schedule(
    session: Session, *, guild_id: int, weekday: int | None, hour: int = 0, minute: int = 0, by: str, now: datetime
) -> None:
    """Move a guild's digest to ``weekday`` at ``hour:minute`` local, or turn it off (``weekday`` None)."""
    row = session.get(DigestSchedule, guild_id)
    if row is None:
        row = DigestSchedule(guild_id=guild_id, weekday=0, hour=9, minute=0)
        session.add(row)
    if weekday is not None:
        row.weekday, row.hour, row.minute = weekday, hour, minute
    row.off, row.set_by, row.set_at = weekday is None, by, now


# -- the ledger ----------------------------------------------------------------------------------


def posts_of_week(session: Session, week: str) -> dict[str, DigestPost]:
    """channel id -> its ledger row for ``week``."""
    return {p.channel_id: p for p in session.scalars(select(DigestPost).where(DigestPost.week == week))}


def claim_post(session: Session, *, channel_id: str, week: str, scope: str, now: datetime) -> int:
    """The attempt this caller may make to post ``week``'s digest to ``channel_id`` now (1 for the
    first claim), or 0: someone else holds it, it was posted, or it failed for good.  A claim
    left ``sending`` longer than :data:`LEASE` and a failure whose retry is due are taken again."""
    try:
        with session.begin_nested():
            session.add(DigestPost(channel_id=channel_id, week=week, scope=scope, status=SENDING, claimed_at=now))
        return 1
    except IntegrityError:
        pass
    retake = or_(
        and_(DigestPost.status == SENDING, DigestPost.claimed_at < now - LEASE),
        and_(DigestPost.status == FAILED, DigestPost.next_attempt_at <= now),
    )
    result = session.execute(
        update(DigestPost)
        .where(*_key(channel_id, week), retake)
        .values(status=SENDING, claimed_at=now, attempts=DigestPost.attempts + 1, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return 0
    return int(session.scalar(select(DigestPost.attempts).where(*_key(channel_id, week))) or 0)


def _key(channel_id: str, week: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return DigestPost.channel_id == channel_id, DigestPost.week == week


def mark_posted(session: Session, *, channel_id: str, week: str, ts: str, now: datetime, detail: str = "") -> None:
    session.execute(
        update(DigestPost)
        .where(*_key(channel_id, week))
        .values(status=POSTED, posted_at=now, message_ts=ts, detail=detail[:500])
        .execution_options(synchronize_session=False)
    )


def mark_failed(session: Session, *, channel_id: str, week: str, detail: str, retry_at: datetime | None) -> None:
    """Record a failed attempt, to be retried at ``retry_at`` (None: given up)."""
    session.execute(
        update(DigestPost)
        .where(*_key(channel_id, week))
        .values(status=FAILED, next_attempt_at=retry_at, detail=detail[:500])
        .execution_options(synchronize_session=False)
    )
