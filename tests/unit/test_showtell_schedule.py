"""A show-and-tell series' rhythm (``bot.showtell.schedule``): parsing what a lead types, and the
sessions it makes across daylight-saving changes — no Slack, no database."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.showtell.schedule import EXAMPLE, ScheduleError, parse_schedule

PARIS = ZoneInfo("Europe/Paris")
UTC = ZoneInfo("UTC")


def test_a_full_schedule_and_its_forgiving_forms() -> None:
    rhythm = parse_schedule("every 2 weeks on Thursday at 16:00 Europe/Paris slots=3 minutes=45", default_zone=UTC)
    assert (rhythm.every_weeks, rhythm.weekday, rhythm.at, rhythm.zone.key, rhythm.slots, rhythm.minutes) == (
        2, 3, time(16, 0), "Europe/Paris", 3, 45)
    short = parse_schedule("every week on thu at 9:30 minutes=30 slots=2", default_zone=PARIS)
    assert (short.every_weeks, short.weekday, short.at, short.zone, short.slots) == (1, 3, time(9, 30), PARIS, 2)
    assert parse_schedule(rhythm.as_text(), default_zone=UTC) == rhythm


@pytest.mark.parametrize(
    ("text", "part", "problem"),
    [
        ("weekly on thursday at 16:00 slots=3 minutes=45", "every", "A schedule starts with `every`"),
        ("every two weeks on thursday at 16:00 slots=3 minutes=45", "every", "`every two`: the weeks between"),
        ("every 13 weeks on thursday at 16:00 slots=3 minutes=45", "every", "from 1 to 12"),
        ("every 2 on thursday at 16:00 slots=3 minutes=45", "every", "`every 2` must be followed by `weeks`"),
        ("every 2 weeks thursday at 16:00 slots=3 minutes=45", "weekday", "After the weeks comes the day"),
        ("every 2 weeks on thirsday at 16:00 slots=3 minutes=45", "weekday", "`on thirsday`: the day must be"),
        ("every 2 weeks on thursday 16:00 slots=3 minutes=45", "time", "After the day comes the time"),
        ("every 2 weeks on thursday at 4pm slots=3 minutes=45", "time", "`at 4pm`: the time must be HH:MM"),
        ("every 2 weeks on thursday at 24:00 slots=3 minutes=45", "time", "`at 24:00`"),
        ("every 2 weeks on thursday at 16:00 Mars/Olympus slots=3 minutes=45", "zone",
         "`Mars/Olympus` is not an IANA time zone"),
        ("every 2 weeks on thursday at 16:00 slots=zero minutes=45", "slots", "`slots=zero`: slots must be"),
        ("every 2 weeks on thursday at 16:00 slots=3 minutes=500", "minutes", "minutes must be a whole number"),
        ("every 2 weeks on thursday at 16:00 minutes=45", "slots", "Say how many talks fit"),
        ("every 2 weeks on thursday at 16:00 slots=3", "minutes", "Say how long it lasts"),
        ("every 2 weeks on thursday at 16:00 slots=3 minutes=45 please", "slots", "I don't understand `please`"),
        ("every 2 weeks on thursday at 16:00 slots=6 minutes=20", "minutes", "too short for 6 talks"),
    ],
)
def test_a_malformed_schedule_says_which_part_is_wrong_and_shows_an_example(text: str, part: str,
                                                                           problem: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(text, default_zone=UTC)
    assert raised.value.part == part == raised.value.field
    assert problem in str(raised.value) and str(raised.value).endswith(f"For example: `{EXAMPLE}`.")


def test_sessions_keep_their_wall_clock_time_across_both_daylight_saving_changes() -> None:
    rhythm = parse_schedule("every 1 weeks on sunday at 16:00 Europe/Paris slots=2 minutes=30", default_zone=UTC)
    now = datetime(2026, 3, 20, tzinfo=timezone.utc)
    days = rhythm.days(anchor=rhythm.first_day(after=now), after=now)
    assert days[:3] == [date(2026, 3, 22), date(2026, 3, 29), date(2026, 4, 5)] and len(days) == 8
    starts = [rhythm.starts_at(d) for d in days[:2]]
    assert [s.hour for s in starts] == [15, 14]  # CET, then CEST from 29 March
    assert all(rhythm.starts_at(d).astimezone(PARIS).time() == time(16, 0) for d in days)
    autumn = datetime(2026, 10, 20, tzinfo=timezone.utc)
    back = [rhythm.starts_at(d) for d in rhythm.days(anchor=date(2026, 3, 22), after=autumn)[:2]]
    assert [(s.day, s.hour) for s in back] == [(25, 15), (1, 15)] and back[0].month == 10  # 25 Oct: CET again
    assert rhythm.starts_at(date(2026, 10, 18)).hour == 14


def test_every_other_week_keeps_its_phase_from_the_anchor() -> None:
    rhythm = parse_schedule("every 2 weeks on thursday at 16:00 slots=2 minutes=30", default_zone=PARIS)
    anchor = date(2026, 12, 3)
    later = datetime(2026, 12, 11, tzinfo=timezone.utc)
    assert rhythm.days(anchor=anchor, after=later, count=2) == [date(2026, 12, 17), date(2026, 12, 31)]
    assert rhythm.falls_on(date(2026, 12, 17), anchor=anchor) and not rhythm.falls_on(date(2026, 12, 10), anchor=anchor)


def test_the_first_session_is_the_next_one_still_to_start() -> None:
    rhythm = parse_schedule("every 1 weeks on thursday at 16:00 slots=2 minutes=30", default_zone=PARIS)
    assert rhythm.first_day(after=datetime(2026, 12, 3, 14, 59, tzinfo=timezone.utc)) == date(2026, 12, 3)
    assert rhythm.first_day(after=datetime(2026, 12, 3, 15, 0, tzinfo=timezone.utc)) == date(2026, 12, 10)
