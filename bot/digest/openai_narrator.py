"""The digest's narrator on any OpenAI-compatible server (OpenAI, or a local one via ``OPENAI_BASE_URL``).

The only module that imports ``openai``.  One chat completion per digest: the prompt
(``FACTORY_DIGEST_PROMPT``) as the system message, the figures as JSON as the user message;
``OPENAI_TIMEOUT`` seconds (20 by default) per try, and one retry at most.  Every failure
becomes :class:`NarrationFailed` saying why, and the digest falls back to its template.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import openai

from bot.digest.ports import NarrationFailed

MAX_TOKENS = 250  # two or three sentences


class OpenAINarrator:
    def __init__(
        self, *, model: str, prompt: str, api_key: str | None = None, base_url: str | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.model, self.prompt, self.timeout = model, prompt, timeout
        # A local server needs no key, but the client insists on one.
        self._client = openai.OpenAI(api_key=api_key or "none", base_url=base_url, timeout=timeout, max_retries=1)

    def narrate(self, facts: Mapping[str, Any]) -> str:
        try:
            answer = self._client.chat.completions.create(
                model=self.model,
                messages=[
                    {"role": "system", "content": self.prompt},
                    {"role": "user", "content": json.dumps(facts, ensure_ascii=False)},
                ],
                max_tokens=MAX_TOKENS,
                temperature=0.3,
            )
        except openai.APITimeoutError:
            raise NarrationFailed(f"no answer from the model within {self.timeout:g} s (tried twice)") from None
        except openai.APIStatusError as exc:
            raise NarrationFailed(f"the model's server answered HTTP {exc.status_code}") from None
        except openai.APIError as exc:
            raise NarrationFailed(f"the model's server could not be used: {type(exc).__name__}") from None
        if not answer.choices:
            return ""
        return answer.choices[0].message.content or ""
