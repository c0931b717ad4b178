"""Words for people: counts with the right singular or plural, and moments in plain text."""

from __future__ import annotations

from datetime import datetime, timezone


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 deployment``, ``2 deployments``, ``1 person``, ``3 people``."""
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count} {word}"


def utc_text(at: datetime) -> str:
    """``2026-12-01 21:44 UTC``: a moment where no reader's zone is known (the CLI, an error in a
    form, the fallback of :func:`handlers.blocks.when`)."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
