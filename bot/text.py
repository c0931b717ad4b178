"""Words for people: counts with the right singular or plural."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 deployment``, ``2 deployments``, ``1 person``, ``3 people``."""
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count} {word}"
