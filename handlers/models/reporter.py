"""Tells people how a deployment went: the requester, the approval's thread, the watching channels."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.models.deployments import Outcome
from handlers.models import views as views

log = logging.getLogger(__name__)


class SlackDeploymentReporter:
    """A :class:`bot.models.deployments.DeploymentReporter` that posts with the bot's Web API client.

    Watching channels hear only of finished moves; a postponed or failed deployment
    concerns the requester and the approval thread.  A Slack failure here is logged and
    never undoes the deployment, which MLflow and the database already hold.
    """

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def report(self, outcome: Outcome) -> None:
        message = views.outcome(outcome)
        thread = outcome.notify
        if thread.get("role") != "requester":  # the requester's own receipt thread already reaches them
            self._dm(outcome.requested_by, message)
        if thread.get("channel") and thread.get("thread_ts"):
            self._post(channel=thread["channel"], thread_ts=thread["thread_ts"], **message)
        if outcome.status == "done":
            for channel in outcome.watchers:
                self._post(channel=channel, **message)

    def _dm(self, user_id: str, message: dict[str, Any]) -> None:
        try:
            channel = self._client.conversations_open(users=user_id)["channel"]["id"]
        except SlackApiError as exc:
            log.warning("could not open a DM with %s: %s", user_id, exc.response.get("error"))
            return
        self._post(channel=channel, **message)

    def _post(self, **message: Any) -> None:
        try:
            self._client.chat_postMessage(**message)
        except SlackApiError as exc:
            log.warning("could not report a deployment in %s: %s", message.get("channel"), exc.response.get("error"))
