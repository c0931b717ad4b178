"""Guilds: communities of practice with a channel, leads and members.

The rules live here, in plain Python: who may create, archive and change leads, what
makes a slug valid, how a half-remembered guild name is found, and what each change
writes to the activity log.  Every method runs in one unit of work and commits once;
bad input raises :class:`GuildError` whose message is meant for the person who typed
it, and changes nothing.  Slack stays outside: the channel directory is a protocol,
and inviting people to channels is the handlers' business.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from bot.guilds.names import did_you_mean, plain, slug_problem
from storage import guilds as repo
from storage import showtell as showtell_store
from storage.db import Database
from storage.guilds import Guild
from storage.members import ensure_member, ensure_members
from storage.models import utcnow
from storage.repositories import claim_once, record_activity

PAGE_SIZE = 10  # guilds per list page: 10 sections plus navigation stay far below 50 blocks
MAX_NAME = 80
MAX_DESCRIPTION = 1000


class GuildError(Exception):
    """Bad input for a guild command; ``str(error)`` is the reply."""


class NotAllowed(GuildError):
    """The person may not do this (admins only, or admins and the guild's leads)."""


@dataclass(frozen=True)
class GuildQuery:
    """How someone named a guild: its slug or name as typed, or its channel."""

    text: str = ""
    channel_id: str | None = None


@dataclass(frozen=True)
class GuildCard:
    slug: str
    name: str
    description: str
    channel_id: str
    member_count: int
    leads: tuple[str, ...]
    is_member: bool


@dataclass(frozen=True)
class GuildPage:
    guilds: tuple[GuildCard, ...]
    page: int  # zero-based
    page_count: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return self.page + 1 < self.page_count


@dataclass(frozen=True)
class NextShowAndTell:
    starts_at: datetime
    open_slots: int


@dataclass(frozen=True)
class GuildInfo:
    card: GuildCard
    top_skills: tuple[tuple[str, int], ...]
    top_interests: tuple[tuple[str, int], ...]
    next_show_and_tell: NextShowAndTell | None


@dataclass(frozen=True)
class HomeGuilds:
    mine: tuple[GuildCard, ...]
    others: tuple[GuildCard, ...]
    more_others: int  # active guilds not shown in ``others``


@dataclass(frozen=True)
class MembershipChange:
    card: GuildCard  # the guild after the change
    member_id: str
    changed: bool  # False when a channel event found the membership already as it should be
    invite: ChannelInvite | None = None  # joining: what came of adding the person to the channel


@dataclass(frozen=True)
class ChannelFacts:
    channel_id: str
    name: str
    is_private: bool
    is_archived: bool = False


class Channels(Protocol):
    """What guilds need of the chat's channels (Slack's ``conversations.*``: ``handlers.guilds.slack``)."""

    def describe(self, channel_id: str) -> ChannelFacts | None:
        """The channel, or ``None`` if it does not exist or the bot cannot see it."""
        ...

    def enter(self, channel_id: str) -> bool:
        """Make sure the bot is in the channel; False if it cannot be (private, not invited)."""
        ...

    def invite(self, channel_id: str, user_id: str) -> ChannelInvite: ...

    def members(self, channel_id: str) -> list[str]:
        """Everyone in the channel but the bot itself."""
        ...


@dataclass(frozen=True)
class Created:
    card: GuildCard
    in_channel: bool  # the bot is in the guild's channel
    adopted: int  # people already in the channel who became members


class ChannelInvite(enum.Enum):
    """What came of adding a new member to the guild's channel."""

    INVITED = "invited"
    ALREADY_IN = "already_in"
    UNREACHABLE = "unreachable"  # a private channel the bot is not in: a lead must invite the bot
    FAILED = "failed"


def next_show_and_tell(session: Session, guild: Guild, *, now: datetime) -> NextShowAndTell | None:
    """The guild's next show-and-tell session for ``/guild info``, read from show-and-tell's
    tables (guilds sit below show-and-tell in the layers, so not through its service)."""
    found = showtell_store.next_session_room(session, guild.id, after=now)
    return NextShowAndTell(starts_at=found[0], open_slots=found[1]) if found else None


class GuildService:
    def __init__(
        self, db: Database, *, is_admin: Callable[[str], bool], channels: Channels,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db = db
        self._is_admin = is_admin
        self._channels = channels
        self._clock = clock

    # -- reading ------------------------------------------------------------------

    def page(self, user_id: str, page: int) -> GuildPage:
        """One page of the active guilds; a page past the end shows the last one."""
        with self._db.unit_of_work() as uow:
            total = repo.count_active_guilds(uow.session)
            page_count = max(1, math.ceil(total / PAGE_SIZE))
            page = min(max(page, 0), page_count - 1)
            guilds = repo.active_guilds_page(uow.session, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
            cards = self._cards(uow.session, guilds, user_id)
        return GuildPage(tuple(cards), page, page_count, total)

    def info(self, user_id: str, query: GuildQuery) -> GuildInfo:
        with self._db.unit_of_work() as uow:
            guild = self._resolve(uow.session, query)
            return GuildInfo(
                card=self._cards(uow.session, [guild], user_id)[0],
                top_skills=tuple(repo.top_tags(uow.session, guild.id, kind="teach", limit=5)),
                top_interests=tuple(repo.top_tags(uow.session, guild.id, kind="learn", limit=5)),
                next_show_and_tell=next_show_and_tell(uow.session, guild, now=self._clock()),
            )

    def home(self, user_id: str, *, limit: int = 10) -> HomeGuilds:
        with self._db.unit_of_work() as uow:
            mine = repo.active_guilds_of_member(uow.session, user_id)
            others = repo.active_guilds_without_member(uow.session, user_id, limit=limit)
            more = repo.count_active_guilds(uow.session) - len(mine) - len(others)
            return HomeGuilds(
                tuple(self._cards(uow.session, mine[:limit], user_id)),
                tuple(self._cards(uow.session, others, user_id)),
                more,
            )

    # -- joining and leaving ------------------------------------------------------

    def join(self, user_id: str, query: GuildQuery, *, source: str = "command") -> MembershipChange:
        with self._db.unit_of_work() as uow:
            ensure_member(uow.session, user_id)  # a write first: SQLite takes its write lock here
            guild = self._lock(uow.session, self._resolve(uow.session, query))
            if repo.start_membership(
                uow.session, guild_id=guild.id, member_id=user_id, source=source, at=self._clock()
            ) is None:
                raise GuildError(f"You are already a member of *{plain(guild.name)}* (<#{guild.channel_id}>).")
            self._log(uow.session, "guild.joined", actor=user_id, guild=guild, subject=user_id, source=source)
            card = self._cards(uow.session, [guild], user_id)[0]
            uow.commit()
        # After the commit: no network call under a lock, and a failed invitation never undoes the join.
        return MembershipChange(card, user_id, True, invite=self._channels.invite(card.channel_id, user_id))

    def leave(self, user_id: str, query: GuildQuery, *, source: str = "command") -> MembershipChange:
        with self._db.unit_of_work() as uow:
            ensure_member(uow.session, user_id)
            guild = self._lock(uow.session, self._resolve(uow.session, query))
            if not repo.end_membership(uow.session, guild_id=guild.id, member_id=user_id, at=self._clock()):
                raise GuildError(f"You are not a member of *{plain(guild.name)}*.")
            self._log(uow.session, "guild.left", actor=user_id, guild=guild, subject=user_id, source=source)
            change = MembershipChange(self._cards(uow.session, [guild], user_id)[0], user_id, True)
            uow.commit()
        return change

    def channel_joined(self, *, event_key: str, channel_id: str, user_id: str) -> MembershipChange | None:
        """Someone joined a guild's channel: they are a member now (once per Slack event id)."""
        return self._sync_channel(event_key=event_key, channel_id=channel_id, user_id=user_id, joined=True)

    def channel_left(self, *, event_key: str, channel_id: str, user_id: str) -> MembershipChange | None:
        """Someone left a guild's channel: their membership ends (once per Slack event id)."""
        return self._sync_channel(event_key=event_key, channel_id=channel_id, user_id=user_id, joined=False)

    def _sync_channel(
        self, *, event_key: str, channel_id: str, user_id: str, joined: bool
    ) -> MembershipChange | None:
        with self._db.unit_of_work() as uow:
            guild = repo.active_guild_by_channel(uow.session, channel_id)
            if guild is None or not claim_once(uow.session, event_key):
                return None
            ensure_member(uow.session, user_id)
            guild = self._lock(uow.session, guild)
            now = self._clock()
            if joined:
                changed = repo.start_membership(
                    uow.session, guild_id=guild.id, member_id=user_id, source="channel", at=now
                ) is not None
            else:
                changed = repo.end_membership(uow.session, guild_id=guild.id, member_id=user_id, at=now)
            if changed:
                kind = "guild.joined" if joined else "guild.left"
                self._log(uow.session, kind, actor=user_id, guild=guild, subject=user_id, source="channel")
            change = MembershipChange(self._cards(uow.session, [guild], user_id)[0], user_id, changed)
            uow.commit()
        return change

    def adopt_channel_members(self, slug: str, member_ids: list[str]) -> int:
        """Make the people already in a new guild's channel its members; returns how many joined."""
        with self._db.unit_of_work() as uow:
            guild = repo.guild_by_slug(uow.session, slug)
            if guild is None or guild.archived_at is not None:
                return 0
            ensure_members(uow.session, member_ids)
            guild = self._lock(uow.session, guild)
            already = repo.open_member_ids(uow.session, guild.id)
            now, joined = self._clock(), 0
            for member_id in dict.fromkeys(member_ids):
                if member_id in already:
                    continue
                if repo.start_membership(uow.session, guild_id=guild.id, member_id=member_id, source="channel", at=now):
                    self._log(uow.session, "guild.joined", actor=member_id, guild=guild, subject=member_id,
                              source="channel")
                    joined += 1
            uow.commit()
        return joined

    # -- running guilds -----------------------------------------------------------

    def create(self, actor: str, *, slug: str, channel_id: str, name: str, description: str) -> Created:
        """Admins only; the channel must exist and host no other active guild.  The bot then
        enters the channel and the people already in it become members."""
        self._require_admin(actor, "create guilds")
        name, description = " ".join(name.split()), description.strip()
        problem = slug_problem(slug) or self._name_problem(name, description)
        if problem:
            raise GuildError(problem)
        with self._db.unit_of_work() as uow:
            self._check_free(uow.session, slug=slug, name=name, channel_id=channel_id)
        facts = self._channels.describe(channel_id)  # outside the transaction: no network call under a lock
        if facts is None:
            raise GuildError(
                f"I can't find the channel <#{channel_id}>. If it is private, add me first with "
                "`/invite @factorybot` in that channel, then try again."
            )
        if facts.is_archived:
            raise GuildError(f"<#{channel_id}> is archived; pick a live channel.")
        with self._db.unit_of_work() as uow:
            ensure_member(uow.session, actor)
            self._check_free(uow.session, slug=slug, name=name, channel_id=channel_id)
            guild = repo.add_guild(
                uow.session, slug=slug, name=name, description=description, channel_id=channel_id,
                created_by=actor, at=self._clock(),
            )
            if guild is None:
                raise GuildError(f"`{slug}` or <#{channel_id}> was taken a moment ago. Please try again.")
            self._log(uow.session, "guild.created", actor=actor, guild=guild, subject=name,
                      channel=channel_id, private=facts.is_private)
            card = self._cards(uow.session, [guild], actor)[0]
            uow.commit()
        in_channel = self._channels.enter(channel_id)
        adopted = self.adopt_channel_members(card.slug, self._channels.members(channel_id)) if in_channel else 0
        return Created(card, in_channel=in_channel, adopted=adopted)

    def change_lead(self, actor: str, query: GuildQuery, member_id: str, *, add: bool) -> GuildCard:
        """Admins and the guild's own leads may add or remove leads."""
        with self._db.unit_of_work() as uow:
            ensure_members(uow.session, [actor, member_id])
            guild = self._lock(uow.session, self._resolve(uow.session, query))
            if not (self._is_admin(actor) or repo.is_lead(uow.session, guild_id=guild.id, member_id=actor)):
                raise NotAllowed(f"Only admins and the leads of *{plain(guild.name)}* can change its leads.")
            if add and not repo.add_lead(
                uow.session, guild_id=guild.id, member_id=member_id, added_by=actor, at=self._clock()
            ):
                raise GuildError(f"<@{member_id}> is already a lead of *{plain(guild.name)}*.")
            if not add and not repo.remove_lead(uow.session, guild_id=guild.id, member_id=member_id):
                raise GuildError(f"<@{member_id}> is not a lead of *{plain(guild.name)}*.")
            kind = "guild.lead_added" if add else "guild.lead_removed"
            self._log(uow.session, kind, actor=actor, guild=guild, subject=member_id)
            card = self._cards(uow.session, [guild], actor)[0]
            uow.commit()
        return card

    def archive(self, actor: str, query: GuildQuery) -> GuildCard:
        """Admins only.  Memberships are kept as they are: history, not a mass departure."""
        self._require_admin(actor, "archive guilds")
        with self._db.unit_of_work() as uow:
            guild = self._resolve(uow.session, query)
            card = self._cards(uow.session, [guild], actor)[0]
            if not repo.archive_guild(uow.session, guild.id, at=self._clock()):
                raise GuildError(f"*{plain(guild.name)}* is already archived.")
            self._log(uow.session, "guild.archived", actor=actor, guild=guild, subject=guild.name,
                      members=card.member_count)
            uow.commit()
        return card

    # -- helpers ------------------------------------------------------------------

    def _resolve(self, session: Session, query: GuildQuery) -> Guild:
        """The active guild meant by ``query``: by channel, slug or name (any case), else "did you mean"."""
        if query.channel_id:
            guild = repo.active_guild_by_channel(session, query.channel_id)
            if guild is None:
                raise GuildError(f"<#{query.channel_id}> is not a guild's channel. `/guild list` shows them all.")
            return guild
        text = " ".join(query.text.split()).lstrip("#")
        if not text:
            raise GuildError("Which guild? Give its name or slug, for example `/guild info mlops`.")
        guild = repo.guild_by_slug(session, text) or repo.guild_by_name(session, text)
        if guild is not None and guild.archived_at is not None:
            raise GuildError(f"*{plain(guild.name)}* (`{guild.slug}`) has been archived.")
        if guild is not None:
            return guild
        hint = did_you_mean(text, repo.active_guild_names(session))
        raise GuildError(f"No guild called `{plain(text)}`. {hint}")

    def _lock(self, session: Session, guild: Guild) -> Guild:
        locked = repo.lock_active_guild(session, guild.id)
        if locked is None:
            raise GuildError(f"*{plain(guild.name)}* has just been archived.")
        return locked

    def _require_admin(self, actor: str, doing: str) -> None:
        if not self._is_admin(actor):
            raise NotAllowed(f"Only factorybot admins can {doing}.")

    @staticmethod
    def _name_problem(name: str, description: str) -> str | None:
        if not name:
            return 'Give the guild a name in quotes, for example `"LLM apps"`.'
        if len(name) > MAX_NAME:
            return f"A guild name has at most {MAX_NAME} characters; this one has {len(name)}."
        if len(description) > MAX_DESCRIPTION:
            return f"A description has at most {MAX_DESCRIPTION} characters; this one has {len(description)}."
        return None

    @staticmethod
    def _check_free(session: Session, *, slug: str, name: str, channel_id: str) -> None:
        taken = repo.guild_by_slug(session, slug)
        if taken is not None:
            archived = " (archived; slugs are never reused)" if taken.archived_at else ""
            raise GuildError(f"The slug `{slug}` is taken by *{plain(taken.name)}*{archived}.")
        same_name = repo.guild_by_name(session, name)
        if same_name is not None and same_name.archived_at is None:
            raise GuildError(f"There is already a guild called *{plain(same_name.name)}* (`{same_name.slug}`).")
        in_channel = repo.active_guild_by_channel(session, channel_id)
        if in_channel is not None:
            raise GuildError(
                f"<#{channel_id}> is already the channel of *{plain(in_channel.name)}* (`{in_channel.slug}`)."
            )

    def _cards(self, session: Session, guilds: list[Guild], user_id: str) -> list[GuildCard]:
        ids = [g.id for g in guilds]
        counts = repo.member_counts(session, ids)
        leads = repo.leads_by_guild(session, ids)
        mine = repo.member_guild_ids(session, user_id, ids)
        return [
            GuildCard(g.slug, g.name, g.description, g.channel_id, counts[g.id], tuple(leads[g.id]), g.id in mine)
            for g in guilds
        ]

    def _log(self, session: Session, kind: str, *, actor: str, guild: Guild, subject: str, **figures: object) -> None:
        record_activity(
            session, kind=kind, actor=actor, guild=guild.slug, subject=subject, figures=figures, at=self._clock()
        )
