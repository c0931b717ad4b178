"""Mentoring's way to people through Slack's Web API: group DMs for introductions and
check-ins, one-to-one DMs for the unmatched and the inactive.

A failed call is logged and reported back (``None`` / ``False``) so the round service can
let the next run try again; it never stops the other introductions of a round.
https://api.slack.com/methods/conversations.open, https://api.slack.com/methods/chat.postMessage
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.mentoring.rounds import CheckInPrompt, Intro, UnmatchedNotice
from handlers.mentoring import views as views

log = logging.getLogger(__name__)


class SlackMentoringDelivery:
    def __init__(self, client: WebClient) -> None:
        self._client = client

    def introduce(self, intro: Intro) -> str | None:
        try:
            opened = self._client.conversations_open(users=",".join(intro.members))
            channel = opened["channel"]["id"]
            self._client.chat_postMessage(channel=channel, **views.intro_message(intro))
        except SlackApiError as exc:
            log.warning("could not introduce match %s: %s", intro.match_id, exc.response.get("error"))
            return None
        return str(channel)

    def tell_unmatched(self, notice: UnmatchedNotice) -> None:
        self._dm(notice.member_id, views.unmatched_message(notice))

    def ask_checkin(self, prompt: CheckInPrompt) -> bool:
        try:
            self._client.chat_postMessage(channel=prompt.conversation_id, **views.checkin_message(prompt))
        except SlackApiError as exc:
            log.warning("could not ask match %s to check in: %s", prompt.match_id, exc.response.get("error"))
            return False
        return True

    def tell_inactive(self, member_id: str) -> None:
        self._dm(member_id, views.inactive_message())

    def _dm(self, member_id: str, reply: dict) -> None:
        try:
            self._client.chat_postMessage(channel=member_id, **reply)
        except SlackApiError as exc:
            log.warning("could not DM %s: %s", member_id, exc.response.get("error"))
