"""The digest's way to Slack: ``chat.postMessage``, then for the org digest the chart as a PNG
in the digest's thread with ``files_upload_v2`` (``files.getUploadURLExternal``, the upload,
``files.completeUploadExternal``).

Rate limits (429 with Retry-After) and 5xx answers are retried by the ``WebClient``'s retry
handlers (:func:`bot.runtime.bootstrap.build_web_client`).  A message Slack refuses raises
:class:`DigestNotPosted` so the service retries it later; a chart that fails after the
message went out is only logged: the message must not be posted twice for it.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.digest.figures import Digest
from bot.digest.ports import DigestNotPosted
from handlers.digest.views import digest_message

log = logging.getLogger(__name__)


class SlackDigestPublisher:
    def __init__(self, client: WebClient) -> None:
        self._client = client

    def publish(self, channel_id: str, digest: Digest, *, narrative: str, chart: bytes | None) -> str:
        try:
            answer = self._client.chat_postMessage(channel=channel_id, **digest_message(digest, narrative))
        except SlackApiError as exc:
            raise DigestNotPosted(str(exc.response.get("error") or exc)) from exc
        ts = str(answer["ts"])
        if chart is not None:
            self._attach(channel_id, ts, digest, chart)
        return ts

    def _attach(self, channel_id: str, ts: str, digest: Digest, chart: bytes) -> None:
        try:
            self._client.files_upload_v2(
                channel=channel_id, thread_ts=ts, file=chart, filename=f"flywheel-{digest.week.label}.png",
                title=f"Flywheel, {digest.week.label}",
                alt_txt=f"Bars of the five flywheel stages, week by week, up to {digest.week.label}",
            )
        except SlackApiError as exc:
            log.warning("digest %s posted, but its chart was not attached: %s", digest.week.label,
                        exc.response.get("error"))
