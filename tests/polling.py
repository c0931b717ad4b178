"""The one way tests wait for something that happens on another thread or process."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(condition: Callable[[], T], *, seconds: float = 10.0, every: float = 0.02, what: str = "") -> T:
    """Poll ``condition`` every ``every`` seconds until it returns something truthy and return
    that; fail the test (``AssertionError`` naming ``what``, or where the condition was
    written) when it does not within ``seconds``.

    It counts real sleeps instead of reading a clock: under freezegun the test thread's
    ``time.monotonic`` stands still, so a deadline on it would never come.  A slow condition
    (one that runs a process) stretches the wait, so it wants a longer ``every``.
    """
    for _ in range(math.ceil(seconds / every) + 1):
        result = condition()
        if result:
            return result
        time.sleep(every)
    code = getattr(condition, "__code__", None)
    where = what or (f"{code.co_filename}:{code.co_firstlineno}" if code else repr(condition))
    raise AssertionError(f"still not true after {seconds:g} s: {where} (last result: {result!r})")
