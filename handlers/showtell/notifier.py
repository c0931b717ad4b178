"""Show-and-tell's way to people through Slack's Web API: the service's
:class:`bot.showtell.model.ShowTellNotifier` port.

DMs open the conversation first (``conversations.open``) and post in it; the agenda, the
nudge and the links go to the guild's channel, a link in the agenda's thread (``thread_ts``).
A refused call is logged and reported back (``False`` / ``None``), so a reminder is released
for the next run; it never stops the others.
https://api.slack.com/methods/conversations.open, https://api.slack.com/methods/chat.postMessage
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.showtell.model import CancelNotice, LinkRequest, Reminder, SessionCard, SharedLink, SlotOffer
from handlers.showtell import views

log = logging.getLogger(__name__)


class SlackShowTellNotifier:
    def __init__(self, client: WebClient) -> None:
        self._client = client

    def dm_presenter(self, reminder: Reminder) -> bool:
        return self._dm(reminder.talk.presenter, views.reminder_message(reminder))

    def post_agenda(self, session: SessionCard) -> str | None:
        return self._post(session.channel_id, views.agenda_message(session))

    def nudge_channel(self, session: SessionCard) -> bool:
        return self._post(session.channel_id, views.nudge_message(session)) is not None

    def offer_slot(self, offer: SlotOffer) -> bool:
        return self._dm(offer.member_id, views.offer_message(offer))

    def ask_for_link(self, request: LinkRequest) -> bool:
        return self._dm(request.talk.presenter, views.link_request_message(request))

    def post_link_in_thread(self, link: SharedLink) -> bool:
        reply = views.link_posted_message(link)
        if link.thread_ts:
            reply["thread_ts"] = link.thread_ts
        return self._post(link.session.channel_id, reply) is not None

    def tell_cancelled(self, notice: CancelNotice) -> bool:
        return self._dm(notice.member_id, views.cancel_notice_message(notice))

    def _dm(self, user_id: str, message: dict[str, Any]) -> bool:
        try:
            channel = self._client.conversations_open(users=user_id)["channel"]["id"]
        except SlackApiError as exc:
            log.warning("could not open a DM with %s: %s", user_id, exc.response.get("error"))
            return False
        return self._post(channel, message) is not None

    def _post(self, channel: str, message: dict[str, Any]) -> str | None:
        try:
            return str(self._client.chat_postMessage(channel=channel, **message)["ts"])
        except SlackApiError as exc:
            log.warning("could not post in %s: %s", channel, exc.response.get("error"))
            return None
