"""Guild channels and profiles end to end — channel membership events keep guild and channel in step;
the profile modal; time zones from users.info, cached a week."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import text, update

from bot.runtime.bootstrap import Bot
from bot.sandbox import SlackRequestBuilder, SlackStandIn
from bot.sandbox.slack_standin import BOT_USER_ID
from storage.db import Database
from storage.models import Member
from tests.e2e.conftest import MEMBER
from tests.e2e.guild_support import (  # noqa: F401 - ``guild`` is a fixture
    OTHER,
    activity,
    command,
    guild,
    open_memberships,
    row_counts,
    texts,
    zone_cached,
)
from tests.polling import eventually


# -- 5. channel sync -------------------------------------------------------------------


def _channel_event(kind: str, user: str, channel: str = "C0MLOPS01") -> dict:
    return {"type": kind, "user": user, "channel": channel, "channel_type": "C", "team": "T0FACTORY"}


def test_joining_the_channel_joins_the_guild_without_inviting_back(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    signed.event(_channel_event("member_joined_channel", OTHER), event_id="EvJOIN0001")
    eventually(lambda: open_memberships(database, "mlops") == [(OTHER, "channel")])
    eventually(zone_cached(database, OTHER))  # the member cache is the last thing the listener does
    assert slack.calls("conversations.invite") == [] and slack.calls("conversations.join") == []
    assert activity(database)[-1] == ("guild.joined", "mlops", OTHER)


def test_leaving_the_channel_leaves_the_guild(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    command(signed, slack, "join mlops")
    signed.event(_channel_event("member_left_channel", MEMBER), event_id="EvLEFT0001")
    eventually(lambda: open_memberships(database, "mlops") == [])
    assert activity(database)[-1] == ("guild.left", "mlops", MEMBER)


def test_a_retried_channel_event_changes_the_guild_once(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str, bot: Bot
) -> None:
    for _ in range(3):
        signed.event(_channel_event("member_joined_channel", OTHER), event_id="EvRETRY001")
    eventually(lambda: open_memberships(database, "mlops") == [(OTHER, "channel")])
    eventually(zone_cached(database, OTHER))
    bot.drain()
    assert [k for k, _, s in activity(database) if s == OTHER] == ["guild.joined"]
    with database.unit_of_work() as uow:
        assert uow.session.execute(text("SELECT count(*) FROM memberships")).scalar_one() == 1


def test_the_bots_own_channel_events_and_other_channels_are_ignored(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str, bot: Bot
) -> None:
    before = row_counts(database)
    signed.event(_channel_event("member_joined_channel", BOT_USER_ID))
    signed.event(_channel_event("member_joined_channel", OTHER, channel="C0RANDOM1"))
    bot.drain()
    assert row_counts(database) == before


# -- 6. profiles and time zones ----------------------------------------------------------


def test_profile_opens_a_modal_and_saves_normalised_tags(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database
) -> None:
    resp = signed.slash_command("/guild", "profile", user_id=MEMBER)
    assert resp.status_code == 200 and resp.text == ""
    (opened,) = slack.wait_for("views.open")
    assert opened.params["trigger_id"] == signed.last_trigger_id
    assert opened.params["view"]["callback_id"] == "guild_profile"
    values = {"teach": {"teach": "ML Ops, Python,  mlops"}, "learn": {"learn": "Gen AI\nLLMs"}}
    resp = signed.view_submission(callback_id="guild_profile", user_id=MEMBER, values=values)
    saved = resp.json()
    assert saved["response_action"] == "update"
    assert "*You can teach* `mlops`, `python`" in texts(saved["view"])
    assert "*You want to learn* `generative-ai`, `llm`" in texts(saved["view"])
    assert activity(database) == [("profile.updated", None, MEMBER)]

    eventually(zone_cached(database, MEMBER))  # opening the modal refreshed the member's zone right after
    signed.slash_command("/guild", "profile", user_id=MEMBER)
    reopened = slack.wait_for("views.open", count=2)[-1].params["view"]
    inputs = {b["block_id"]: b["element"].get("initial_value") for b in reopened["blocks"] if b["type"] == "input"}
    assert inputs == {"teach": "mlops, python", "learn": "generative-ai, llm"}
    assert "`America/New_York`" in texts(reopened)


def test_a_profile_with_too_many_tags_is_answered_in_the_form(signed: SlackRequestBuilder, database: Database) -> None:
    resp = signed.view_submission(callback_id="guild_profile", user_id=MEMBER,
                                  values={"teach": {"teach": ", ".join(f"s{i}" for i in range(30))},
                                          "learn": {"learn": ""}})
    body = resp.json()
    assert body["response_action"] == "errors" and "At most 25 skills" in body["errors"]["teach"]
    assert row_counts(database)["profile_tags"] == 0


def test_the_time_zone_comes_from_users_info_cached_then_refreshed_after_a_week(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    command(signed, slack, "join mlops")
    command(signed, slack, "leave mlops")
    command(signed, slack, "join mlops")
    assert [c.params["user"] for c in slack.wait_for("users.info")] == [MEMBER]
    with database.unit_of_work() as uow:
        member = uow.session.get(Member, MEMBER)
        assert (member.name, member.tz) == ("grace", "America/New_York")
        stale = datetime.now(timezone.utc) - timedelta(days=8)
        uow.session.execute(update(Member).where(Member.slack_id == MEMBER).values(tz_refreshed_at=stale))
        uow.commit()
    slack.add_user(MEMBER, name="grace", tz="Asia/Tokyo")
    command(signed, slack, "leave mlops")
    command(signed, slack, "join mlops")
    slack.wait_for("users.info", count=2)
    with database.unit_of_work() as uow:
        assert uow.session.get(Member, MEMBER).tz == "Asia/Tokyo"
