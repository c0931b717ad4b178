"""Naming guilds: what a valid slug is, and forgiving lookup's "did you mean …?".

People type guild names from memory ("mlopz", "LLM Apps", "#data-quality"), so an
unknown name is answered with the closest known slugs rather than a bare "not found".
Closeness is difflib's ratio over both slugs and names, case-insensitively.
"""

from __future__ import annotations

import difflib
import re

MAX_SLUG = 40
SLUG = re.compile(rf"^[a-z0-9-]{{1,{MAX_SLUG}}}$")
CLOSE_ENOUGH = 0.6  # difflib's own default: "mlopz"→"mlops" passes, "finance"→"mlops" does not


def slug_problem(slug: str) -> str | None:
    """Why ``slug`` cannot be a guild's slug, or ``None`` if it can."""
    if SLUG.match(slug):
        return None
    if len(slug) > MAX_SLUG:
        return f"A slug has at most {MAX_SLUG} characters; `{plain(slug[:MAX_SLUG])}…` has {len(slug)}."
    hint = re.sub(r"[^a-z0-9-]+", "-", slug.lower()).strip("-")[:MAX_SLUG]
    suggestion = f" Try `{hint}`." if hint else ""
    return f"`{plain(slug)}` is not a valid slug: use only a-z, 0-9 and -.{suggestion}"


def suggest(text: str, known: list[tuple[str, str]], *, limit: int = 3) -> list[str]:
    """Slugs of the guilds (``(slug, name)`` pairs) whose slug or name is closest to ``text``."""
    by_key: dict[str, str] = {}
    for slug, name in known:
        by_key.setdefault(slug.lower(), slug)
        by_key.setdefault(name.lower(), slug)
    matches = difflib.get_close_matches(text.lower(), list(by_key), n=limit * 2, cutoff=CLOSE_ENOUGH)
    return list(dict.fromkeys(by_key[m] for m in matches))[:limit]


def did_you_mean(text: str, known: list[tuple[str, str]]) -> str:
    """The second half of an "unknown guild" reply."""
    close = suggest(text, known)
    if not close:
        return "`/guild list` shows them all."
    quoted = [f"`{slug}`" for slug in close]
    either = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" or {quoted[-1]}"
    return f"Did you mean {either}?"


def plain(text: str) -> str:
    """User text made safe to show inside backticks in a reply: no code-span breaks, no mentions."""
    return text[:80].replace("`", "'").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
