"""Slack's side of guilds: the user directory, channel facts, invitations, channel members.

These implement the interfaces the services own (:class:`bot.guilds.members.Directory`,
:class:`bot.guilds.service.Channels`); the composition root hands them in.  Slack's error codes become plain outcomes here, so the services and the
views never see a ``SlackApiError``.
"""

from __future__ import annotations

import logging
import re

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.guilds.service import ChannelFacts, ChannelInvite
from bot.guilds.members import DirectoryEntry

log = logging.getLogger(__name__)

# The bot cannot act in the channel: it is private and the bot is not in it.
# https://api.slack.com/methods/conversations.invite#errors, …/conversations.join#errors
UNREACHABLE_ERRORS = frozenset({"channel_not_found", "not_in_channel", "method_not_supported_for_channel_type"})

_CHANNEL_MENTION = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")
_USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def channel_id_of(text: str) -> str | None:
    """``<#C123|name>`` or ``<#C123>`` (what Slack sends for a picked channel with
    ``should_escape: true``) → ``C123``; anything else → ``None``."""
    match = _CHANNEL_MENTION.match(text.strip())
    return match.group(1) if match else None


def user_id_of(text: str) -> str | None:
    """``<@U123|name>`` or ``<@U123>`` → ``U123``; anything else (a typed ``@name``) → ``None``."""
    match = _USER_MENTION.match(text.strip())
    return match.group(1) if match else None


def _error(exc: SlackApiError) -> str:
    return str(exc.response.get("error", "")) if exc.response is not None else ""


class SlackDirectory:
    """:class:`bot.guilds.members.Directory` over ``users.info``."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def lookup(self, user_id: str) -> DirectoryEntry | None:
        try:
            user = self._client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            log.warning("users.info for %s failed: %s", user_id, _error(exc))
            return None
        profile = user.get("profile") or {}
        name = user.get("real_name") or profile.get("display_name") or user.get("name") or ""
        return DirectoryEntry(user_id=user_id, name=str(name)[:200], tz=user.get("tz"))


class SlackChannels:
    """:class:`bot.guilds.service.Channels` over ``conversations.*``, plus invitations."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def describe(self, channel_id: str) -> ChannelFacts | None:
        try:
            channel = self._client.conversations_info(channel=channel_id)["channel"]
        except SlackApiError as exc:
            if _error(exc) == "channel_not_found":
                return None
            raise
        return ChannelFacts(
            channel_id=channel["id"],
            name=channel.get("name", ""),
            is_private=bool(channel.get("is_private")),
            is_archived=bool(channel.get("is_archived")),
        )

    def enter(self, channel_id: str) -> bool:
        """Make sure the bot is in the channel, joining it if it is public; False if it cannot be."""
        try:
            channel = self._client.conversations_info(channel=channel_id)["channel"]
            if channel.get("is_member"):
                return True
            if channel.get("is_private"):
                return False
            self._client.conversations_join(channel=channel_id)
            return True
        except SlackApiError as exc:
            log.warning("cannot enter %s: %s", channel_id, _error(exc))
            return False

    def invite(self, channel_id: str, user_id: str) -> ChannelInvite:
        """Put a new guild member in the guild's channel, the bot joining a public channel first."""
        try:
            channel = self._client.conversations_info(channel=channel_id)["channel"]
            if not channel.get("is_member"):
                if channel.get("is_private"):
                    return ChannelInvite.UNREACHABLE
                self._client.conversations_join(channel=channel_id)
            self._client.conversations_invite(channel=channel_id, users=user_id)
        except SlackApiError as exc:
            error = _error(exc)
            if error == "already_in_channel":
                return ChannelInvite.ALREADY_IN
            if error in UNREACHABLE_ERRORS:
                return ChannelInvite.UNREACHABLE
            log.warning("inviting %s to %s failed: %s", user_id, channel_id, error)
            return ChannelInvite.FAILED
        return ChannelInvite.INVITED

    def members(self, channel_id: str) -> list[str]:
        """Every member of the channel but the bot (all pages of ``conversations.members``)."""
        bot_user_id = str(self._client.auth_test()["user_id"])
        found: list[str] = []
        cursor = None
        while True:
            page = self._client.conversations_members(channel=channel_id, limit=1000, cursor=cursor)
            found.extend(m for m in page.get("members", []) if m != bot_user_id)
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return found
