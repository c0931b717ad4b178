"""Flywheel digests end to end: the weekly job through the real scheduler under freezegun posting to
the Slack stand-in (the org digest with its PNG), once; ``/factory digest`` over signed requests."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

import jobs
from bot.runtime.bootstrap import Bot
from bot.runtime.settings import Settings, load_settings
from bot.sandbox import SlackRequestBuilder, SlackStandIn
from storage import digest as ledger
from storage.db import Database
from storage.guilds import add_guild, add_lead, start_membership
from storage.members import ensure_members
from storage.repositories import record_activity
from tests.e2e.conftest import ADMIN, BOT_TOKEN, MEMBER, SIGNING_SECRET, texts
from tests.e2e.test_mentoring import run_job

PARIS = ZoneInfo("Europe/Paris")
LEADERS = "C0LEADERS"


@pytest.fixture(autouse=True)
def _no_job_context() -> Iterator[None]:
    jobs.set_context(None)
    yield
    jobs.set_context(None)


@pytest.fixture
def bot_settings(database_url: str, slack: SlackStandIn) -> Settings:
    return load_settings(
        SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=slack.api_url,
        DATABASE_URL=database_url, FACTORY_ADMINS=ADMIN, FACTORY_SCHEDULER="off",
        FACTORY_TIMEZONE="Europe/Paris", FACTORY_DIGEST_CHANNEL=LEADERS,
    )


@pytest.fixture
def mlops(database: Database) -> None:
    """The mlops guild on #mlops with MEMBER, and a week of work in it (2026-W48)."""
    with database.unit_of_work() as uow:
        s = uow.session
        ensure_members(s, [MEMBER])
        guild = add_guild(s, slug="mlops", name="MLOps", description="", channel_id="C0MLOPS01", created_by=ADMIN,
                          at=datetime(2026, 1, 1, tzinfo=PARIS))
        start_membership(s, guild_id=guild.id, member_id=MEMBER, source="command", at=guild.created_at)
        for day in (24, 25, 26):
            record_activity(s, kind="model.deployed", actor=MEMBER, guild="mlops", subject="churn",
                            figures={"alias": "production"}, at=datetime(2026, 11, day, 11, tzinfo=PARIS))
        record_activity(s, kind="showtell.kudos", actor=ADMIN, at=datetime(2026, 11, 27, 16, tzinfo=PARIS))
        uow.commit()


def posts(slack: SlackStandIn) -> dict[str, dict[str, Any]]:
    return {c.params["channel"]: c.params for c in slack.calls("chat.postMessage") if c.ok}


@pytest.mark.usefixtures("mlops")
def test_monday_9_posts_every_digest_once_with_the_org_chart(bot: Bot, slack: SlackStandIn) -> None:
    run = run_job(bot, "digest.weekly", boot=datetime(2026, 11, 30, 8, 55, tzinfo=PARIS),
                  fire=datetime(2026, 11, 30, 9, 0, 5, tzinfo=PARIS))
    assert (run.outcome, run.detail) == ("ok", "2026-W48: 2 posted")
    sent = posts(slack)
    assert set(sent) == {"C0MLOPS01", LEADERS}
    guild_text = texts(sent["C0MLOPS01"]["blocks"])
    assert "Flywheel digest — MLOps — week 48" in guild_text and "*Deployments completed*\n3  (+3)" in guild_text
    assert "In week 48, MLOps had 1 active builder (+1 on the week before)" in guild_text
    assert f"Thank you <@{MEMBER}> for turning the flywheel this week." in guild_text
    org_text = texts(sent[LEADERS]["blocks"])
    assert f"Thank you <@{MEMBER}> and <@{ADMIN}>" in org_text and "*Kudos*\n1  (+1)" in org_text

    done = slack.calls("files.completeUploadExternal")
    assert [c.params["channel_id"] for c in done] == [LEADERS]  # the chart goes with the org digest only
    png = slack.uploaded(done[0].params["files"][0]["id"])
    assert Image.open(io.BytesIO(png)).format == "PNG"

    again = run_job(bot, "digest.catch_up", boot=datetime(2026, 11, 30, 9, 1, tzinfo=PARIS),
                    fire=datetime(2026, 11, 30, 9, 5, 5, tzinfo=PARIS))  # planned at 08:55 for 09:05
    assert again.detail == "2026-W48: nothing due"
    assert len(slack.calls("chat.postMessage")) == 2


@pytest.mark.usefixtures("mlops")
def test_a_monday_missed_is_caught_up_and_a_rate_limit_waited_for(bot: Bot, slack: SlackStandIn) -> None:
    slack.fail("chat.postMessage", retry_after=1)  # the client waits the second Slack asks for, then tries again
    run = run_job(bot, "digest.catch_up", boot=datetime(2026, 12, 2, 14, 0, tzinfo=PARIS),  # down until Wednesday
                  fire=datetime(2026, 12, 2, 14, 10, 5, tzinfo=PARIS))
    assert run.detail == "2026-W48: 2 posted"
    assert [c.ok for c in slack.calls("chat.postMessage")] == [False, True, True]
    with bot.db.unit_of_work() as uow:
        assert {p.status for p in ledger.posts_of_week(uow.session, "2026-W48").values()} == {"posted"}


def factory(signed: SlackRequestBuilder, slack: SlackStandIn, text: str, *, user: str) -> dict[str, Any]:
    """``/factory <text>``: slow, so the answer comes through response_url."""
    before = len(slack.calls("response_url"))
    assert signed.slash_command("/factory", text, user_id=user).status_code == 200
    return slack.wait_for("response_url", count=before + 1, timeout=20)[before].params


@pytest.mark.usefixtures("mlops")
def test_preview_for_anyone_send_for_admins_and_a_link_when_already_posted(
    bot_server: Any, signed: SlackRequestBuilder, slack: SlackStandIn
) -> None:
    preview = factory(signed, slack, "digest preview mlops", user=MEMBER)
    assert preview["response_type"] == "ephemeral" and "Flywheel digest — MLOps — week" in texts(preview)
    assert "so far" in texts(preview) and not slack.calls("chat.postMessage")
    assert "the whole org" in texts(factory(signed, slack, "digest preview", user=MEMBER))
    assert "No open guild called `nope`" in texts(factory(signed, slack, "digest preview nope", user=MEMBER))
    assert "Only factorybot admins" in texts(factory(signed, slack, "digest send mlops", user=MEMBER))

    first = texts(factory(signed, slack, "digest send mlops", user=ADMIN))
    assert "posted in <#C0MLOPS01>" in first
    second = texts(factory(signed, slack, "digest send mlops", user=ADMIN))
    assert "was already posted in <#C0MLOPS01>: see <https://slack.com/archives/C0MLOPS01/p" in second
    assert len(slack.calls("chat.postMessage")) == 1


LEAD = "U0LEAD001"


@pytest.fixture
def moved(mlops: None, database: Database) -> None:
    """LEAD leads mlops, whose 2026-W47 digest went out on its Monday; a second guild, llm."""
    with database.unit_of_work() as uow:
        s = uow.session
        ensure_members(s, [LEAD])
        mlops_id = ledger.guild_id(s, "mlops")
        assert mlops_id is not None
        add_lead(s, guild_id=mlops_id, member_id=LEAD, added_by=ADMIN, at=datetime(2026, 1, 1, tzinfo=PARIS))
        add_guild(s, slug="llm", name="LLM", description="", channel_id="C0LLM0001", created_by=ADMIN,
                  at=datetime(2026, 1, 1, tzinfo=PARIS))
        posted = datetime(2026, 11, 23, 9, tzinfo=PARIS)
        ledger.claim_post(s, channel_id="C0MLOPS01", week="2026-W47", scope="mlops", now=posted)
        ledger.mark_posted(s, channel_id="C0MLOPS01", week="2026-W47", ts="1763884800.000100", now=posted)
        uow.commit()


@pytest.mark.usefixtures("moved")
def test_a_lead_moves_their_guilds_digest_and_an_admin_turns_one_off(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn
) -> None:
    refused = texts(factory(signed, slack, "digest schedule mlops wednesday 14:00", user=MEMBER))
    assert "Only the leads of `mlops` and factorybot admins can move its digest." in refused
    wrong = texts(factory(signed, slack, "digest schedule mlops someday 14:00", user=LEAD))
    assert "`someday` is not a weekday" in wrong and "`/factory digest schedule mlops thursday 14:30`" in wrong
    moved = texts(factory(signed, slack, "digest schedule mlops wed 14:00", user=LEAD))
    assert "now goes out on Wednesdays at 14:00 (Europe/Paris)" in moved
    assert "is off" in texts(factory(signed, slack, "digest schedule llm off", user=ADMIN))

    monday = run_job(bot, "digest.weekly", boot=datetime(2026, 11, 30, 8, 55, tzinfo=PARIS),
                     fire=datetime(2026, 11, 30, 9, 0, 5, tzinfo=PARIS))
    assert monday.detail == "2026-W48: 1 posted"
    assert set(posts(slack)) == {LEADERS}  # mlops waits for Wednesday; llm is off
    # every 10 minutes from Monday's 08:55: 13:55 is before the new slot, 14:05 after
    wednesday = run_job(bot, "digest.catch_up", boot=datetime(2026, 12, 2, 13, 56, tzinfo=PARIS),
                        fire=datetime(2026, 12, 2, 14, 5, 5, tzinfo=PARIS))
    assert wednesday.detail == "2026-W48: 1 posted"
    assert set(posts(slack)) == {LEADERS, "C0MLOPS01"} and "C0LLM0001" not in posts(slack)
    assert "Flywheel digest — MLOps — week 48" in texts(posts(slack)["C0MLOPS01"]["blocks"])
