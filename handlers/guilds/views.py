"""Block Kit for guilds: the paginated list, a guild's card, replies, the Home part, the profile modal.

Limits kept here (https://api.slack.com/reference/block-kit/blocks): a list page is at
most 10 guild sections plus 4 others (≤ 50 per message); the Home part at most 26
blocks (≤ 100 per view, shared with other capabilities); descriptions and lead lists
are cut so a section never nears 3000 characters.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.guilds.service import ChannelInvite, GuildCard, GuildInfo, GuildPage, HomeGuilds, MembershipChange
from bot.guilds.members import Profile
from bot.guilds.tags import MAX_TAGS
from bot.text import plural
from handlers.blocks import Message, context, message, section, when
from handlers.parsing import escape, shorten

JOIN_ACTION = "guild_join"
LEAVE_ACTION = "guild_leave"
PAGE_ACTIONS = ("guild_page_previous", "guild_page_next")
PROFILE_ACTION = "guild_profile_open"
PROFILE_CALLBACK = "guild_profile"
INFO_ORIGIN = "info"  # a button on a /guild info card (else a list page number, or none on Home)

MAX_LEADS_SHOWN = 5
MAX_DESCRIPTION_SHOWN = 280


# -- button values: "<slug>:<origin>" ---------------------------------------------


def button_value(slug: str, origin: int | str | None = None) -> str:
    return slug if origin is None else f"{slug}:{origin}"


def parse_button_value(value: str) -> tuple[str, str | None]:
    """``(slug, origin)``; origin is a page number as text, ``"info"``, or ``None`` (Home)."""
    slug, _, origin = (value or "").partition(":")
    return slug, origin or None


# -- pieces ------------------------------------------------------------------------


def _leads(card: GuildCard) -> str:
    if not card.leads:
        return "no leads yet"
    shown = ", ".join(f"<@{lead}>" for lead in card.leads[:MAX_LEADS_SHOWN])
    more = len(card.leads) - MAX_LEADS_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _members(n: int) -> str:
    return plural(n, "member")


def _membership_button(card: GuildCard, origin: int | str | None) -> ButtonElement:
    if card.is_member:
        return ButtonElement(text="Leave", action_id=LEAVE_ACTION, value=button_value(card.slug, origin))
    return ButtonElement(
        text="Join", action_id=JOIN_ACTION, value=button_value(card.slug, origin), style="primary"
    )


def _guild_row(card: GuildCard, origin: int | str | None) -> SectionBlock:
    mark = " · :white_check_mark: you are a member" if card.is_member else ""
    lines = [f"*{escape(card.name)}* `{card.slug}` · <#{card.channel_id}>"]
    if card.description:
        lines.append(escape(shorten(card.description, MAX_DESCRIPTION_SHOWN)))
    lines.append(f"{_members(card.member_count)} · Leads: {_leads(card)}{mark}")
    return SectionBlock(
        block_id=f"guild:{card.slug}",
        text=MarkdownTextObject(text="\n".join(lines)),
        accessory=_membership_button(card, origin),
    )


def _tag_counts(tags: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"`{escape(tag)}` ({n})" for tag, n in tags)


# -- replies -----------------------------------------------------------------------


def list_message(page: GuildPage, *, notice: str | None = None) -> Message:
    """One page of ``/guild list``; Prev/Next carry the page to show in their value."""
    blocks: list[Block] = []
    if notice:
        blocks.append(section(notice))
    if not page.total:
        blocks.append(section("There are no guilds yet. Admins create them with `/guild create`."))
        return message("There are no guilds yet.", blocks)
    blocks.append(section(f"*Guilds* — {page.total} in all. Join one to be added to its channel."))
    blocks.extend(_guild_row(card, page.page) for card in page.guilds)
    blocks.append(context(f"Page {page.page + 1} of {page.page_count} · `/guild info <guild>` for details"))
    navigation = []
    if page.has_previous:
        navigation.append(ButtonElement(text="◀ Previous", action_id=PAGE_ACTIONS[0], value=str(page.page - 1)))
    if page.has_next:
        navigation.append(ButtonElement(text="Next ▶", action_id=PAGE_ACTIONS[1], value=str(page.page + 1)))
    if navigation:
        blocks.append(ActionsBlock(block_id="guild_pages", elements=navigation))
    text = f"Guilds, page {page.page + 1} of {page.page_count}"
    return message(f"{notice}\n{text}" if notice else text, blocks)


def info_message(info: GuildInfo, *, notice: str | None = None) -> Message:
    card = info.card
    blocks: list[Block] = [section(notice)] if notice else []
    blocks.append(HeaderBlock(text=shorten(card.name, 150)))
    if card.description:
        blocks.append(section(escape(shorten(card.description, 2000))))
    facts = [f"*Channel* <#{card.channel_id}> · *Slug* `{card.slug}` · {_members(card.member_count)}",
             f"*Leads* {_leads(card)}"]
    if info.top_skills:
        facts.append(f"*Top skills* {_tag_counts(info.top_skills)}")
    if info.top_interests:
        facts.append(f"*Wants to learn* {_tag_counts(info.top_interests)}")
    if info.next_show_and_tell is not None:
        facts.append(f"*Next show-and-tell* {when(info.next_show_and_tell.starts_at)} · "
                     f"{plural(info.next_show_and_tell.open_slots, 'open slot')}")
    blocks.append(
        SectionBlock(text=MarkdownTextObject(text="\n".join(facts)), accessory=_membership_button(card, INFO_ORIGIN))
    )
    if card.is_member:
        blocks.append(context(":white_check_mark: You are a member."))
    return message(f"{escape(card.name)} ({card.slug}): {_members(card.member_count)}", blocks)


def join_notice(card: GuildCard, invite: ChannelInvite) -> str:
    """What happened when joining, said plainly — above all when a lead has to act."""
    channel = f"<#{card.channel_id}>"
    if invite is ChannelInvite.INVITED:
        return f":tada: You joined *{escape(card.name)}* and I added you to {channel}."
    if invite is ChannelInvite.ALREADY_IN:
        return f":tada: You joined *{escape(card.name)}*; you are already in {channel}."
    if invite is ChannelInvite.UNREACHABLE:
        who = f"a lead of the guild ({_leads(card)})" if card.leads else "an admin (the guild has no leads yet)"
        return (
            f"You joined *{escape(card.name)}*, but I can't add you to {channel}: it is private and I am not in it. "
            f"Ask {who} to type `/invite @factorybot` in {channel} so I can add members, or to add you by hand."
        )
    return (
        f"You joined *{escape(card.name)}*, but adding you to {channel} failed just now. "
        "Join it from Slack's channel browser, or ask a lead to add you."
    )


def leave_notice(card: GuildCard) -> str:
    return (
        f"You left *{escape(card.name)}*. I did not remove you from <#{card.channel_id}>: "
        "if you want to leave the channel too, type `/leave` there."
    )


def joined_message(change: MembershipChange, invite: ChannelInvite) -> Message:
    notice = join_notice(change.card, invite)
    return message(notice, [section(notice)])


def left_message(change: MembershipChange) -> Message:
    notice = leave_notice(change.card)
    return message(notice, [section(notice)])


def created_message(card: GuildCard, *, adopted: int, in_channel: bool) -> Message:
    """``/guild create``: the guild, and whether the bot could take its place in the channel."""
    text = f":sparkles: Created *{escape(card.name)}* (`{card.slug}`) with channel <#{card.channel_id}>."
    if in_channel:
        follow = (
            f"{plural(adopted, 'person', 'people')} already in the channel became members; "
            "from now on joining or leaving the channel joins or leaves the guild."
        )
    else:
        follow = (
            f"I could not join <#{card.channel_id}>: add me with `/invite @factorybot` there, so I can "
            "invite new members and keep the guild and the channel in step."
        )
    blocks: list[Block] = [section(text), section(follow)]
    blocks.append(context(f"Add its leads with `/guild lead add {card.slug} @someone`."))
    return message(f"{text} {follow}", blocks)


def lead_changed_message(card: GuildCard, member_id: str, *, added: bool) -> Message:
    verb = "is now a lead" if added else "is no longer a lead"
    text = f"<@{member_id}> {verb} of *{escape(card.name)}*. Leads: {_leads(card)}."
    return message(text, [section(text)])


def archived_message(card: GuildCard) -> Message:
    text = (
        f"Archived *{escape(card.name)}* (`{card.slug}`). "
        f"The history of its {_members(card.member_count)} is kept; "
        "it no longer appears in `/guild list`."
    )
    return message(text, [section(text)])


# -- App Home ---------------------------------------------------------------------


def home_blocks(home: HomeGuilds) -> list[Block]:
    """My guilds with Leave, others with Join: at most 26 blocks."""
    blocks: list[Block] = [section("*Your guilds*")]
    if home.mine:
        blocks.extend(_guild_row(card, None) for card in home.mine)
    elif home.others:
        blocks.append(context("You are not in any guild yet: join one below."))
    else:
        blocks.append(context("There are no guilds yet. Admins create them with `/guild create`."))
    if home.others:
        blocks.append(section("*Other guilds*"))
        blocks.extend(_guild_row(card, None) for card in home.others)
    if home.more_others > 0:
        blocks.append(context(f"…and {home.more_others} more: `/guild list` shows them all."))
    blocks.append(
        SectionBlock(
            text=MarkdownTextObject(text="Tell mentors what you can teach and want to learn."),
            accessory=ButtonElement(text="Edit my skills", action_id=PROFILE_ACTION, value="profile"),
        )
    )
    return blocks


# -- profile modal ----------------------------------------------------------------


def _tags_input(block_id: str, label: str, tags: tuple[str, ...], placeholder: str) -> InputBlock:
    element = PlainTextInputElement(
        action_id=block_id, multiline=True, placeholder=placeholder, max_length=2000,
        initial_value=", ".join(tags) or None,
    )
    return InputBlock(block_id=block_id, label=label, element=element, optional=True)


def _zone_line(profile: Profile) -> str:
    zone = f"`{profile.tz}`" if profile.tz else "not known yet"
    return f"Your time zone, from your Slack profile: {zone}. Mentoring uses it to pair people who can meet."


def profile_modal(profile: Profile) -> dict[str, Any]:
    blocks: list[Block] = [
        section("Separate tags with commas. Spelling is forgiving: `ML Ops`, `ml-ops` and `MLOps` are one tag."),
        _tags_input("teach", "Skills I can teach", profile.teach, "mlops, python, prompt engineering"),
        _tags_input("learn", "Topics I want to learn", profile.learn, "llm evaluation, kubernetes"),
        context(f"{_zone_line(profile)} At most {MAX_TAGS} of each."),
    ]
    view = View(
        type="modal", callback_id=PROFILE_CALLBACK, title="Your skills", submit="Save", close="Cancel", blocks=blocks
    )
    return view.to_dict()


def profile_saved_view(profile: Profile) -> dict[str, Any]:
    teach = ", ".join(f"`{escape(t)}`" for t in profile.teach) or "_nothing yet_"
    learn = ", ".join(f"`{escape(t)}`" for t in profile.learn) or "_nothing yet_"
    blocks: list[Block] = [
        section(":white_check_mark: Saved."),
        section(f"*You can teach* {teach}"),  # ≤ 25 tags of ≤ 64 characters: well under 3000
        section(f"*You want to learn* {learn}"),
        context(_zone_line(profile)),
    ]
    return View(type="modal", callback_id=PROFILE_CALLBACK, title="Your skills", close="Done", blocks=blocks).to_dict()
