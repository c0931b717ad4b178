"""Members the bot has met: their cached name and time zone, and their skill profile.

Mentoring pairs people across time zones, so the bot keeps each member's zone from
Slack's directory (``users.info``), cached for :data:`TZ_MAX_AGE` and refreshed on the
next contact after that.  The directory is a small protocol, so the rules here are
testable without Slack; the Slack implementation lives in ``handlers``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.guilds.tags import parse_tags, tag_problems
from storage.db import Database
from storage.guilds import profile_tags, replace_profile_tags
from storage.members import ensure_member, get_member, save_directory_entry
from storage.models import utcnow
from storage.repositories import record_activity

log = logging.getLogger(__name__)

TZ_MAX_AGE = timedelta(days=7)
"""People move and travel; a week-old zone is still good enough to schedule a chat."""


@dataclass(frozen=True)
class DirectoryEntry:
    user_id: str
    name: str
    tz: str | None


class Directory(Protocol):
    """Where people's names and zones come from (Slack's ``users.info`` in production)."""

    def lookup(self, user_id: str) -> DirectoryEntry | None:
        """The user as the directory knows them; ``None`` if unknown or unreachable right now."""
        ...


@dataclass(frozen=True)
class MemberCard:
    user_id: str
    name: str
    tz: str | None
    tz_refreshed_at: datetime | None


@dataclass(frozen=True)
class Profile:
    user_id: str
    tz: str | None
    teach: tuple[str, ...]
    learn: tuple[str, ...]


class ProfileError(Exception):
    """The profile form has problems; ``problems`` maps a field ("teach"/"learn") to what is wrong."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


def tz_is_stale(refreshed_at: datetime | None, *, now: datetime, max_age: timedelta = TZ_MAX_AGE) -> bool:
    return refreshed_at is None or now - refreshed_at >= max_age


class MemberService:
    def __init__(self, db: Database, *, directory: Directory, clock: Callable[[], datetime] = utcnow) -> None:
        self._db = db
        self._directory = directory
        self._clock = clock

    def remember(self, user_id: str) -> MemberCard:
        """Upsert the member on contact; ask the directory only when the cached zone is stale.

        The directory is asked outside any transaction: no network call holds a database lock.
        """
        now = self._clock()
        with self._db.unit_of_work() as uow:
            member = get_member(uow.session, user_id)
            if member is None:
                ensure_member(uow.session, user_id)
                uow.commit()
                card = MemberCard(user_id, "", None, None)
            else:
                card = MemberCard(user_id, member.name, member.tz, member.tz_refreshed_at)
        if not tz_is_stale(card.tz_refreshed_at, now=now):
            return card
        entry = self._directory.lookup(user_id)
        if entry is None:  # keep what we have; the next contact tries again
            return card
        with self._db.unit_of_work() as uow:
            save_directory_entry(uow.session, user_id, name=entry.name, tz=entry.tz, at=now)
            uow.commit()
        return MemberCard(user_id, entry.name, entry.tz, now)

    def profile(self, user_id: str) -> Profile:
        with self._db.unit_of_work() as uow:
            member = get_member(uow.session, user_id)
            tags = profile_tags(uow.session, user_id)
        return Profile(user_id, member.tz if member else None, tuple(tags["teach"]), tuple(tags["learn"]))

    def update_profile(self, user_id: str, *, teach_text: str, learn_text: str) -> Profile:
        """Replace the member's skills and interests with the normalised tags of the two texts."""
        teach, learn = parse_tags(teach_text), parse_tags(learn_text)
        problems = {
            field: problem
            for field, problem in (
                ("teach", tag_problems(teach, what="skills")),
                ("learn", tag_problems(learn, what="topics")),
            )
            if problem
        }
        if problems:
            raise ProfileError(problems)
        with self._db.unit_of_work() as uow:
            ensure_member(uow.session, user_id)
            replace_profile_tags(uow.session, user_id, kind="teach", tags=teach)
            replace_profile_tags(uow.session, user_id, kind="learn", tags=learn)
            record_activity(
                uow.session,
                kind="profile.updated",
                actor=user_id,
                subject=user_id,
                figures={"teach": len(teach), "learn": len(learn)},
                at=self._clock(),
            )
            uow.commit()
        return self.profile(user_id)
