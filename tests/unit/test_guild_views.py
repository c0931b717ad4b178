"""Rendering limits and wording, without Slack or a database."""

from datetime import datetime, timezone

from bot.guilds.service import ChannelInvite, GuildCard, GuildInfo, GuildPage, HomeGuilds, NextShowAndTell
from bot.guilds.members import Profile
from handlers.guilds import views as guild_views

LONG = "x" * 1000


def _card(i: int = 0, *, leads: tuple[str, ...] = ("U0LEAD001",), member: bool = False) -> GuildCard:
    return GuildCard(f"guild-{i}", "N" * 80, LONG, f"C{i:08d}", 1234, leads, member)


def test_a_full_list_page_stays_far_below_fifty_blocks_and_section_limits() -> None:
    page = GuildPage(tuple(_card(i, leads=tuple(f"U{j:08d}" for j in range(40))) for i in range(10)), 3, 50, 500)
    reply = guild_views.list_message(page, notice="n" * 500)
    assert len(reply["blocks"]) <= 15
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in reply["blocks"])
    navigation = reply["blocks"][-1]["elements"]
    assert [(e["action_id"], e["value"]) for e in navigation] == [
        ("guild_page_previous", "2"), ("guild_page_next", "4")
    ]


def test_the_first_and_last_pages_have_only_one_way_to_go() -> None:
    first = guild_views.list_message(GuildPage((_card(),), 0, 2, 11))
    last = guild_views.list_message(GuildPage((_card(),), 1, 2, 11))
    assert [e["action_id"] for e in first["blocks"][-1]["elements"]] == ["guild_page_next"]
    assert [e["action_id"] for e in last["blocks"][-1]["elements"]] == ["guild_page_previous"]


def test_join_and_leave_buttons_carry_the_slug_and_the_page() -> None:
    reply = guild_views.list_message(GuildPage((_card(1), _card(2, member=True)), 4, 9, 90))
    buttons = [b["accessory"] for b in reply["blocks"] if "accessory" in b]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("guild_join", "guild-1:4"), ("guild_leave", "guild-2:4")
    ]
    assert guild_views.parse_button_value("guild-1:4") == ("guild-1", "4")
    assert guild_views.parse_button_value("guild-1") == ("guild-1", None)


def test_an_unreachable_private_channel_names_the_leads_and_what_to_type() -> None:
    notice = guild_views.join_notice(_card(leads=("U0LEAD001", "U0LEAD002")), ChannelInvite.UNREACHABLE)
    assert "<@U0LEAD001>, <@U0LEAD002>" in notice and "`/invite @factorybot`" in notice


def test_without_leads_an_admin_is_asked_instead() -> None:
    assert "an admin" in guild_views.join_notice(_card(leads=()), ChannelInvite.UNREACHABLE)


def test_info_renders_no_show_and_tell_line_until_there_is_one() -> None:
    info = GuildInfo(_card(), (("mlops", 3),), (("llm", 2),), None)
    text = str(guild_views.info_message(info))
    assert "`mlops` (3)" in text and "`llm` (2)" in text and "show-and-tell" not in text
    soon = GuildInfo(_card(), (), (), NextShowAndTell(datetime(2026, 12, 3, 15, tzinfo=timezone.utc), 2))
    text = str(guild_views.info_message(soon))
    assert "Next show-and-tell" in text and "2 open slots" in text
    assert "<!date^1796310000^{date_short_pretty} at {time}|2026-12-03 15:00 UTC>" in text
    one = GuildInfo(_card(), (), (), NextShowAndTell(datetime(2026, 12, 3, 15, tzinfo=timezone.utc), 1))
    assert "1 open slot" in str(guild_views.info_message(one)) and "slot(s)" not in str(guild_views.info_message(one))


def test_the_home_part_stays_within_its_block_budget() -> None:
    home = HomeGuilds(tuple(_card(i, member=True) for i in range(10)), tuple(_card(i) for i in range(10, 20)), 480)
    blocks = guild_views.home_blocks(home)
    assert len(blocks) <= 26
    assert "480 more" in str([b.to_dict() for b in blocks])


def test_the_home_part_only_points_below_when_there_are_guilds_below() -> None:
    nothing = str([b.to_dict() for b in guild_views.home_blocks(HomeGuilds((), (), 0))])
    assert "below" not in nothing and "There are no guilds yet" in nothing
    others = str([b.to_dict() for b in guild_views.home_blocks(HomeGuilds((), (_card(1),), 0))])
    assert "join one below" in others
    mine = str([b.to_dict() for b in guild_views.home_blocks(HomeGuilds((_card(1, member=True),), (), 0))])
    assert "below" not in mine and "Other guilds" not in mine


def test_the_profile_modal_is_prefilled_and_names_the_time_zone() -> None:
    modal = guild_views.profile_modal(Profile("U1", "Europe/Paris", ("mlops", "python"), ()))
    inputs = {b["block_id"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    assert inputs["teach"]["initial_value"] == "mlops, python"
    assert "initial_value" not in inputs["learn"]
    assert "Europe/Paris" in str(modal)
