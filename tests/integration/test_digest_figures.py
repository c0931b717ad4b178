"""The digest's figures counted in SQL over a hand-built activity log, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from bot.digest.figures import Digest
from bot.digest.service import DigestError, DigestService
from bot.digest.weeks import IsoWeek
from storage.db import Database
from storage.guilds import add_guild, end_membership, start_membership
from storage.members import ensure_members
from storage.repositories import record_activity

PARIS = ZoneInfo("Europe/Paris")
WEEK = IsoWeek(2026, 48)  # Monday 23 to Sunday 29 November 2026
ADMIN = "U0ADMIN"
DAY = timedelta(days=1)


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in November 2026, Paris time."""
    return datetime(2026, 11, day, hour, minute, tzinfo=PARIS)


class NoPublisher:
    def publish(self, channel_id: str, digest: Digest, *, narrative: str, chart: bytes | None) -> str:
        raise AssertionError("nothing is posted while computing")


def seed(database: Database) -> None:
    """mlops (old) with U1–U4; llm created on Wednesday of the week with U5; one week of activity."""
    with database.unit_of_work() as uow:
        s = uow.session
        ensure_members(s, ["U1", "U2", "U3", "U4", "U5"])
        mlops = add_guild(s, slug="mlops", name="MLOps", description="", channel_id="C0MLOPS",
                          created_by=ADMIN, at=datetime(2026, 1, 1, tzinfo=PARIS))
        llm = add_guild(s, slug="llm", name="LLM apps", description="", channel_id="C0LLM",
                        created_by=ADMIN, at=at(25, 12))
        for member in ("U1", "U2", "U3"):
            start_membership(s, guild_id=mlops.id, member_id=member, source="command", at=at(5) - 300 * DAY)
        start_membership(s, guild_id=mlops.id, member_id="U4", source="command", at=at(24))
        start_membership(s, guild_id=llm.id, member_id="U5", source="command", at=at(25, 12, 5))
        end_membership(s, guild_id=mlops.id, member_id="U3", at=at(27, 18))

        def log(kind: str, when: datetime, actor: str | None = None, guild: str | None = None,
                subject: str | None = None, **figures: Any) -> None:
            record_activity(s, kind=kind, actor=actor, guild=guild, subject=subject, figures=figures, at=when)

        # the week before
        log("approval.approved", at(17), "U2", "mlops", "AR-0", tier="low", hours_to_decision=2.0)
        log("model.deployed", at(18), "U1", "mlops", "churn", alias="staging")
        # the week
        log("approval.requested", at(23), "U1", "mlops", "AR-1", tier="high")
        log("approval.approved", at(23, 14), "U2", "mlops", "AR-1", hours_to_decision=4.0)
        log("approval.requested", at(23, 15), "U1", "mlops", "AR-2", tier="low")
        log("approval.auto_approved", at(23, 15), "policy", "mlops", "AR-2", hours_to_decision=0.0)
        log("approval.requested", at(23, 16), "U3", "mlops", "AR-3", tier="medium")
        log("approval.sla_breached", at(24, 16), "sla", "mlops", "AR-3", stage="escalated")
        log("approval.rejected", at(24, 22), "U2", "mlops", "AR-3", hours_to_decision=30.0)
        log("model.deployed", at(24), "U1", "mlops", "churn", alias="production")
        log("model.rolled_back", at(25), "U2", "mlops", "churn", alias="production")
        log("model.version_registered", at(25), subject="churn", version="7")
        log("guild.joined", at(24), "U4", "mlops", "U4")
        log("guild.created", at(25, 12), ADMIN, "llm", "LLM apps")
        log("guild.joined", at(25, 12, 5), "U5", "llm", "U5")
        log("mentoring.matched", at(23), None, "mlops", "U1,U2")
        log("mentoring.checkin_answered", at(26), "U1", subject="7", answer="yes", met=True)
        log("mentoring.checkin_answered", at(26, 11), "U2", subject="7", answer="yes", met=True)
        log("mentoring.checkin_answered", at(26, 12), "U4", subject="8", answer="no", met=False)
        log("showtell.session_scheduled", at(23, 9), "U2", "mlops", "41")
        log("showtell.session_held", at(26, 16), None, "mlops", "40", talks=1, session=40)
        log("showtell.talk_held", at(26, 16), "U1", "mlops", "77", minutes=10, session=40)
        log("showtell.kudos", at(25), "U3")  # U3 was still in mlops
        log("showtell.link_shared", at(28), "U3")  # U3 had left: org only
        log("showtell.link_shared", at(26), "U5", "llm")
        log("guild.left", at(27, 18), "U3", "mlops", "U3")
        # the week after: never counted
        log("guild.joined", at(30), "U9", "mlops", "U9")
        uow.commit()


@pytest.fixture
def service(database: Database) -> DigestService:
    seed(database)
    return DigestService(database, zone=PARIS, publisher=NoPublisher())


def figures(digest: Digest) -> dict[str, Any]:
    return {line.label: line.current for stage in digest.stages for line in stage.figures}


def test_a_guilds_week_figure_by_figure(service: DigestService) -> None:
    [mlops] = service.digests(WEEK, guild="mlops", org=False)
    assert figures(mlops) == {
        "Requests reviewed": 3, "Rejected": 1, "High-risk requests": 1, "SLA breaches": 1, "Rollbacks": 1,
        "Median hours to decision": 4.0, "Auto-approved by policy": 1 / 3, "Decided within SLA": 2 / 3,
        "Members joined": 1, "Members left": 1, "Active builders": 4, "Mentoring matches": 1,
        "Check-ins that met": 0.5, "Show-and-tells held": 1, "Talks given": 1, "Show-and-tells planned": 1,
        "Model versions registered": 0, "Deployments completed": 1, "Models with a new production version": 1,
        "Check-in answers": 3, "Kudos": 1, "Links shared after talks": 0,
    }
    assert mlops.contributors == ("U1", "U2", "U3")  # 5, 5 (ties by id), 3 events
    lines = {line.label: line for stage in mlops.stages for line in stage.figures}
    assert lines["Requests reviewed"].change_text() == "+2"
    assert lines["Median hours to decision"].change_text() == "+2 h"
    assert lines["Deployments completed"].change_text() == "±0"
    assert lines["Requests reviewed"].series == (0, 0, 0, 0, 0, 0, 1, 3)
    assert mlops.weakest == (
        "Trust needs attention: decided within SLA at 67% this week, against an 8-week median of 83%."
    )


def test_the_org_counts_everything_once(service: DigestService) -> None:
    [org] = service.digests(WEEK, guilds=False)
    got = figures(org)
    assert (got["Active builders"], got["Model versions registered"], got["Links shared after talks"]) == (6, 1, 2)
    assert (got["Requests reviewed"], got["Check-in answers"], got["Members joined"]) == (3, 3, 2)
    assert org.contributors == ("U1", "U2", "U3") and org.title == "the whole org"


def test_a_guild_created_mid_week_has_no_weeks_before(service: DigestService) -> None:
    [llm] = service.digests(WEEK, guild="llm", org=False)
    builders = next(line for stage in llm.stages for line in stage.figures if line.label == "Active builders")
    assert builders.series == (None,) * 7 + (2,)  # U5 and the admin who created it
    assert builders.sparkline == "·······▄" and builders.change_text() == ""
    assert figures(llm)["Links shared after talks"] == 1 and llm.channel_id == "C0LLM"


def test_an_empty_week(service: DigestService) -> None:
    [mlops, org] = service.digests(IsoWeek(2026, 20), guild="mlops")  # nothing happened in May
    for digest in (mlops, org):
        got = figures(digest)
        assert got["Requests reviewed"] == 0 and got["Median hours to decision"] is None
        assert got["Decided within SLA"] is None and digest.contributors == ()
        assert digest.weakest.startswith("Too little history yet")


def test_an_unknown_guild_is_refused(service: DigestService) -> None:
    with pytest.raises(DigestError, match="No open guild called `nope`"):
        service.digests(WEEK, guild="nope")


def test_the_number_of_statements_does_not_grow_with_guilds(database: Database, service: DigestService) -> None:
    def statements() -> int:
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731 - (conn, cursor, statement, …)
        event.listen(database.engine, "before_cursor_execute", listener)
        try:
            digests = service.digests(WEEK)
        finally:
            event.remove(database.engine, "before_cursor_execute", listener)
        return len(seen), len(digests)

    few = statements()
    with database.unit_of_work() as uow:
        for i in range(20):
            add_guild(uow.session, slug=f"g{i}", name=f"G{i}", description="", channel_id=f"C0G{i}",
                      created_by=ADMIN, at=at(1))
        uow.commit()
    many = statements()
    assert few[1] == 3 and many[1] == 23
    assert few[0] == many[0] <= 8
