"""A show-and-tell series' rhythm: parsing what a lead types, and the sessions it makes.

``every 2 weeks on thursday at 16:00 Europe/Paris slots=3 minutes=45`` is a
:class:`Rhythm`: a session every N weeks on one weekday at one local wall-clock time,
with room for ``slots`` talks in ``minutes`` minutes.  Sessions are stored in UTC but
computed from the local date and time in the series' zone (zoneinfo), so 16:00 stays
16:00 on both sides of a daylight-saving change; the UTC instant moves instead.

A bad schedule raises :class:`ScheduleError` naming the part that is wrong (``part``:
the form field of the schedule modal) with an example of a good one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.showtell.model import ShowTellError

SESSIONS_AHEAD = 8
EXAMPLE = "every 2 weeks on thursday at 16:00 Europe/Paris slots=3 minutes=45"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_WEEKS, MAX_SLOTS, MIN_MINUTES, MAX_MINUTES = 12, 10, 5, 240
PARTS = ("every", "weekday", "time", "zone", "slots", "minutes")  # the schedule modal's fields
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class ScheduleError(ShowTellError):
    """A schedule that cannot be understood; ``part`` is one of :data:`PARTS`."""

    def __init__(self, part: str, problem: str) -> None:
        super().__init__(f"{problem} For example: `{EXAMPLE}`.", field=part)
        self.part = part
        self.problem = problem


@dataclass(frozen=True)
class Rhythm:
    every_weeks: int
    weekday: int  # 0 = Monday
    at: time
    zone: ZoneInfo
    slots: int
    minutes: int

    def as_text(self) -> str:
        """The schedule as a lead would type it (and as the modal shows it)."""
        return (f"every {self.every_weeks} weeks on {WEEKDAYS[self.weekday]} at {self.at:%H:%M} {self.zone.key} "
                f"slots={self.slots} minutes={self.minutes}")

    def starts_at(self, day: date) -> datetime:
        """The UTC instant of the session on local ``day``.  A time that does not exist that day (the
        hour skipped in spring) falls an hour later, as zoneinfo resolves it."""
        return datetime.combine(day, self.at, tzinfo=self.zone).astimezone(timezone.utc)

    def falls_on(self, day: date, *, anchor: date) -> bool:
        """Whether ``day`` is a session date of the rhythm counted from ``anchor`` (a date on its weekday)."""
        return day >= anchor and (day - anchor).days % (7 * self.every_weeks) == 0

    def first_day(self, *, after: datetime) -> date:
        """The first local date on the weekday whose session starts after ``after``."""
        day = after.astimezone(self.zone).date()
        day += timedelta(days=(self.weekday - day.weekday()) % 7)
        return day if self.starts_at(day) > after else day + timedelta(weeks=1)

    def days(self, *, anchor: date, after: datetime, count: int = SESSIONS_AHEAD) -> list[date]:
        """The next ``count`` session dates (anchor + k × N weeks) whose session starts after ``after``."""
        step = timedelta(weeks=self.every_weeks)
        day = anchor
        if day < after.astimezone(self.zone).date():
            day += step * ((after.astimezone(self.zone).date() - day) // step)
        found: list[date] = []
        while len(found) < count:
            if self.starts_at(day) > after:
                found.append(day)
            day += step
        return found


def parse_schedule(text: str, *, default_zone: ZoneInfo) -> Rhythm:
    """``every <N> weeks on <weekday> at <HH:MM> [IANA zone] slots=<n> minutes=<m>`` → a :class:`Rhythm`.

    ``every week`` means every 1 week; weekdays may be cut to three letters; the zone defaults
    to ``default_zone``; ``slots=`` and ``minutes=`` may come in either order.
    """
    words = text.split()
    if not words or words[0].lower() != "every":
        raise ScheduleError("every", "A schedule starts with `every`, then how many weeks apart.")
    every, rest = _every(words[1:])
    weekday, rest = _weekday(rest)
    at, rest = _time(rest)
    zone, rest = _zone(rest, default_zone)
    options = _options(rest)
    return Rhythm(every, weekday, at, zone, options["slots"], options["minutes"])


def _small_number(text: str) -> bool:
    """ASCII digits, a few of them: ``"²".isdigit()`` is true, and ``int()`` refuses 5,000 digits."""
    return text.isascii() and text.isdigit() and len(text) <= 6


def _every(words: list[str]) -> tuple[int, list[str]]:
    head = words[0].lower() if words else ""
    if head in ("week", "weeks"):
        return 1, words[1:]
    shown = head or "nothing"
    if not _small_number(head) or not 1 <= int(head) <= MAX_WEEKS:
        raise ScheduleError("every", f"`every {shown}`: the weeks between sessions must be a whole number "
                                     f"from 1 to {MAX_WEEKS}.")
    if len(words) < 2 or words[1].lower() not in ("week", "weeks"):
        raise ScheduleError("every", f"`every {head}` must be followed by `weeks`.")
    return int(head), words[2:]


def _weekday(words: list[str]) -> tuple[int, list[str]]:
    if not words or words[0].lower() != "on":
        raise ScheduleError("weekday", "After the weeks comes the day: `on thursday`.")
    name = words[1].lower().rstrip("s") if len(words) > 1 else ""
    found = [i for i, day in enumerate(WEEKDAYS) if len(name) >= 3 and day.startswith(name)]
    if len(found) != 1:
        shown = words[1] if len(words) > 1 else "nothing"
        raise ScheduleError("weekday", f"`on {shown}`: the day must be a weekday such as `thursday` or `thu`.")
    return found[0], words[2:]


def _time(words: list[str]) -> tuple[time, list[str]]:
    if not words or words[0].lower() != "at":
        raise ScheduleError("time", "After the day comes the time: `at 16:00`.")
    match = _TIME.match(words[1]) if len(words) > 1 else None
    if match is None:
        shown = words[1] if len(words) > 1 else "nothing"
        raise ScheduleError("time", f"`at {shown}`: the time must be HH:MM on a 24-hour clock, such as `16:00`.")
    return time(int(match.group(1)), int(match.group(2))), words[2:]


def _zone(words: list[str], default: ZoneInfo) -> tuple[ZoneInfo, list[str]]:
    if not words or "=" in words[0]:
        return default, words
    try:
        return ZoneInfo(words[0]), words[1:]
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError("zone", f"`{words[0][:60]}` is not an IANA time zone: use one like `Europe/Paris`, "
                                    f"or leave it out for {default.key}.") from None


def _options(words: list[str]) -> dict[str, int]:
    limits = {"slots": (1, MAX_SLOTS), "minutes": (MIN_MINUTES, MAX_MINUTES)}
    found: dict[str, int] = {}
    for word in words:
        name, _, value = word.partition("=")
        name = name.lower()
        if name not in limits:
            raise ScheduleError("slots", f"I don't understand `{word[:60]}`: after the time (and zone) come "
                                         "`slots=<talks>` and `minutes=<length of the session>`.")
        low, high = limits[name]
        if not _small_number(value) or not low <= int(value) <= high:
            raise ScheduleError(name, f"`{word[:60]}`: {name} must be a whole number from {low} to {high}.")
        found[name] = int(value)
    for name, what in (("slots", "how many talks fit: `slots=3`"), ("minutes", "how long it lasts: `minutes=45`")):
        if name not in found:
            raise ScheduleError(name, f"Say {what}.")
    if found["minutes"] < found["slots"] * MIN_MINUTES:
        raise ScheduleError("minutes", f"{found['minutes']} minutes is too short for {found['slots']} talks "
                                       f"of at least {MIN_MINUTES} minutes.")
    return found
