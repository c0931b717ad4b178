"""ISO weeks in the bot's time zone: a digest is about one week, Monday 00:00 to the next Monday.

Pure date arithmetic; the zone is given, so a week ends at local midnight whatever the
offset (a week that crosses a daylight-saving change is 167 or 169 hours long).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_LABEL = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def of(cls, moment: datetime, zone: ZoneInfo) -> IsoWeek:
        """The week ``moment`` falls in, on the calendar of ``zone``."""
        year, week, _ = moment.astimezone(zone).isocalendar()
        return cls(year, week)

    @classmethod
    def parse(cls, label: str) -> IsoWeek:
        """``2026-W48``; ValueError for anything else or a week the year does not have."""
        found = _LABEL.match(label.strip())
        if found is None:
            raise ValueError(f"`{label}` is not an ISO week; they look like `2026-W48`.")
        week = cls(int(found[1]), int(found[2]))
        week.monday  # noqa: B018 - raises ValueError for week 53 of a 52-week year
        return week

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    def start(self, zone: ZoneInfo) -> datetime:
        return datetime.combine(self.monday, time(0), tzinfo=zone)

    def end(self, zone: ZoneInfo) -> datetime:
        return self.shift(1).start(zone)

    def shift(self, weeks: int) -> IsoWeek:
        year, week, _ = (self.monday + timedelta(weeks=weeks)).isocalendar()
        return IsoWeek(year, week)

    def days_text(self) -> str:
        """``23–29 Nov 2026``, or across months ``30 Nov – 6 Dec 2026``."""
        first, last = self.monday, self.monday + timedelta(days=6)
        if first.month == last.month:
            return f"{first.day}–{last.day} {last:%b %Y}"
        if first.year == last.year:
            return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
        return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


def bounds(last: IsoWeek, weeks: int, zone: ZoneInfo) -> list[datetime]:
    """The ``weeks + 1`` boundaries of the ``weeks`` weeks ending with ``last``, oldest first."""
    first = last.shift(-(weeks - 1))
    return [first.shift(i).start(zone) for i in range(weeks + 1)]


def due_week(now: datetime, zone: ZoneInfo, *, weekday: int = 0, at: time = time(9)) -> IsoWeek:
    """The week whose digest is due at ``now``: the one before the latest slot (``weekday``,
    0 = Monday, at ``at`` local) that has come.  Only that week is ever caught up on."""
    this_week = IsoWeek.of(now, zone)
    slot = datetime.combine(this_week.monday + timedelta(days=weekday), at, tzinfo=zone)
    return this_week.shift(-1) if now >= slot else this_week.shift(-2)


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_slot(weekday: str, clock: str) -> tuple[int, time]:
    """``("thu", "14:30")`` -> ``(3, 14:30)``; a ValueError that says which part is wrong, with an example."""
    day = weekday.strip().lower()
    found = [i for i, name in enumerate(WEEKDAYS) if len(day) >= 3 and name.startswith(day)]
    if len(found) != 1:
        raise ValueError(f"`{weekday}` is not a weekday; write one such as `monday` or `thu`.")
    hour_minute = _CLOCK.match(clock.strip())
    if hour_minute is None:
        raise ValueError(f"`{clock}` is not a time of day; write 24-hour `HH:MM` such as `09:00` or `14:30`.")
    return found[0], time(int(hour_minute[1]), int(hour_minute[2]))
