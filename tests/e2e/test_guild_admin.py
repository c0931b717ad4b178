"""Running guilds end to end — create, leads, archive, the activity log, and bad input answered
specifically without changing anything."""

from __future__ import annotations

import pytest

from bot.sandbox import SlackRequestBuilder, SlackStandIn
from bot.sandbox.slack_standin import BOT_USER_ID
from storage.db import Database
from tests.e2e.conftest import ADMIN, MEMBER
from tests.e2e.guild_support import (  # noqa: F401 - ``guild`` is a fixture
    LEAD,
    OTHER,
    activity,
    command,
    guild,
    open_memberships,
    row_counts,
    texts,
)


# -- 4. create, leads, archive ---------------------------------------------------------


def test_an_admin_creates_a_guild_and_the_people_in_its_channel_become_members(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database
) -> None:
    slack.add_channel("C0LLM0001", name="llm-apps", members=[ADMIN, OTHER])
    resp = signed.slash_command("/guild", 'create llm-apps <#C0LLM0001|llm-apps> "LLM apps" Build with LLMs',
                                user_id=ADMIN)
    assert resp.status_code == 200 and resp.text == ""  # acknowledged at once, answered after
    reply = slack.wait_for("response_url")[0].params
    assert "Created *LLM apps* (`llm-apps`) with channel <#C0LLM0001>" in texts(reply)
    assert "2 people already in the channel became members" in texts(reply)
    assert [c.params["channel"] for c in slack.calls("conversations.join")] == ["C0LLM0001"]
    assert BOT_USER_ID in slack.members("C0LLM0001")
    assert sorted(open_memberships(database, "llm-apps")) == [(ADMIN, "channel"), (OTHER, "channel")]
    assert activity(database)[0] == ("guild.created", "llm-apps", "LLM apps")


def test_create_needs_the_channel_picked_so_slack_sends_its_id(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database
) -> None:
    reply = command(signed, slack, 'create llm-apps #llm-apps "LLM apps"', user=ADMIN)
    assert "Pick the channel from Slack's autocomplete list" in reply["text"]
    assert slack.calls("conversations.info") == [] and row_counts(database)["guilds"] == 0


def test_create_checks_the_channel_exists(signed: SlackRequestBuilder, slack: SlackStandIn, database: Database) -> None:
    reply = command(signed, slack, 'create ghost <#C0GHOST01|ghost> "Ghost"', user=ADMIN)
    assert reply["text"].startswith("I can't find the channel <#C0GHOST01>.")
    assert "`/invite @factorybot`" in reply["text"]
    assert [c.error for c in slack.calls("conversations.info")] == ["channel_not_found"]
    assert row_counts(database)["guilds"] == 0


def test_leads_are_changed_by_admins_and_leads_only(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    reply = command(signed, slack, "lead add MLOps <@U0MEMBER1|grace>", user=LEAD)
    assert reply["text"] == "<@U0MEMBER1> is now a lead of *MLOps*. Leads: <@U0LEAD001>, <@U0MEMBER1>."
    reply = command(signed, slack, "lead remove mlops <@U0LEAD001|linus>", user=ADMIN)
    assert "<@U0LEAD001> is no longer a lead" in reply["text"]
    before = row_counts(database)
    reply = command(signed, slack, "lead add mlops <@U0OTHER01|otto>", user=LEAD)
    assert reply["text"] == "Only admins and the leads of *MLOps* can change its leads."
    reply = command(signed, slack, "lead add mlops @otto", user=ADMIN)
    assert "Pick the person from Slack's autocomplete list" in reply["text"]
    assert row_counts(database) == before
    assert [k for k, _, _ in activity(database) if k.startswith("guild.lead")] == [
        "guild.lead_added", "guild.lead_added", "guild.lead_removed"
    ]


def test_an_admin_archives_a_guild_and_it_leaves_the_list(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    command(signed, slack, "join mlops")
    assert command(signed, slack, "archive mlops", user=MEMBER)["text"] == "Only factorybot admins can archive guilds."
    reply = command(signed, slack, "archive mlops", user=ADMIN)
    assert reply["text"].startswith("Archived *MLOps* (`mlops`). The history of its 1 member is kept")
    assert "There are no guilds yet" in texts(command(signed, slack, "list"))
    assert open_memberships(database, "mlops") == [(MEMBER, "command")]
    assert command(signed, slack, "join mlops")["text"] == "*MLOps* (`mlops`) has been archived."


# -- 9. activity log ---------------------------------------------------------------------


def test_every_join_leave_create_and_lead_change_is_logged_with_its_guild(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    command(signed, slack, "join mlops")
    command(signed, slack, "leave mlops")
    command(signed, slack, "lead remove mlops <@U0LEAD001|linus>", user=ADMIN)
    command(signed, slack, "archive mlops", user=ADMIN)
    assert activity(database) == [
        ("guild.created", "mlops", "MLOps"),
        ("guild.lead_added", "mlops", LEAD),
        ("guild.joined", "mlops", MEMBER),
        ("guild.left", "mlops", MEMBER),
        ("guild.lead_removed", "mlops", LEAD),
        ("guild.archived", "mlops", "MLOps"),
    ]


# -- 10. bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "user", "problem"),
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
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str, typed: str, user: str,
    problem: str,
) -> None:
    slack.add_channel("C0NEW0001", name="new")
    before = row_counts(database)
    reply = command(signed, slack, typed, user=user)
    assert reply["text"] == problem
    assert row_counts(database) == before
    assert slack.calls("conversations.invite") == [] and slack.calls("conversations.join") == []


def test_already_a_member_is_told_so(signed: SlackRequestBuilder, slack: SlackStandIn, database: Database,
                                     guild: str) -> None:
    command(signed, slack, "join mlops")
    before = row_counts(database)
    assert command(signed, slack, "join mlops")["text"] == "You are already a member of *MLOps* (<#C0MLOPS01>)."
    assert row_counts(database) == before
    assert len(slack.calls("conversations.invite")) == 1
