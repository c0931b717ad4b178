"""Guild tables and their repository functions.

Memberships keep their history: leaving sets ``left_at``, nothing is deleted, and a
partial unique index allows one *open* membership per member and guild, so a
double-clicked Join cannot create two.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, utcnow


class Guild(Base):
    __tablename__ = "guilds"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    channel_id: Mapped[str] = mapped_column(String(32), index=True)
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
            sqlite_where="left_at IS NULL",
            postgresql_where="left_at IS NULL",
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
