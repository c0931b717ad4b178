"""Guild tables and their repository functions.

Memberships keep their history: leaving sets ``left_at``, nothing is deleted, and a
partial unique index allows one *open* membership per member and guild, so a
double-clicked Join cannot create two.  Every write that could race is decided by the
database: inserts under a savepoint that catch the unique violation, and conditional
``UPDATE … WHERE left_at IS NULL`` whose row count says who won.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.members import insert_ignoring_conflicts
from storage.models import Base, utcnow


class Guild(Base):
    """A community of practice.  One active guild per channel, so channel events map to one guild."""

    __tablename__ = "guilds"
    __table_args__ = (
        Index(
            "uq_guilds_channel_active",
            "channel_id",
            unique=True,
            sqlite_where=text("archived_at IS NULL"),
            postgresql_where=text("archived_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    channel_id: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]


class GuildLead(Base):
    __tablename__ = "guild_leads"

    guild_id: Mapped[int] = mapped_column(ForeignKey("guilds.id"), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.slack_id"), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(32))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        Index(
            "uq_memberships_open",
            "guild_id",
            "member_id",
            unique=True,
            sqlite_where=text("left_at IS NULL"),
            postgresql_where=text("left_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(ForeignKey("guilds.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.slack_id"), index=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(16), default="command")  # command, button, channel


class ProfileTag(Base):
    """A normalised skill a member can teach (``kind="teach"``) or wants to learn (``"learn"``)."""

    __tablename__ = "profile_tags"
    __table_args__ = (UniqueConstraint("member_id", "kind", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.slack_id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    tag: Mapped[str] = mapped_column(String(64), index=True)


# -- repository functions ------------------------------------------------------------


def _active() -> Any:
    return Guild.archived_at.is_(None)


def count_active_guilds(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Guild).where(_active())) or 0)


def active_guilds_page(session: Session, *, offset: int, limit: int) -> list[Guild]:
    """Active guilds in name order (case-insensitive), one page of them."""
    query = select(Guild).where(_active()).order_by(func.lower(Guild.name), Guild.slug)
    return list(session.scalars(query.offset(offset).limit(limit)))


def active_guilds_of_member(session: Session, member_id: str) -> list[Guild]:
    query = (
        select(Guild)
        .join(Membership, Membership.guild_id == Guild.id)
        .where(_active(), Membership.member_id == member_id, Membership.left_at.is_(None))
        .order_by(func.lower(Guild.name), Guild.slug)
    )
    return list(session.scalars(query))


def active_guilds_without_member(session: Session, member_id: str, *, limit: int) -> list[Guild]:
    mine = select(Membership.guild_id).where(Membership.member_id == member_id, Membership.left_at.is_(None))
    query = select(Guild).where(_active(), Guild.id.not_in(mine)).order_by(func.lower(Guild.name), Guild.slug)
    return list(session.scalars(query.limit(limit)))


def active_guild_names(session: Session) -> list[tuple[str, str]]:
    """``(slug, name)`` of every active guild: the vocabulary of "did you mean …?"."""
    return [(row.slug, row.name) for row in session.execute(select(Guild.slug, Guild.name).where(_active()))]


def guild_by_slug(session: Session, slug: str) -> Guild | None:
    """Archived guilds too: their slugs stay taken."""
    return session.scalar(select(Guild).where(Guild.slug == slug.lower()))


def guild_by_name(session: Session, name: str) -> Guild | None:
    """Case-insensitive; an active guild wins over archived ones of the same name."""
    query = select(Guild).where(func.lower(Guild.name) == name.lower())
    return session.scalar(query.order_by(Guild.archived_at.is_not(None), Guild.id).limit(1))


def active_guild_by_channel(session: Session, channel_id: str) -> Guild | None:
    return session.scalar(select(Guild).where(_active(), Guild.channel_id == channel_id))


def lock_active_guild(session: Session, guild_id: int) -> Guild | None:
    """Re-read a guild under ``SELECT … FOR UPDATE`` (PostgreSQL; SQLite serialises writers):
    changes to one guild's members and leads happen one at a time, never on an archived guild."""
    query = select(Guild).where(Guild.id == guild_id, _active()).with_for_update()
    return session.scalar(query.execution_options(populate_existing=True))


def add_guild(
    session: Session, *, slug: str, name: str, description: str, channel_id: str, created_by: str, at: datetime
) -> Guild | None:
    """The new guild, or ``None`` when the slug or the channel was taken meanwhile (unique indexes)."""
    guild = Guild(
        slug=slug, name=name, description=description, channel_id=channel_id, created_by=created_by, created_at=at
    )
    try:
        with session.begin_nested():
            session.add(guild)
    except IntegrityError:
        return None
    return guild


def archive_guild(session: Session, guild_id: int, *, at: datetime) -> bool:
    """True if this call archived it (a second, concurrent archive changes nothing)."""
    result = session.execute(
        update(Guild).where(Guild.id == guild_id, _active()).values(archived_at=at).execution_options(
            synchronize_session=False
        )
    )
    return result.rowcount == 1


def member_counts(session: Session, guild_ids: list[int]) -> dict[int, int]:
    query = (
        select(Membership.guild_id, func.count())
        .where(Membership.guild_id.in_(guild_ids), Membership.left_at.is_(None))
        .group_by(Membership.guild_id)
    )
    counts = {gid: int(n) for gid, n in session.execute(query)} if guild_ids else {}
    return {gid: counts.get(gid, 0) for gid in guild_ids}


def leads_by_guild(session: Session, guild_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {gid: [] for gid in guild_ids}
    if guild_ids:
        query = select(GuildLead.guild_id, GuildLead.member_id).where(GuildLead.guild_id.in_(guild_ids))
        for gid, member_id in session.execute(query.order_by(GuildLead.added_at, GuildLead.member_id)):
            found[gid].append(member_id)
    return found


def member_guild_ids(session: Session, member_id: str, guild_ids: list[int]) -> set[int]:
    """Which of ``guild_ids`` the member currently belongs to."""
    if not guild_ids:
        return set()
    query = select(Membership.guild_id).where(
        Membership.member_id == member_id, Membership.left_at.is_(None), Membership.guild_id.in_(guild_ids)
    )
    return set(session.scalars(query))


def open_member_ids(session: Session, guild_id: int) -> set[str]:
    query = select(Membership.member_id).where(Membership.guild_id == guild_id, Membership.left_at.is_(None))
    return set(session.scalars(query))


def start_membership(
    session: Session, *, guild_id: int, member_id: str, source: str, at: datetime
) -> Membership | None:
    """Open a membership; ``None`` if one is already open (the partial unique index says so)."""
    membership = Membership(guild_id=guild_id, member_id=member_id, source=source, joined_at=at)
    try:
        with session.begin_nested():
            session.add(membership)
    except IntegrityError:
        return None
    return membership


def end_membership(session: Session, *, guild_id: int, member_id: str, at: datetime) -> bool:
    """Close the open membership; False if there was none (or a concurrent leave closed it first)."""
    result = session.execute(
        update(Membership)
        .where(Membership.guild_id == guild_id, Membership.member_id == member_id, Membership.left_at.is_(None))
        .values(left_at=at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def is_lead(session: Session, *, guild_id: int, member_id: str) -> bool:
    return session.get(GuildLead, (guild_id, member_id)) is not None


def add_lead(session: Session, *, guild_id: int, member_id: str, added_by: str, at: datetime) -> bool:
    """False if already a lead (the primary key says so)."""
    try:
        with session.begin_nested():
            session.add(GuildLead(guild_id=guild_id, member_id=member_id, added_by=added_by, added_at=at))
    except IntegrityError:
        return False
    return True


def remove_lead(session: Session, *, guild_id: int, member_id: str) -> bool:
    result = session.execute(
        delete(GuildLead).where(GuildLead.guild_id == guild_id, GuildLead.member_id == member_id)
    )
    return result.rowcount == 1


def top_tags(session: Session, guild_id: int, *, kind: str, limit: int) -> list[tuple[str, int]]:
    """The most common profile tags of a guild's current members, with how many members have each."""
    members = func.count(ProfileTag.member_id.distinct())
    query = (
        select(ProfileTag.tag, members)
        .join(Membership, Membership.member_id == ProfileTag.member_id)
        .where(Membership.guild_id == guild_id, Membership.left_at.is_(None), ProfileTag.kind == kind)
        .group_by(ProfileTag.tag)
        .order_by(members.desc(), ProfileTag.tag)
        .limit(limit)
    )
    return [(tag, int(n)) for tag, n in session.execute(query)]


def profile_tags(session: Session, member_id: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"teach": [], "learn": []}
    query = select(ProfileTag.kind, ProfileTag.tag).where(ProfileTag.member_id == member_id)
    for kind, tag in session.execute(query.order_by(ProfileTag.id)):
        found.setdefault(kind, []).append(tag)
    return found


def replace_profile_tags(session: Session, member_id: str, *, kind: str, tags: list[str]) -> None:
    """The member's tags of ``kind`` become exactly ``tags`` (a concurrent twin cannot duplicate them)."""
    session.execute(delete(ProfileTag).where(ProfileTag.member_id == member_id, ProfileTag.kind == kind))
    rows = [{"member_id": member_id, "kind": kind, "tag": tag} for tag in tags]
    insert_ignoring_conflicts(session, ProfileTag, rows)
