"""The interfaces the digest service owns; Slack and the language model plug in from outside.

* :class:`DigestPublisher` — posts a digest to a channel (``handlers.digest.publisher`` over Slack).
* :class:`Narrator` — writes two or three sentences from the figures
  (:mod:`bot.digest.openai_narrator`, any OpenAI-compatible server); optional.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from bot.digest.figures import Digest


class DigestNotPosted(Exception):
    """The digest could not be posted; the message says why (Slack's error code, a timeout…)."""


class NarrationFailed(Exception):
    """No narrative: the message says why (an error answer, no answer in time…)."""


class DigestPublisher(Protocol):
    def publish(self, channel_id: str, digest: Digest, *, narrative: str, chart: bytes | None) -> str:
        """Post ``digest`` (with the PNG ``chart`` when given) and return the message's ``ts``;
        raise :class:`DigestNotPosted` when the message was not posted."""
        ...


class Narrator(Protocol):
    def narrate(self, facts: Mapping[str, Any]) -> str:
        """Sentences written from ``facts`` (figures only); raise :class:`NarrationFailed`."""
        ...
