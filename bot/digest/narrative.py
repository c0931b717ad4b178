"""The digest's opening sentences: from a language model when one is configured, else a template.

The model is given the figures only — stage and figure labels, numbers, changes and trends —
never a name, a user id or anything people wrote.  Whatever goes wrong (an error, no answer in
time, an empty or overlong answer), the digest still goes out, with the template sentence,
and the log says why.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.digest.figures import Digest
from bot.digest.ports import NarrationFailed, Narrator
from bot.text import plural

log = logging.getLogger(__name__)

MAX_CHARS = 600  # two or three sentences; more is not what was asked for
DEFAULT_PROMPT = (
    "You open a weekly report on an AI factory's flywheel: Safety, Trust, Adoption, Impact, Feedback. "
    "From the JSON figures you are given, and nothing else, write two or three short, plain sentences: "
    "what moved this week and what needs attention. No names, lists, headings or emoji; "
    "do not invent numbers."
)


def facts(digest: Digest) -> dict[str, Any]:
    """What the model may read: figures, no names (the scope is "a guild" or "the whole organisation")."""
    return {
        "scope": "the whole organisation" if digest.is_org else "a guild",
        "week": digest.week.label,
        "week_complete": not digest.so_far,
        "stages": {
            stage.name: {
                line.label: {"value": line.value_text(), "change": line.change_text() or None,
                             "last_8_weeks": list(line.series)}
                for line in stage.figures
            }
            for stage in digest.stages
        },
        "weakest_stage": digest.weakest,
    }


def template(digest: Digest) -> str:
    """One sentence from the figures, for when there is no model or it failed."""
    lines = {line.label: line for stage in digest.stages for line in stage.figures}
    builders, reviewed, deployments = (lines[k] for k in ("Active builders", "Requests reviewed",
                                                           "Deployments completed"))
    when = f"So far in week {digest.week.week}" if digest.so_far else f"In week {digest.week.week}"
    change = f" ({builders.change_text()} on the week before)" if builders.change_text() else ""
    return (
        f"{when}, {digest.title} had {plural(int(builders.current or 0), 'active builder')}{change}, "
        f"reviewed {plural(int(reviewed.current or 0), 'request')} "
        f"and completed {plural(int(deployments.current or 0), 'deployment')}."
    )


def narrate(narrator: Narrator | None, digest: Digest) -> str:
    """The model's sentences when it gives usable ones, else :func:`template` (and a log line why)."""
    if narrator is None:
        return template(digest)
    try:
        text = narrator.narrate(facts(digest)).strip()
    except NarrationFailed as exc:
        return _fallback(digest, str(exc))
    except Exception as exc:  # a narrative is never worth a digest not sent
        log.exception("narrator failed unexpectedly")
        return _fallback(digest, f"{type(exc).__name__}: {exc}")
    if not text:
        return _fallback(digest, "the model's answer was empty")
    if len(text) > MAX_CHARS:
        return _fallback(digest, f"the model's answer was too long ({len(text):,} characters, at most {MAX_CHARS})")
    return text


def _fallback(digest: Digest, why: str) -> str:
    log.warning("digest %s %s: template sentence instead of a narrative: %s", digest.scope, digest.week.label, why)
    return template(digest)
