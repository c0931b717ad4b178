"""Parsing a guild's digest slot: ``<weekday> <HH:MM>``."""

from __future__ import annotations

from datetime import time

import pytest

from bot.digest.weeks import parse_slot


@pytest.mark.parametrize(("weekday", "clock", "slot"), [
    ("monday", "09:00", (0, time(9))), ("Thu", "14:30", (3, time(14, 30))), ("sun", "7:05", (6, time(7, 5))),
    ("WEDNES", "23:59", (2, time(23, 59))),
])
def test_a_slot_is_a_weekday_and_a_24_hour_time(weekday: str, clock: str, slot: tuple[int, time]) -> None:
    assert parse_slot(weekday, clock) == slot


@pytest.mark.parametrize(("weekday", "clock", "says"), [
    ("t", "09:00", "`t` is not a weekday"),  # too short to tell Tuesday from Thursday
    ("funday", "09:00", "`funday` is not a weekday"),
    ("mon", "24:00", "`24:00` is not a time of day"),
    ("mon", "9am", "`9am` is not a time of day"),
    ("mon", "09:60", "`09:60` is not a time of day"),
])
def test_the_wrong_part_is_named(weekday: str, clock: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_slot(weekday, clock)
