"""Waiting in tests that freeze time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(condition: Callable[[], T], *, seconds: float = 10.0) -> T:
    """Poll ``condition`` until truthy, counting real sleeps: under freezegun the test thread's
    monotonic clock stands still, so a deadline on it would never come."""
    for _ in range(int(seconds / 0.05)):
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"still false after {seconds} s: {condition}")
