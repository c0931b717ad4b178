"""Guilds end to end — list, info, join and leave, buttons, forgiving names, App Home: signed requests
to the real app over HTTP, Web API calls asserted on the stand-in."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest
import requests
from sqlalchemy import select

from bot.sandbox import SlackRequestBuilder, SlackStandIn
from bot.sandbox.slack_standin import BOT_USER_ID
from storage import guilds as repo
from storage.db import Database
from storage.guilds import Membership
from storage.members import ensure_member
from tests.e2e.conftest import ADMIN, MEMBER
from tests.e2e.guild_support import (  # noqa: F401 - ``guild`` is a fixture
    LEAD,
    activity,
    command,
    guild,
    open_memberships,
    texts,
    zone_cached,
)
from tests.polling import eventually


# -- 1. list with paging ---------------------------------------------------------------


def test_list_shows_channel_member_count_leads_and_whether_i_am_in(
    signed: SlackRequestBuilder, slack: SlackStandIn, guild: str
) -> None:
    command(signed, slack, "join mlops")
    body = command(signed, slack, "list")
    row = next(b for b in body["blocks"] if b.get("block_id") == "guild:mlops")
    assert row["text"]["text"] == (
        "*MLOps* `mlops` · <#C0MLOPS01>\nShip models &amp; keep them healthy\n"
        "1 member · Leads: <@U0LEAD001> · :white_check_mark: you are a member"
    )
    assert (row["accessory"]["action_id"], row["accessory"]["value"]) == ("guild_leave", "mlops:0")
    other = command(signed, slack, "list", user=ADMIN)
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
    first = command(signed, slack, "list")
    assert len(first["blocks"]) <= 50 and "Page 1 of 50" in texts(first)
    assert [e["action_id"] for e in first["blocks"][-1]["elements"]] == ["guild_page_next"]

    signed.block_actions(action_id="guild_page_next", value="1", user_id=MEMBER, channel_id="C0GENERAL")
    second = slack.wait_for("response_url")[-1].params
    assert second["replace_original"] is True and "Page 2 of 50" in texts(second)
    assert "Guild 010" in texts(second) and "Guild 009" not in texts(second)

    signed.block_actions(action_id="guild_page_next", value="49", user_id=MEMBER, channel_id="C0GENERAL")
    last = slack.wait_for("response_url", count=2)[-1].params
    assert "Page 50 of 50" in texts(last) and "Guild 499" in texts(last)
    assert [e["action_id"] for e in last["blocks"][-1]["elements"]] == ["guild_page_previous"]
    assert all(c.ok for c in slack.calls("response_url"))  # the stand-in enforces 50 blocks per message


# -- 2. info ---------------------------------------------------------------------------


def test_info_shows_description_leads_member_count_and_top_skills(
    signed: SlackRequestBuilder, slack: SlackStandIn, guild: str
) -> None:
    for person, teach in ((MEMBER, "ML Ops, Python"), (ADMIN, "mlops")):
        signed.view_submission(callback_id="guild_profile", user_id=person,
                               values={"teach": {"teach": teach}, "learn": {"learn": "LLMs"}})
        command(signed, slack, "join mlops", user=person)
    body = command(signed, slack, "info mlops")
    shown = texts(body)
    assert body["blocks"][0]["type"] == "header" and body["blocks"][0]["text"]["text"] == "MLOps"
    assert "Ship models &amp; keep them healthy" in shown
    assert "*Leads* <@U0LEAD001>" in shown and "2 members" in shown
    assert "*Top skills* `mlops` (2), `python` (1)" in shown and "*Wants to learn* `llm` (2)" in shown
    assert "show-and-tell" not in shown.lower()


# -- 3. join and leave -----------------------------------------------------------------


def test_join_adds_the_member_and_invites_them_to_the_channel(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    reply = command(signed, slack, "join MLOps")
    assert reply["text"] == ":tada: You joined *MLOps* and I added you to <#C0MLOPS01>."
    (invite,) = slack.calls("conversations.invite")
    assert (invite.params["channel"], invite.params["users"]) == ("C0MLOPS01", MEMBER)
    assert slack.calls("conversations.join") == []  # the bot was in the channel already
    assert MEMBER in slack.members("C0MLOPS01")
    assert open_memberships(database, "mlops") == [(MEMBER, "command")]


def test_join_makes_the_bot_join_a_public_channel_first(
    signed: SlackRequestBuilder, slack: SlackStandIn, guild: str
) -> None:
    slack.add_channel("C0MLOPS01", name="mlops", members=[LEAD])  # the bot was removed meanwhile
    reply = command(signed, slack, "join mlops")
    assert "I added you to <#C0MLOPS01>" in reply["text"]
    methods = [c.method for c in slack.calls() if c.method.startswith("conversations.")]
    assert methods == ["conversations.info", "conversations.join", "conversations.invite"]


def test_joining_a_channel_i_am_already_in_counts_as_success(
    signed: SlackRequestBuilder, slack: SlackStandIn, guild: str
) -> None:
    slack.add_channel("C0MLOPS01", name="mlops", members=[BOT_USER_ID, LEAD, MEMBER])
    reply = command(signed, slack, "join mlops")
    assert reply["text"] == ":tada: You joined *MLOps*; you are already in <#C0MLOPS01>."
    assert [c.error for c in slack.calls("conversations.invite")] == ["already_in_channel"]


def test_a_private_channel_the_bot_cannot_reach_tells_the_member_which_lead_must_invite_it(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    slack.add_channel("C0MLOPS01", name="mlops", is_private=True, members=[LEAD])
    reply = command(signed, slack, "join mlops")
    assert reply["text"] == (
        "You joined *MLOps*, but I can't add you to <#C0MLOPS01>: it is private and I am not in it. "
        "Ask a lead of the guild (<@U0LEAD001>) to type `/invite @factorybot` in <#C0MLOPS01> so I can add "
        "members, or to add you by hand."
    )
    assert slack.calls("conversations.join") == [] and slack.calls("conversations.invite") == []
    assert open_memberships(database, "mlops") == [(MEMBER, "command")]  # the membership still counts


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "method_not_supported_for_channel_type"])
def test_every_unreachable_answer_from_slack_gets_the_same_plain_advice(
    signed: SlackRequestBuilder, slack: SlackStandIn, guild: str, error: str
) -> None:
    slack.fail("conversations.invite", error=error)
    assert "type `/invite @factorybot` in <#C0MLOPS01>" in command(signed, slack, "join mlops")["text"]


def test_leave_ends_the_membership_but_leaves_the_channel_to_the_member(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    command(signed, slack, "join mlops")
    reply = command(signed, slack, "leave mlops")
    assert reply["text"] == (
        "You left *MLOps*. I did not remove you from <#C0MLOPS01>: if you want to leave the channel too, "
        "type `/leave` there."
    )
    assert MEMBER in slack.members("C0MLOPS01")
    assert open_memberships(database, "mlops") == []
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
    assert open_memberships(database, "mlops") == [(MEMBER, "button")]

    signed.block_actions(action_id="guild_join", value="mlops:0", user_id=MEMBER, channel_id="C0GENERAL")
    twice = slack.wait_for("response_url", count=2)[-1].params
    assert "You are already a member of *MLOps*" in twice["blocks"][0]["text"]["text"]
    assert len(slack.calls("conversations.invite")) == 1

    signed.block_actions(action_id="guild_leave", value="mlops:0", user_id=MEMBER, channel_id="C0GENERAL")
    left = slack.wait_for("response_url", count=3)[-1].params
    assert left["blocks"][0]["text"]["text"].startswith("You left *MLOps*.")
    assert open_memberships(database, "mlops") == []


def test_a_double_clicked_join_makes_one_membership_and_one_invitation(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    requests_ = [signed.build_block_actions(action_id="guild_join", value="mlops:0", user_id=MEMBER,
                                            channel_id="C0GENERAL") for _ in range(2)]
    answers: list[int] = []

    def click(body: bytes, headers: dict[str, str]) -> None:
        answers.append(requests.post(signed.url, data=body, headers=signed.signed_headers(body, headers),
                                     timeout=10).status_code)

    threads = [threading.Thread(target=click, args=r) for r in requests_]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [200, 200]
    replies = [c.params["blocks"][0]["text"]["text"] for c in slack.wait_for("response_url", count=2)]
    assert sorted(r.split(" ")[0] for r in replies) == [":tada:", ":warning:"]
    assert len(slack.calls("conversations.invite")) == 1
    assert open_memberships(database, "mlops") == [(MEMBER, "button")]
    assert [k for k, _, s in activity(database) if s == MEMBER] == ["guild.joined"]


def test_the_join_button_on_a_guild_card_redraws_the_card(
    signed: SlackRequestBuilder, slack: SlackStandIn, guild: str
) -> None:
    card = command(signed, slack, "info mlops")
    button = next(b["accessory"] for b in card["blocks"] if "accessory" in b)
    assert (button["action_id"], button["value"]) == ("guild_join", "mlops:info")
    signed.block_actions(action_id="guild_join", value="mlops:info", user_id=MEMBER, channel_id="C0GENERAL")
    (redrawn,) = (c.params for c in slack.wait_for("response_url"))
    assert redrawn["replace_original"] is True
    assert "You joined *MLOps*" in texts(redrawn) and "1 member" in texts(redrawn)
    assert next(b["accessory"] for b in redrawn["blocks"] if "accessory" in b)["action_id"] == "guild_leave"


# -- 7. forgiving names ------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["mlops", "MLOPS", "MLOps", "#mlops", "<#C0MLOPS01|mlops>"])
def test_a_guild_is_found_by_slug_name_or_channel_in_any_case(
    signed: SlackRequestBuilder, slack: SlackStandIn, guild: str, typed: str
) -> None:
    assert command(signed, slack, f"info {typed}")["blocks"][0]["text"]["text"] == "MLOps"


def test_a_typo_gets_did_you_mean(signed: SlackRequestBuilder, slack: SlackStandIn, guild: str) -> None:
    assert command(signed, slack, "info mlopz")["text"] == "No guild called `mlopz`. Did you mean `mlops`?"


# -- 8. App Home -------------------------------------------------------------------------


def _guild_buttons(view: dict) -> dict[str, str]:
    return {b["block_id"]: b["accessory"]["action_id"] for b in view["blocks"]
            if b.get("block_id", "").startswith("guild:")}


def test_app_home_shows_my_guilds_and_the_others_with_buttons_that_work(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    slack.add_channel("C0LLM0001", name="llm-apps", members=[BOT_USER_ID])
    command(signed, slack, 'create llm-apps <#C0LLM0001|llm-apps> "LLM apps"', user=ADMIN)
    command(signed, slack, "join mlops")
    signed.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    view = slack.wait_for("views.publish")[-1].params["view"]
    assert _guild_buttons(view) == {"guild:mlops": "guild_leave", "guild:llm-apps": "guild_join"}
    assert texts(view).index("*Your guilds*") < texts(view).index("*MLOps*") < texts(view).index("*Other guilds*")

    signed.block_actions(action_id="guild_join", value="llm-apps", user_id=MEMBER, view=view)
    republished = slack.wait_for("views.publish", count=2)[-1].params["view"]
    assert _guild_buttons(republished) == {"guild:mlops": "guild_leave", "guild:llm-apps": "guild_leave"}
    assert MEMBER in slack.members("C0LLM0001")
    assert open_memberships(database, "llm-apps") == [(MEMBER, "button")]


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
    eventually(zone_cached(database, MEMBER))
