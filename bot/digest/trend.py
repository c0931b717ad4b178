"""Trend arithmetic: sparklines, week-over-week change, medians.  Pure functions of numbers.

A value of ``None`` is a week with nothing to measure (a share of zero requests, a median
of no decisions, a week before the guild existed): it is drawn as ``·`` and left out of
medians, never read as zero.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

BARS = "▁▂▃▄▅▆▇█"
MISSING = "·"

Number = float | int


def sparkline(values: Sequence[Number | None]) -> str:
    """One bar per value, from the lowest value (▁) to the highest (█); a flat series is drawn
    mid-height (▄) when it is above zero and at the bottom when it is all zeros."""
    known = [v for v in values if v is not None]
    if not known:
        return MISSING * len(values)
    low, high = min(known), max(known)

    def bar(value: Number | None) -> str:
        if value is None:
            return MISSING
        if high == low:
            return BARS[3] if high > 0 else BARS[0]
        return BARS[round((value - low) / (high - low) * (len(BARS) - 1))]

    return "".join(bar(v) for v in values)


def change(current: Number | None, previous: Number | None) -> Number | None:
    """This week minus the week before; None when either is unknown."""
    if current is None or previous is None:
        return None
    return current - previous


def median(values: Sequence[Number | None]) -> float | None:
    known = [v for v in values if v is not None]
    return float(statistics.median(known)) if known else None


def against_median(values: Sequence[Number | None]) -> tuple[float, float] | None:
    """(latest value / median of the series, median), or None when there is nothing to compare:
    the latest value unknown, or a median of zero (no signal yet)."""
    middle = median(values)
    if not values or values[-1] is None or not middle:
        return None
    return values[-1] / middle, middle
