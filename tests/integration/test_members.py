"""The member cache and profiles on a real database, with a directory double instead of Slack."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.guilds.members import DirectoryEntry, MemberService, ProfileError
from storage.db import Database
from storage.models import ActivityEvent, Member

ANA = "U0ANA0001"


class FakeDirectory:
    def __init__(self, tz: str | None = "Europe/Paris", *, reachable: bool = True) -> None:
        self.tz, self.reachable, self.asked = tz, reachable, 0

    def lookup(self, user_id: str) -> DirectoryEntry | None:
        self.asked += 1
        return DirectoryEntry(user_id, "Ana", self.tz) if self.reachable else None


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 9, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def test_first_contact_asks_the_directory_and_later_ones_use_the_cache(database: Database) -> None:
    clock, directory = Clock(), FakeDirectory()
    members = MemberService(database, directory=directory, clock=clock)
    card = members.remember(ANA)
    assert (card.name, card.tz, directory.asked) == ("Ana", "Europe/Paris", 1)
    clock.now += timedelta(days=6)
    assert members.remember(ANA).tz == "Europe/Paris"
    assert directory.asked == 1


def test_the_time_zone_is_refreshed_after_seven_days(database: Database) -> None:
    clock, directory = Clock(), FakeDirectory()
    members = MemberService(database, directory=directory, clock=clock)
    members.remember(ANA)
    clock.now += timedelta(days=7)
    directory.tz = "Asia/Tokyo"
    assert members.remember(ANA).tz == "Asia/Tokyo"
    with database.unit_of_work() as uow:
        member = uow.session.get(Member, ANA)
        assert (member.tz, member.tz_refreshed_at) == ("Asia/Tokyo", clock.now)


def test_an_unreachable_directory_keeps_the_member_and_tries_again_next_time(database: Database) -> None:
    directory = FakeDirectory(reachable=False)
    members = MemberService(database, directory=directory, clock=Clock())
    card = members.remember(ANA)
    assert (card.tz, card.tz_refreshed_at) == (None, None)
    directory.reachable = True
    assert members.remember(ANA).tz == "Europe/Paris" and directory.asked == 2


def test_a_profile_is_saved_normalised_and_replaces_the_old_one(database: Database) -> None:
    members = MemberService(database, directory=FakeDirectory())
    members.update_profile(ANA, teach_text="Python", learn_text="rust")
    saved = members.update_profile(ANA, teach_text="ML Ops, python, MLOps", learn_text="Gen AI\nLLMs")
    assert (saved.teach, saved.learn) == (("mlops", "python"), ("generative-ai", "llm"))
    assert members.profile(ANA) == saved
    with database.unit_of_work() as uow:
        events = list(uow.session.scalars(select(ActivityEvent).order_by(ActivityEvent.id)))
    assert [(e.kind, e.actor, e.guild, e.figures) for e in events][-1] == (
        "profile.updated", ANA, None, {"teach": 2, "learn": 2}
    )


def test_a_profile_with_too_many_tags_is_refused_and_nothing_changes(database: Database) -> None:
    members = MemberService(database, directory=FakeDirectory())
    members.update_profile(ANA, teach_text="python", learn_text="")
    with pytest.raises(ProfileError) as exc:
        members.update_profile(ANA, teach_text=", ".join(f"skill{i}" for i in range(30)), learn_text="ok")
    assert set(exc.value.problems) == {"teach"}
    assert members.profile(ANA).teach == ("python",)
