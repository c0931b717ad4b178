"""The guild service on a real database (SQLite, or PostgreSQL with FACTORYBOT_TEST_DATABASE_URL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.guilds.service import ChannelFacts, ChannelInvite, GuildError, GuildQuery, GuildService, NotAllowed
from storage import guilds as repo
from storage.db import Database
from storage.guilds import Guild, Membership
from storage.members import ensure_member
from storage.models import ActivityEvent
from storage.repositories import activity_between

ADMIN, ANA, BEN, CAL = "U0ADMIN01", "U0ANA0001", "U0BEN0001", "U0CAL0001"


class FakeChannels:
    """Every channel exists but ``C0GONE``; the bot is in all of them, and they are empty."""

    def __init__(self, *, private: tuple[str, ...] = ()) -> None:
        self.private, self.asked = set(private), []

    def describe(self, channel_id: str) -> ChannelFacts | None:
        self.asked.append(channel_id)
        if channel_id == "C0GONE":
            return None
        return ChannelFacts(channel_id, channel_id.lower(), is_private=channel_id in self.private)

    def enter(self, channel_id: str) -> bool:
        return True

    def invite(self, channel_id: str, user_id: str) -> ChannelInvite:
        return ChannelInvite.INVITED

    def members(self, channel_id: str) -> list[str]:
        return []


@pytest.fixture
def channels() -> FakeChannels:
    return FakeChannels()


@pytest.fixture
def service(database: Database, channels: FakeChannels) -> GuildService:
    return GuildService(database, is_admin=lambda user: user == ADMIN, channels=channels)


@pytest.fixture
def mlops(service: GuildService) -> str:
    service.create(ADMIN, slug="mlops", channel_id="C0MLOPS", name="MLOps", description="Ship models")
    return "mlops"


def _q(text: str) -> GuildQuery:
    return GuildQuery(text=text)


def _kinds(database: Database) -> list[tuple[str, str | None, str | None]]:
    with database.unit_of_work() as uow:
        events = uow.session.scalars(select(ActivityEvent).order_by(ActivityEvent.id))
        return [(e.kind, e.guild, e.subject) for e in events]


def _memberships(database: Database) -> list[Membership]:
    with database.unit_of_work() as uow:
        return list(uow.session.scalars(select(Membership).order_by(Membership.id)))


def _together(n: int, work: Callable[[], object]) -> list[object]:
    """Run ``work`` on ``n`` threads released at the same moment; results or exceptions."""
    barrier, results, lock = threading.Barrier(n), [], threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            outcome: object = work()
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


# -- create ---------------------------------------------------------------------------


def test_an_admin_creates_a_guild_and_the_log_says_so(service: GuildService, database: Database) -> None:
    card = service.create(ADMIN, slug="llm-apps", channel_id="C0LLM", name="  LLM   apps ",
                          description="Build with LLMs").card
    assert (card.slug, card.name, card.channel_id, card.member_count) == ("llm-apps", "LLM apps", "C0LLM", 0)
    assert _kinds(database) == [("guild.created", "llm-apps", "LLM apps")]


@pytest.mark.parametrize(
    ("actor", "slug", "channel", "name", "problem"),
    [
        (ANA, "new", "C0NEW", "New", "Only factorybot admins can create guilds."),
        (ADMIN, "New Guild", "C0NEW", "New", "is not a valid slug"),
        (ADMIN, "x" * 41, "C0NEW", "New", "at most 40 characters"),
        (ADMIN, "mlops", "C0NEW", "New", "The slug `mlops` is taken by *MLOps*."),
        (ADMIN, "new", "C0NEW", "mlops", "There is already a guild called *MLOps* (`mlops`)."),
        (ADMIN, "new", "C0MLOPS", "New", "<#C0MLOPS> is already the channel of *MLOps* (`mlops`)."),
        (ADMIN, "new", "C0GONE", "New", "I can't find the channel <#C0GONE>."),
        (ADMIN, "new", "C0NEW", " ", "Give the guild a name"),
    ],
)
def test_bad_create_input_is_refused_and_changes_nothing(
    service: GuildService, database: Database, mlops: str, actor: str, slug: str, channel: str, name: str,
    problem: str,
) -> None:
    before = _kinds(database)
    with pytest.raises(GuildError, match=problem.replace("*", r"\*").replace("(", r"\(").replace(")", r"\)")):
        service.create(actor, slug=slug, channel_id=channel, name=name, description="")
    assert _kinds(database) == before
    assert service.page(ADMIN, 0).total == 1


def test_slack_is_not_asked_about_the_channel_when_the_rules_already_say_no(
    service: GuildService, channels: FakeChannels
) -> None:
    with pytest.raises(NotAllowed):
        service.create(ANA, slug="new", channel_id="C0NEW", name="New", description="")
    assert channels.asked == []


def test_an_archived_guilds_slug_stays_taken_but_its_channel_is_free(service: GuildService, mlops: str) -> None:
    service.archive(ADMIN, _q("mlops"))
    with pytest.raises(GuildError, match="archived; slugs are never reused"):
        service.create(ADMIN, slug="mlops", channel_id="C0MLOPS", name="MLOps 2", description="")
    card = service.create(ADMIN, slug="mlops-2", channel_id="C0MLOPS", name="MLOps", description="").card
    assert card.slug == "mlops-2"


# -- finding a guild ------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["mlops", "MLOPS", "MLOps", "#mlops", "  mlops "])
def test_a_guild_is_found_by_slug_or_name_in_any_case(service: GuildService, mlops: str, typed: str) -> None:
    assert service.info(ANA, _q(typed)).card.slug == "mlops"


def test_a_guild_is_found_by_its_channel(service: GuildService, mlops: str) -> None:
    assert service.info(ANA, GuildQuery(channel_id="C0MLOPS")).card.slug == "mlops"
    with pytest.raises(GuildError, match="is not a guild's channel"):
        service.info(ANA, GuildQuery(channel_id="C0RANDOM"))


def test_a_typo_gets_did_you_mean(service: GuildService, mlops: str) -> None:
    with pytest.raises(GuildError) as exc:
        service.join(ANA, _q("mlopz"))
    assert str(exc.value) == "No guild called `mlopz`. Did you mean `mlops`?"
    assert _memberships(service._db) == []


def test_an_archived_guild_says_so(service: GuildService, mlops: str) -> None:
    service.archive(ADMIN, _q("mlops"))
    with pytest.raises(GuildError, match="has been archived"):
        service.join(ANA, _q("mlops"))


# -- joining and leaving --------------------------------------------------------------


def test_join_then_join_again_is_one_membership_and_a_clear_answer(
    service: GuildService, database: Database, mlops: str
) -> None:
    change = service.join(ANA, _q("MLOps"))
    assert change.card.is_member and change.card.member_count == 1
    with pytest.raises(GuildError, match=r"You are already a member of \*MLOps\*"):
        service.join(ANA, _q("mlops"), source="button")
    assert [(m.member_id, m.left_at, m.source) for m in _memberships(database)] == [(ANA, None, "command")]
    assert _kinds(database)[1:] == [("guild.joined", "mlops", ANA)]


def test_leaving_keeps_the_history_and_rejoining_starts_a_new_membership(
    service: GuildService, database: Database, mlops: str
) -> None:
    service.join(ANA, _q("mlops"))
    left = service.leave(ANA, _q("mlops"))
    assert not left.card.is_member and left.card.member_count == 0
    with pytest.raises(GuildError, match=r"You are not a member of \*MLOps\*"):
        service.leave(ANA, _q("mlops"))
    service.join(ANA, _q("mlops"), source="button")
    rows = _memberships(database)
    assert [(r.left_at is None, r.source) for r in rows] == [(False, "command"), (True, "button")]
    assert [k for k, _, _ in _kinds(database)] == ["guild.created", "guild.joined", "guild.left", "guild.joined"]


def test_simultaneous_joins_make_one_membership(service: GuildService, database: Database, mlops: str) -> None:
    results = _together(6, lambda: service.join(ANA, _q("mlops"), source="button"))
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, GuildError) for r in results if isinstance(r, Exception)), results
    assert len(_memberships(database)) == 1
    assert [k for k, _, _ in _kinds(database)].count("guild.joined") == 1


def test_simultaneous_leaves_end_the_membership_once(service: GuildService, database: Database, mlops: str) -> None:
    service.join(ANA, _q("mlops"))
    results = _together(6, lambda: service.leave(ANA, _q("mlops")))
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, GuildError) for r in results if isinstance(r, Exception)), results
    assert [k for k, _, _ in _kinds(database)].count("guild.left") == 1


# -- channel sync ---------------------------------------------------------------------


def test_joining_the_channel_joins_the_guild_once_per_event(
    service: GuildService, database: Database, mlops: str
) -> None:
    change = service.channel_joined(event_key="guilds:Ev1", channel_id="C0MLOPS", user_id=BEN)
    assert change is not None and change.changed and change.card.is_member
    assert service.channel_joined(event_key="guilds:Ev1", channel_id="C0MLOPS", user_id=BEN) is None
    assert [(m.member_id, m.source) for m in _memberships(database)] == [(BEN, "channel")]


def test_a_channel_join_of_a_member_already_in_changes_nothing(service: GuildService, database: Database,
                                                             mlops: str) -> None:
    service.join(ANA, _q("mlops"))
    change = service.channel_joined(event_key="guilds:Ev2", channel_id="C0MLOPS", user_id=ANA)
    assert change is not None and not change.changed
    assert [k for k, _, _ in _kinds(database)].count("guild.joined") == 1


def test_leaving_the_channel_ends_the_membership(service: GuildService, database: Database, mlops: str) -> None:
    service.join(ANA, _q("mlops"))
    change = service.channel_left(event_key="guilds:Ev3", channel_id="C0MLOPS", user_id=ANA)
    assert change is not None and change.changed and change.card.member_count == 0
    assert ("guild.left", "mlops", ANA) in _kinds(database)


def test_events_of_channels_without_a_guild_are_ignored(service: GuildService, database: Database) -> None:
    assert service.channel_joined(event_key="guilds:Ev4", channel_id="C0RANDOM", user_id=ANA) is None
    assert _memberships(database) == []


def test_people_already_in_a_new_guilds_channel_become_members(service: GuildService, mlops: str) -> None:
    service.join(ANA, _q("mlops"))
    assert service.adopt_channel_members("mlops", [ANA, BEN, CAL, BEN]) == 2
    assert service.info(ADMIN, _q("mlops")).card.member_count == 3


# -- leads and archive ----------------------------------------------------------------


def test_admins_and_leads_change_leads_and_others_may_not(
    service: GuildService, database: Database, mlops: str
) -> None:
    assert service.change_lead(ADMIN, _q("mlops"), ANA, add=True).leads == (ANA,)
    assert service.change_lead(ANA, _q("mlops"), BEN, add=True).leads == (ANA, BEN)
    with pytest.raises(NotAllowed, match=r"Only admins and the leads of \*MLOps\*"):
        service.change_lead(CAL, _q("mlops"), CAL, add=True)
    with pytest.raises(GuildError, match="is already a lead"):
        service.change_lead(ADMIN, _q("mlops"), BEN, add=True)
    assert service.change_lead(BEN, _q("mlops"), ANA, add=False).leads == (BEN,)
    with pytest.raises(GuildError, match="is not a lead"):
        service.change_lead(ADMIN, _q("mlops"), CAL, add=False)
    assert [(k, s) for k, g, s in _kinds(database) if k.startswith("guild.lead")] == [
        ("guild.lead_added", ANA), ("guild.lead_added", BEN), ("guild.lead_removed", ANA)
    ]


def test_only_admins_archive_and_memberships_keep_their_history(
    service: GuildService, database: Database, mlops: str
) -> None:
    service.join(ANA, _q("mlops"))
    with pytest.raises(NotAllowed):
        service.archive(ANA, _q("mlops"))
    assert service.archive(ADMIN, _q("mlops")).member_count == 1
    with pytest.raises(GuildError, match="has been archived"):
        service.archive(ADMIN, _q("mlops"))
    assert service.page(ANA, 0).total == 0
    assert [m.left_at for m in _memberships(database)] == [None]
    assert _kinds(database)[-1] == ("guild.archived", "mlops", "MLOps")


# -- reading --------------------------------------------------------------------------


def test_five_hundred_guilds_page_by_ten_in_name_order(service: GuildService, database: Database) -> None:
    now = datetime.now(timezone.utc)
    with database.unit_of_work() as uow:
        ensure_member(uow.session, ADMIN)
        for i in range(500):
            repo.add_guild(uow.session, slug=f"g{i:03d}", name=f"Guild {i:03d}", description="",
                           channel_id=f"C{i:06d}", created_by=ADMIN, at=now)
        uow.commit()
    service.join(ANA, _q("g123"))
    first, middle, beyond = service.page(ANA, 0), service.page(ANA, 12), service.page(ANA, 99)
    assert (first.total, first.page_count, len(first.guilds)) == (500, 50, 10)
    assert [g.slug for g in first.guilds] == [f"g{i:03d}" for i in range(10)]
    assert [g.slug for g in middle.guilds if g.is_member] == ["g123"]
    assert beyond.page == 49 and beyond.guilds[-1].slug == "g499" and not beyond.has_next


def test_info_counts_the_skills_of_current_members_only(service: GuildService, database: Database,
                                                      mlops: str) -> None:
    from bot.guilds.members import MemberService

    from tests.integration.test_members import FakeDirectory

    members = MemberService(database, directory=FakeDirectory())
    members.update_profile(ANA, teach_text="python, ML ops", learn_text="LLMs")
    members.update_profile(BEN, teach_text="mlops", learn_text="llm, k8s")
    members.update_profile(CAL, teach_text="python", learn_text="")
    for person in (ANA, BEN, CAL):
        service.join(person, _q("mlops"))
    service.leave(CAL, _q("mlops"))
    info = service.info(ANA, _q("mlops"))
    assert info.top_skills == (("mlops", 2), ("python", 1))
    assert info.top_interests == (("llm", 2), ("kubernetes", 1))
    assert info.next_show_and_tell is None


def test_home_lists_my_guilds_and_some_others(service: GuildService, database: Database, mlops: str) -> None:
    for i in range(14):
        service.create(ADMIN, slug=f"g{i:02d}", channel_id=f"C{i:04d}", name=f"G {i:02d}", description="")
    service.join(ANA, _q("g03"))
    service.join(ANA, _q("mlops"))
    home = service.home(ANA, limit=10)
    assert [c.slug for c in home.mine] == ["g03", "mlops"]
    assert len(home.others) == 10 and home.more_others == 3
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Guild)) == 15


def test_activity_for_the_digest_is_readable_by_guild(service: GuildService, database: Database, mlops: str) -> None:
    service.join(ANA, _q("mlops"))
    now = datetime.now(timezone.utc)
    with database.unit_of_work() as uow:
        events = activity_between(uow.session, now - timedelta(hours=1), now + timedelta(hours=1), guild="mlops")
    assert [(e.kind, e.figures) for e in events] == [
        ("guild.created", {"channel": "C0MLOPS", "private": False}),
        ("guild.joined", {"source": "command"}),
    ]
