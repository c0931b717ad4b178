"""Guilds end to end: signed requests to the real app over HTTP, Web API calls asserted on the stand-in."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select, text, update

from bot.testing import SlackRequestBuilder, SlackStandIn
from bot.testing.slack_standin import BOT_USER_ID
from storage import guilds as repo
from storage.db import Database
from storage.guilds import Membership
from storage.members import ensure_member
from storage.models import ActivityEvent, Member
from tests.e2e.conftest import ADMIN, MEMBER

LEAD = "U0LEAD001"
OTHER = "U0OTHER01"


def _texts(payload: Any) -> str:
    """Every piece of text a person would read in a message or view."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                found.append(value) if key == "text" and isinstance(value, str) else walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(payload)
    return "\n".join(found)


def _command(signed: SlackRequestBuilder, slack: SlackStandIn, text_: str, *, user: str = MEMBER) -> dict:
    """``/guild <text>`` and its ephemeral answer, whether it came in the ack or through response_url."""
    before = len([c for c in slack.calls("response_url") if c.ok])
    resp = signed.slash_command("/guild", text_, user_id=user)
    assert resp.status_code == 200
    if resp.text:
        body = resp.json()
        assert body["response_type"] == "ephemeral"
        return body
    reply = slack.wait_for("response_url", count=before + 1)[-1].params
    assert reply.get("response_type") == "ephemeral"
    return reply


def _eventually(check: Callable[[], bool], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def _zone_cached(database: Database, user: str) -> Callable[[], bool]:
    """True once the member's time zone from users.info is stored: the last thing many listeners do,
    so a test that waits for it leaves no work running into the next test."""

    def check() -> bool:
        with database.unit_of_work() as uow:
            member = uow.session.get(Member, user)
            return member is not None and member.tz_refreshed_at is not None

    return check


def _open_memberships(database: Database, slug: str) -> list[tuple[str, str]]:
    with database.unit_of_work() as uow:
        rows = uow.session.execute(
            select(Membership.member_id, Membership.source)
            .join(repo.Guild, repo.Guild.id == Membership.guild_id)
            .where(repo.Guild.slug == slug, Membership.left_at.is_(None))
            .order_by(Membership.id)
        )
        return [tuple(r) for r in rows]


def _row_counts(database: Database) -> dict[str, int]:
    with database.unit_of_work() as uow:
        return {t: uow.session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ("guilds", "guild_leads", "memberships", "activity_events", "profile_tags")}


def _activity(database: Database) -> list[tuple[str, str | None, str | None]]:
    with database.unit_of_work() as uow:
        return [(e.kind, e.guild, e.subject)
                for e in uow.session.scalars(select(ActivityEvent).order_by(ActivityEvent.id))]


@pytest.fixture
def guild(signed: SlackRequestBuilder, slack: SlackStandIn) -> str:
    """``mlops`` on public #mlops where only the bot is, created by the admin, led by LEAD."""
    slack.add_user(LEAD, name="linus")
    slack.add_user(OTHER, name="otto")
    slack.add_channel("C0MLOPS01", name="mlops", members=[BOT_USER_ID])
    reply = _command(signed, slack, 'create mlops <#C0MLOPS01|mlops> "MLOps" Ship models &amp; keep them healthy',
                     user=ADMIN)
    assert "Created *MLOps*" in reply["text"]
    _command(signed, slack, "lead add mlops <@U0LEAD001|linus>", user=ADMIN)
    slack.reset()
    return "mlops"


# -- 4. create, leads, archive ---------------------------------------------------------


def test_an_admin_creates_a_guild_and_the_people_in_its_channel_become_members(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database
) -> None:
    slack.add_channel("C0LLM0001", name="llm-apps", members=[ADMIN, OTHER])
    resp = signed.slash_command("/guild", 'create llm-apps <#C0LLM0001|llm-apps> "LLM apps" Build with LLMs',
                                user_id=ADMIN)
    assert resp.status_code == 200 and resp.text == ""  # acknowledged at once, answered after
    reply = slack.wait_for("response_url")[0].params
    assert "Created *LLM apps* (`llm-apps`) with channel <#C0LLM0001>" in _texts(reply)
    assert "2 people already in the channel became members" in _texts(reply)
    assert [c.params["channel"] for c in slack.calls("conversations.join")] == ["C0LLM0001"]
    assert BOT_USER_ID in slack.members("C0LLM0001")
    assert sorted(_open_memberships(database, "llm-apps")) == [(ADMIN, "channel"), (OTHER, "channel")]
    assert _activity(database)[0] == ("guild.created", "llm-apps", "LLM apps")


def test_create_needs_the_channel_picked_so_slack_sends_its_id(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database
) -> None:
    reply = _command(signed, slack, 'create llm-apps #llm-apps "LLM apps"', user=ADMIN)
    assert "Pick the channel from Slack's autocomplete list" in reply["text"]
    assert slack.calls("conversations.info") == [] and _row_counts(database)["guilds"] == 0


def test_create_checks_the_channel_exists(signed: SlackRequestBuilder, slack: SlackStandIn, database: Database) -> None:
    reply = _command(signed, slack, 'create ghost <#C0GHOST01|ghost> "Ghost"', user=ADMIN)
    assert reply["text"].startswith("I can't find the channel <#C0GHOST01>.")
    assert "`/invite @factorybot`" in reply["text"]
    assert [c.error for c in slack.calls("conversations.info")] == ["channel_not_found"]
    assert _row_counts(database)["guilds"] == 0


def test_leads_are_changed_by_admins_and_leads_only(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    reply = _command(signed, slack, "lead add MLOps <@U0MEMBER1|grace>", user=LEAD)
    assert reply["text"] == "<@U0MEMBER1> is now a lead of *MLOps*. Leads: <@U0LEAD001>, <@U0MEMBER1>."
    reply = _command(signed, slack, "lead remove mlops <@U0LEAD001|linus>", user=ADMIN)
    assert "<@U0LEAD001> is no longer a lead" in reply["text"]
    before = _row_counts(database)
    reply = _command(signed, slack, "lead add mlops <@U0OTHER01|otto>", user=LEAD)
    assert reply["text"] == "Only admins and the leads of *MLOps* can change its leads."
    reply = _command(signed, slack, "lead add mlops @otto", user=ADMIN)
    assert "Pick the person from Slack's autocomplete list" in reply["text"]
    assert _row_counts(database) == before
    assert [k for k, _, _ in _activity(database) if k.startswith("guild.lead")] == [
        "guild.lead_added", "guild.lead_added", "guild.lead_removed"
    ]


def test_an_admin_archives_a_guild_and_it_leaves_the_list(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    _command(signed, slack, "join mlops")
    assert _command(signed, slack, "archive mlops", user=MEMBER)["text"] == "Only factorybot admins can archive guilds."
    reply = _command(signed, slack, "archive mlops", user=ADMIN)
    assert reply["text"].startswith("Archived *MLOps* (`mlops`). The history of its 1 member is kept")
    assert "There are no guilds yet" in _texts(_command(signed, slack, "list"))
    assert _open_memberships(database, "mlops") == [(MEMBER, "command")]
    assert _command(signed, slack, "join mlops")["text"] == "*MLOps* (`mlops`) has been archived."


# -- 1. list with paging ---------------------------------------------------------------


def test_list_shows_channel_member_count_leads_and_whether_i_am_in(
    signed: SlackRequestBuilder, slack: SlackStandIn, guild: str
) -> None:
    _command(signed, slack, "join mlops")
    body = _command(signed, slack, "list")
    row = next(b for b in body["blocks"] if b.get("block_id") == "guild:mlops")
    assert row["text"]["text"] == (
        "*MLOps* `mlops` · <#C0MLOPS01>\nShip models &amp; keep them healthy\n"
        "1 member · Leads: <@U0LEAD001> · :white_check_mark: you are a member"
    )
    assert (row["accessory"]["action_id"], row["accessory"]["value"]) == ("guild_leave", "mlops:0")
    other = _command(signed, slack, "list", user=ADMIN)
    assert next(b for b in other["blocks"] if b.get("block_id") == "guild:mlops")["accessory"]["text"]["text"] == "Join"


def test_five_hundred_guilds_page_with_buttons_and_every_page_fits_in_a_message(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database
) -> None:
    now = datetime.now(timezone.utc)
    with database.unit_of_work() as uow:
        ensure_member(uow.session, ADMIN)
        for i in range(500):
            repo.add_guild(uow.session, slug=f"guild-{i:03d}", name=f"Guild {i:03d}", description="d" * 300,
                           channel_id=f"C{i:08d}", created_by=ADMIN, at=now)
        uow.commit()
    first = _command(signed, slack, "list")
    assert len(first["blocks"]) <= 50 and "Page 1 of 50" in _texts(first)
    assert [e["action_id"] for e in first["blocks"][-1]["elements"]] == ["guild_page_next"]

    signed.block_actions(action_id="guild_page_next", value="1", user_id=MEMBER, channel_id="C0GENERAL")
    second = slack.wait_for("response_url")[-1].params
    assert second["replace_original"] is True and "Page 2 of 50" in _texts(second)
    assert "Guild 010" in _texts(second) and "Guild 009" not in _texts(second)

    signed.block_actions(action_id="guild_page_next", value="49", user_id=MEMBER, channel_id="C0GENERAL")
    last = slack.wait_for("response_url", count=2)[-1].params
    assert "Page 50 of 50" in _texts(last) and "Guild 499" in _texts(last)
    assert [e["action_id"] for e in last["blocks"][-1]["elements"]] == ["guild_page_previous"]
    assert all(c.ok for c in slack.calls("response_url"))  # the stand-in enforces 50 blocks per message


# -- 2. info ---------------------------------------------------------------------------


def test_info_shows_description_leads_member_count_and_top_skills(
    signed: SlackRequestBuilder, slack: SlackStandIn, guild: str
) -> None:
    for person, teach in ((MEMBER, "ML Ops, Python"), (ADMIN, "mlops")):
        signed.view_submission(callback_id="guild_profile", user_id=person,
                               values={"teach": {"teach": teach}, "learn": {"learn": "LLMs"}})
        _command(signed, slack, "join mlops", user=person)
    body = _command(signed, slack, "info mlops")
    shown = _texts(body)
    assert body["blocks"][0]["type"] == "header" and body["blocks"][0]["text"]["text"] == "MLOps"
    assert "Ship models &amp; keep them healthy" in shown
    assert "*Leads* <@U0LEAD001>" in shown and "2 members" in shown
    assert "*Top skills* `mlops` (2), `python` (1)" in shown and "*Wants to learn* `llm` (2)" in shown
    assert "show-and-tell" not in shown.lower()


# -- 3. join and leave -----------------------------------------------------------------


def test_join_adds_the_member_and_invites_them_to_the_channel(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    reply = _command(signed, slack, "join MLOps")
    assert reply["text"] == ":tada: You joined *MLOps* and I added you to <#C0MLOPS01>."
    (invite,) = slack.calls("conversations.invite")
    assert (invite.params["channel"], invite.params["users"]) == ("C0MLOPS01", MEMBER)
    assert slack.calls("conversations.join") == []  # the bot was in the channel already
    assert MEMBER in slack.members("C0MLOPS01")
    assert _open_memberships(database, "mlops") == [(MEMBER, "command")]


def test_join_makes_the_bot_join_a_public_channel_first(
    signed: SlackRequestBuilder, slack: SlackStandIn, guild: str
) -> None:
    slack.add_channel("C0MLOPS01", name="mlops", members=[LEAD])  # the bot was removed meanwhile
    reply = _command(signed, slack, "join mlops")
    assert "I added you to <#C0MLOPS01>" in reply["text"]
    methods = [c.method for c in slack.calls() if c.method.startswith("conversations.")]
    assert methods == ["conversations.info", "conversations.join", "conversations.invite"]


def test_joining_a_channel_i_am_already_in_counts_as_success(
    signed: SlackRequestBuilder, slack: SlackStandIn, guild: str
) -> None:
    slack.add_channel("C0MLOPS01", name="mlops", members=[BOT_USER_ID, LEAD, MEMBER])
    reply = _command(signed, slack, "join mlops")
    assert reply["text"] == ":tada: You joined *MLOps*; you are already in <#C0MLOPS01>."
    assert [c.error for c in slack.calls("conversations.invite")] == ["already_in_channel"]


def test_a_private_channel_the_bot_cannot_reach_tells_the_member_which_lead_must_invite_it(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    slack.add_channel("C0MLOPS01", name="mlops", is_private=True, members=[LEAD])
    reply = _command(signed, slack, "join mlops")
    assert reply["text"] == (
        "You joined *MLOps*, but I can't add you to <#C0MLOPS01>: it is private and I am not in it. "
        "Ask a lead of the guild (<@U0LEAD001>) to type `/invite @factorybot` in <#C0MLOPS01> so I can add "
        "members, or to add you by hand."
    )
    assert slack.calls("conversations.join") == [] and slack.calls("conversations.invite") == []
    assert _open_memberships(database, "mlops") == [(MEMBER, "command")]  # the membership still counts


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "method_not_supported_for_channel_type"])
def test_every_unreachable_answer_from_slack_gets_the_same_plain_advice(
    signed: SlackRequestBuilder, slack: SlackStandIn, guild: str, error: str
) -> None:
    slack.fail("conversations.invite", error=error)
    assert "type `/invite @factorybot` in <#C0MLOPS01>" in _command(signed, slack, "join mlops")["text"]


def test_leave_ends_the_membership_but_leaves_the_channel_to_the_member(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    _command(signed, slack, "join mlops")
    reply = _command(signed, slack, "leave mlops")
    assert reply["text"] == (
        "You left *MLOps*. I did not remove you from <#C0MLOPS01>: if you want to leave the channel too, "
        "type `/leave` there."
    )
    assert MEMBER in slack.members("C0MLOPS01")
    assert _open_memberships(database, "mlops") == []
    with database.unit_of_work() as uow:
        (row,) = uow.session.scalars(select(Membership).where(Membership.member_id == MEMBER))
        assert row.left_at is not None  # history kept, not deleted


def test_join_and_leave_buttons_on_the_list_redraw_the_page(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    signed.block_actions(action_id="guild_join", value="mlops:0", user_id=MEMBER, channel_id="C0GENERAL")
    joined = slack.wait_for("response_url")[-1].params
    assert joined["replace_original"] is True
    assert joined["blocks"][0]["text"]["text"] == ":tada: You joined *MLOps* and I added you to <#C0MLOPS01>."
    row = next(b for b in joined["blocks"] if b.get("block_id") == "guild:mlops")
    assert row["accessory"]["action_id"] == "guild_leave"
    assert _open_memberships(database, "mlops") == [(MEMBER, "button")]

    signed.block_actions(action_id="guild_join", value="mlops:0", user_id=MEMBER, channel_id="C0GENERAL")
    twice = slack.wait_for("response_url", count=2)[-1].params
    assert "You are already a member of *MLOps*" in twice["blocks"][0]["text"]["text"]
    assert len(slack.calls("conversations.invite")) == 1

    signed.block_actions(action_id="guild_leave", value="mlops:0", user_id=MEMBER, channel_id="C0GENERAL")
    left = slack.wait_for("response_url", count=3)[-1].params
    assert left["blocks"][0]["text"]["text"].startswith("You left *MLOps*.")
    assert _open_memberships(database, "mlops") == []


# -- 5. channel sync -------------------------------------------------------------------


def _channel_event(kind: str, user: str, channel: str = "C0MLOPS01") -> dict:
    return {"type": kind, "user": user, "channel": channel, "channel_type": "C", "team": "T0FACTORY"}


def test_joining_the_channel_joins_the_guild_without_inviting_back(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    signed.event(_channel_event("member_joined_channel", OTHER), event_id="EvJOIN0001")
    _eventually(lambda: _open_memberships(database, "mlops") == [(OTHER, "channel")])
    _eventually(_zone_cached(database, OTHER))  # the member cache is the last thing the listener does
    assert slack.calls("conversations.invite") == [] and slack.calls("conversations.join") == []
    assert _activity(database)[-1] == ("guild.joined", "mlops", OTHER)


def test_leaving_the_channel_leaves_the_guild(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    _command(signed, slack, "join mlops")
    signed.event(_channel_event("member_left_channel", MEMBER), event_id="EvLEFT0001")
    _eventually(lambda: _open_memberships(database, "mlops") == [])
    assert _activity(database)[-1] == ("guild.left", "mlops", MEMBER)


def test_a_retried_channel_event_changes_the_guild_once(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    for _ in range(3):
        signed.event(_channel_event("member_joined_channel", OTHER), event_id="EvRETRY001")
    _eventually(lambda: _open_memberships(database, "mlops") == [(OTHER, "channel")])
    _eventually(_zone_cached(database, OTHER))
    time.sleep(0.3)
    assert [k for k, _, s in _activity(database) if s == OTHER] == ["guild.joined"]
    with database.unit_of_work() as uow:
        assert uow.session.execute(text("SELECT count(*) FROM memberships")).scalar_one() == 1


def test_the_bots_own_channel_events_and_other_channels_are_ignored(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    before = _row_counts(database)
    signed.event(_channel_event("member_joined_channel", BOT_USER_ID))
    signed.event(_channel_event("member_joined_channel", OTHER, channel="C0RANDOM1"))
    time.sleep(0.3)
    assert _row_counts(database) == before


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
    assert "*You can teach* `mlops`, `python`" in _texts(saved["view"])
    assert "*You want to learn* `generative-ai`, `llm`" in _texts(saved["view"])
    assert _activity(database) == [("profile.updated", None, MEMBER)]

    _eventually(_zone_cached(database, MEMBER))  # opening the modal refreshed the member's zone right after
    signed.slash_command("/guild", "profile", user_id=MEMBER)
    reopened = slack.wait_for("views.open", count=2)[-1].params["view"]
    inputs = {b["block_id"]: b["element"].get("initial_value") for b in reopened["blocks"] if b["type"] == "input"}
    assert inputs == {"teach": "mlops, python", "learn": "generative-ai, llm"}
    assert "`America/New_York`" in _texts(reopened)


def test_a_profile_with_too_many_tags_is_answered_in_the_form(signed: SlackRequestBuilder, database: Database) -> None:
    resp = signed.view_submission(callback_id="guild_profile", user_id=MEMBER,
                                  values={"teach": {"teach": ", ".join(f"s{i}" for i in range(30))},
                                          "learn": {"learn": ""}})
    body = resp.json()
    assert body["response_action"] == "errors" and "At most 25 skills" in body["errors"]["teach"]
    assert _row_counts(database)["profile_tags"] == 0


def test_the_time_zone_comes_from_users_info_cached_then_refreshed_after_a_week(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    _command(signed, slack, "join mlops")
    _command(signed, slack, "leave mlops")
    _command(signed, slack, "join mlops")
    assert [c.params["user"] for c in slack.wait_for("users.info")] == [MEMBER]
    with database.unit_of_work() as uow:
        member = uow.session.get(Member, MEMBER)
        assert (member.name, member.tz) == ("grace", "America/New_York")
        stale = datetime.now(timezone.utc) - timedelta(days=8)
        uow.session.execute(update(Member).where(Member.slack_id == MEMBER).values(tz_refreshed_at=stale))
        uow.commit()
    slack.add_user(MEMBER, name="grace", tz="Asia/Tokyo")
    _command(signed, slack, "leave mlops")
    _command(signed, slack, "join mlops")
    slack.wait_for("users.info", count=2)
    with database.unit_of_work() as uow:
        assert uow.session.get(Member, MEMBER).tz == "Asia/Tokyo"


# -- 7. forgiving names ------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["mlops", "MLOPS", "MLOps", "#mlops", "<#C0MLOPS01|mlops>"])
def test_a_guild_is_found_by_slug_name_or_channel_in_any_case(
    signed: SlackRequestBuilder, slack: SlackStandIn, guild: str, typed: str
) -> None:
    assert _command(signed, slack, f"info {typed}")["blocks"][0]["text"]["text"] == "MLOps"


def test_a_typo_gets_did_you_mean(signed: SlackRequestBuilder, slack: SlackStandIn, guild: str) -> None:
    assert _command(signed, slack, "info mlopz")["text"] == "No guild called `mlopz`. Did you mean `mlops`?"


# -- 8. App Home -------------------------------------------------------------------------


def _guild_buttons(view: dict) -> dict[str, str]:
    return {b["block_id"]: b["accessory"]["action_id"] for b in view["blocks"]
            if b.get("block_id", "").startswith("guild:")}


def test_app_home_shows_my_guilds_and_the_others_with_buttons_that_work(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    slack.add_channel("C0LLM0001", name="llm-apps", members=[BOT_USER_ID])
    _command(signed, slack, 'create llm-apps <#C0LLM0001|llm-apps> "LLM apps"', user=ADMIN)
    _command(signed, slack, "join mlops")
    signed.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    view = slack.wait_for("views.publish")[-1].params["view"]
    assert _guild_buttons(view) == {"guild:mlops": "guild_leave", "guild:llm-apps": "guild_join"}
    assert _texts(view).index("*Your guilds*") < _texts(view).index("*MLOps*") < _texts(view).index("*Other guilds*")

    signed.block_actions(action_id="guild_join", value="llm-apps", user_id=MEMBER, view=view)
    republished = slack.wait_for("views.publish", count=2)[-1].params["view"]
    assert _guild_buttons(republished) == {"guild:mlops": "guild_leave", "guild:llm-apps": "guild_leave"}
    assert MEMBER in slack.members("C0LLM0001")
    assert _open_memberships(database, "llm-apps") == [(MEMBER, "button")]


def test_a_home_join_into_an_unreachable_channel_sends_the_advice_by_direct_message(
    signed: SlackRequestBuilder, slack: SlackStandIn, guild: str
) -> None:
    slack.add_channel("C0MLOPS01", name="mlops", is_private=True, members=[LEAD])
    signed.block_actions(action_id="guild_join", value="mlops", user_id=MEMBER, view={"id": "V0HOME", "type": "home"})
    (dm,) = slack.wait_for("chat.postMessage")
    assert dm.params["channel"] == MEMBER and "`/invite @factorybot`" in dm.params["text"]
    slack.wait_for("views.publish")


def test_the_home_profile_button_opens_the_profile_modal(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database
) -> None:
    signed.block_actions(action_id="guild_profile_open", value="profile", user_id=MEMBER,
                         view={"id": "V0HOME", "type": "home"})
    (opened,) = slack.wait_for("views.open")
    assert opened.params["view"]["callback_id"] == "guild_profile"
    _eventually(_zone_cached(database, MEMBER))


# -- 9. activity log ---------------------------------------------------------------------


def test_every_join_leave_create_and_lead_change_is_logged_with_its_guild(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    _command(signed, slack, "join mlops")
    _command(signed, slack, "leave mlops")
    _command(signed, slack, "lead remove mlops <@U0LEAD001|linus>", user=ADMIN)
    _command(signed, slack, "archive mlops", user=ADMIN)
    assert _activity(database) == [
        ("guild.created", "mlops", "MLOps"),
        ("guild.lead_added", "mlops", LEAD),
        ("guild.joined", "mlops", MEMBER),
        ("guild.left", "mlops", MEMBER),
        ("guild.lead_removed", "mlops", LEAD),
        ("guild.archived", "mlops", "MLOps"),
    ]


# -- 10. bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "user", "problem"),
    [
        ("join finance", MEMBER, "No guild called `finance`. `/guild list` shows them all."),
        ("join", MEMBER, "Which guild? Give its name or slug, for example `mlops`."),
        ("leave mlops", MEMBER, "You are not a member of *MLOps*."),
        ('create mlops <#C0NEW0001|new> "New"', ADMIN, "The slug `mlops` is taken by *MLOps*."),
        ('create New-Guild <#C0NEW0001|new> "New"', ADMIN,
         "`New-Guild` is not a valid slug: use only a-z, 0-9 and -. Try `new-guild`."),
        ('create new <#C0NEW0001|new> "New"', MEMBER, "Only factorybot admins can create guilds."),
        ("archive mlops", MEMBER, "Only factorybot admins can archive guilds."),
        ("lead add mlops <@U0OTHER01|otto>", MEMBER, "Only admins and the leads of *MLOps* can change its leads."),
        ("lead promote mlops <@U0OTHER01|otto>", ADMIN, "Usage: `/guild lead add|remove <guild> @user`."),
    ],
)
def test_bad_input_gets_a_specific_ephemeral_answer_and_changes_nothing(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str, command: str, user: str,
    problem: str,
) -> None:
    slack.add_channel("C0NEW0001", name="new")
    before = _row_counts(database)
    reply = _command(signed, slack, command, user=user)
    assert reply["text"] == problem
    assert _row_counts(database) == before
    assert slack.calls("conversations.invite") == [] and slack.calls("conversations.join") == []


def test_already_a_member_is_told_so(signed: SlackRequestBuilder, slack: SlackStandIn, database: Database,
                                     guild: str) -> None:
    _command(signed, slack, "join mlops")
    before = _row_counts(database)
    assert _command(signed, slack, "join mlops")["text"] == "You are already a member of *MLOps* (<#C0MLOPS01>)."
    assert _row_counts(database) == before
    assert len(slack.calls("conversations.invite")) == 1
