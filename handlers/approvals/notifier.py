"""The Slack side of :class:`bot.approvals.ports.ApprovalNotifier`: DMs, channel posts and in-place updates.

The one place approvals call the Web API.  A DM is ``conversations.open`` then
``chat.postMessage`` (the returned ``channel`` and ``ts`` are kept so later decisions can
``chat.update`` the same message).  The ``WebClient`` built by the composition root
already retries rate limits and 5xx answers; whatever still fails is raised to the
caller, which logs it and leaves the SLA job to retry.
"""

from __future__ import annotations

from slack_sdk import WebClient

from bot.approvals.model import MessageRef, RequestView
from handlers.approvals import views


class SlackApprovalNotifier:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def post(self, request: RequestView, *, role: str, recipient: str) -> MessageRef:
        channel = recipient if role == "channel" else self._dm(recipient)
        sent = self.client.chat_postMessage(channel=channel, **views.request_message(request, role=role))
        return MessageRef(role=role, recipient=recipient, channel=sent["channel"], ts=sent["ts"])

    def update(self, request: RequestView, ref: MessageRef) -> None:
        self.client.chat_update(channel=ref.channel, ts=ref.ts, **views.request_message(request, role=ref.role))

    def notify(self, request: RequestView, *, kind: str, recipients: list[str]) -> None:
        body = views.notice_message(request, kind=kind)
        for user in recipients:
            self.client.chat_postMessage(channel=self._dm(user), **body)

    def _dm(self, user: str) -> str:
        return self.client.conversations_open(users=user)["channel"]["id"]
