"""How well two people fit: working hours across time zones, fit points, weight tiers.

Part of :mod:`bot.mentoring.matching.match` (read its docstring first).  :func:`mentoring_fit` and
:func:`peer_fit` are the reference definitions on :class:`~bot.mentoring.matching.people.Person`; the
rest encodes a round for speed — people as parallel lists in id order, skills as bit
masks, working hours reduced to a few *profiles* (UTC spans) — because the scale
targets leave about a microsecond per weighed pair in pure Python.  Tests check that
both paths give the same points.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from bot.mentoring.matching.people import MatchingRules, Person

MINUTES_PER_DAY = 24 * 60
FULL_FIT = 10_000  # fit points of a perfect fit; ``Match.fit`` is points / FULL_FIT

Spans = tuple[tuple[int, int], ...]  # disjoint [start, end) minute ranges within one UTC day


# --- time zones -----------------------------------------------------------------------


def utc_offset_minutes(zone: str, *, at: datetime) -> int:
    """The UTC offset of an IANA zone at a moment, in minutes (DST-aware, e.g. +330 for Asia/Kolkata).

    A round resolves every zone once at its start, so the matcher itself stays a pure
    function of offsets.  A naive ``at`` is taken as UTC.
    """
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    offset = at.astimezone(ZoneInfo(zone)).utcoffset()
    assert offset is not None
    return int(offset.total_seconds()) // 60


def workday_length(workday: tuple[int, int]) -> int:
    start, end = workday
    if not (0 <= start < MINUTES_PER_DAY and 0 < end <= MINUTES_PER_DAY and start != end):
        raise ValueError(f"a workday is (start, end) in minutes after local midnight, got {workday!r}")
    return end - start if end > start else end + MINUTES_PER_DAY - start  # end < start: overnight


def utc_spans(utc_offset: int, workday: tuple[int, int]) -> Spans:
    """Local working hours as minute ranges of the UTC day (two ranges when they wrap midnight)."""
    length = workday_length(workday)
    start = (workday[0] - utc_offset) % MINUTES_PER_DAY
    end = start + length
    if end <= MINUTES_PER_DAY:
        return ((start, end),)
    return ((start, MINUTES_PER_DAY), (0, end - MINUTES_PER_DAY))


def _intersect(a: Spans, b: Spans) -> Spans:
    out = []
    for s1, e1 in a:
        for s2, e2 in b:
            s, e = max(s1, s2), min(e1, e2)
            if s < e:
                out.append((s, e))
    return tuple(out)


def common_minutes(spans: Iterable[Spans]) -> int:
    """Minutes of the day inside every one of the given span sets."""
    it = iter(spans)
    common = next(it)
    for other in it:
        common = _intersect(common, other)
    return sum(e - s for s, e in common)


def working_hours_overlap(*people: Person) -> int:
    """Minutes per day when all of ``people`` are inside their working hours."""
    return common_minutes(utc_spans(p.utc_offset_minutes, p.workday) for p in people)


# --- fit ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fit:
    """The parts of a pair's fit; ``points`` out of :data:`FULL_FIT`."""

    points: int
    shared_skills: tuple[str, ...]
    overlap_minutes: int
    cross_team: bool


def _hours_points(rules: MatchingRules, overlap: int, len_a: int, len_b: int) -> int:
    # Share of the shorter working day, so a part-timer fully covered scores like anyone.
    return rules.hours_weight * 100 * overlap // min(len_a, len_b)


def _is_cross_team(a: Person, b: Person) -> bool:
    return a.team is not None and b.team is not None and a.team != b.team


def mentoring_fit(mentor: Person, mentee: Person, rules: MatchingRules) -> Fit:
    """Fit of a mentor for a mentee: what the mentor teaches of what the mentee wants to learn.

    skill = share of the mentee's learning goals the mentor teaches; hours = share of the
    shorter workday both are working; plus a flat bonus for crossing teams.
    """
    shared = mentor.teaches & mentee.learns
    skill = rules.skill_weight * 100 * len(shared) // len(mentee.learns) if mentee.learns else 0
    return _fit(mentor, mentee, rules, skill, shared)


def peer_fit(a: Person, b: Person, rules: MatchingRules) -> Fit:
    """Fit of two peers: the overlap coefficient of their interests (teach ∪ learn)."""
    ia, ib = a.teaches | a.learns, b.teaches | b.learns
    shared = ia & ib
    skill = rules.skill_weight * 100 * len(shared) // min(len(ia), len(ib)) if ia and ib else 0
    return _fit(a, b, rules, skill, shared)


def _fit(a: Person, b: Person, rules: MatchingRules, skill: int, shared: frozenset[str]) -> Fit:
    overlap = working_hours_overlap(a, b)
    hours = _hours_points(rules, overlap, workday_length(a.workday), workday_length(b.workday))
    cross = _is_cross_team(a, b)
    team = rules.cross_team_weight * 100 if cross else 0
    return Fit(skill + hours + team, tuple(sorted(shared)), overlap, cross)


# --- the encoded instance -------------------------------------------------------------


class Profiles:
    """Distinct working-hours profiles (UTC spans) and the fit points between each two."""

    def __init__(self, rules: MatchingRules) -> None:
        self._rules = rules
        self._index: dict[Spans, int] = {}
        self._settings: dict[tuple[int, tuple[int, int]], int] = {}  # (UTC offset, workday) -> profile
        self.spans: list[Spans] = []
        self.lengths: list[int] = []
        self._points: list[list[int]] = []
        self._minutes: dict[tuple[int, int], int] = {}
        self._orders: dict[int, list[int]] = {}

    def of(self, person: Person) -> int:
        setting = (person.utc_offset_minutes, tuple(person.workday))
        index = self._settings.get(setting)
        if index is None:
            spans = utc_spans(*setting)
            index = self._index.get(spans)
            if index is None:
                index = self._index[spans] = len(self.spans)
                self.spans.append(spans)
                self.lengths.append(sum(e - s for s, e in spans))
            self._settings[setting] = index
        return index

    def minutes(self, p: int, q: int) -> int:
        """Minutes per day when both profiles are at work."""
        key = (p, q) if p <= q else (q, p)
        minutes = self._minutes.get(key)
        if minutes is None:
            minutes = self._minutes[key] = common_minutes((self.spans[p], self.spans[q]))
        return minutes

    def points(self) -> list[list[int]]:
        """``points()[p][q]``: hours points between profiles p and q (built once, after all ``of``)."""
        if len(self._points) != len(self.spans):
            n = len(self.spans)
            self._points = [
                [_hours_points(self._rules, self.minutes(p, q), self.lengths[p], self.lengths[q]) for q in range(n)]
                for p in range(n)
            ]
        return self._points

    def order(self, p: int) -> list[int]:
        """Profiles from the best to the worst overlap with ``p``."""
        order = self._orders.get(p)
        if order is None:
            row = self.points()[p]
            order = self._orders[p] = sorted(range(len(row)), key=lambda q: (-row[q], q))
        return order


class Side:
    """One side of a round (mentors, mentees, or a guild's members) as parallel lists.

    Index ``i`` is the i-th person by id, so nothing depends on the caller's order, and
    ``rank[i]`` is a seeded random number that breaks every tie.
    """

    def __init__(
        self,
        people: Sequence[Person],
        *,
        skills: dict[str, int],
        teams: dict[str, int],
        profiles: Profiles,
        rng: random.Random,
    ) -> None:
        self.people = list(people)
        self.ids = [p.id for p in self.people]
        self.teach = [_mask(p.teaches, skills) for p in self.people]
        self.learn = [_mask(p.learns, skills) for p in self.people]
        self.interest = [t | le for t, le in zip(self.teach, self.learn)]
        self.profile = [profiles.of(p) for p in self.people]
        self.team = [-1 if p.team is None else teams.setdefault(p.team, len(teams)) for p in self.people]
        self.priority = [1 if p.unmatched_last_round else 0 for p in self.people]
        self.rank = [rng.getrandbits(32) for _ in self.people]

    def __len__(self) -> int:
        return len(self.people)


def skill_bits(people: Iterable[Person]) -> dict[str, int]:
    """Every skill named by anyone, sorted, to its bit (sorted so bits never depend on hashing)."""
    names: set[str] = set()
    for p in people:
        names |= p.teaches
        names |= p.learns
    return {name: bit for bit, name in enumerate(sorted(names))}


def _mask(skills: frozenset[str], bits: dict[str, int]) -> int:
    mask = 0
    for name in skills:
        mask |= 1 << bits[name]
    return mask


def bits_of(mask: int) -> list[int]:
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


FIB = 0x9E3779B97F4A7C15  # 2**64 / golden ratio


def pair_jitter(rank_a: int, rank_b: int) -> int:
    """A seeded pseudo-random 16-bit tie-breaker for a pair (Fibonacci hashing; symmetric).

    The solvers inline it in their hot loops: ``(((a ^ b) * FIB) >> 40) & 0xFFFF``.
    """
    return (((rank_a ^ rank_b) * FIB) >> 40) & 0xFFFF


JITTER_RANGE = 1 << 16


@dataclass(frozen=True, slots=True)
class Tiers:
    """Multipliers that make one integer weight order matchings lexicographically.

    A matching's total weight compares first on its number of pairs, then on how many
    people in it were left out last round, then on how many of its pairs did not meet
    within the cooldown, then on total fit points, and only then on the seeded jitter.
    Each level's multiplier exceeds the largest sum the levels below can reach over
    ``max_pairs`` pairs, so the order is exact: no amount of fit buys a repeat, and no
    jitter buys a fit point.
    """

    fit: int
    fresh: int
    priority: int
    pair: int

    @classmethod
    def for_pairs(cls, max_pairs: int) -> Tiers:
        n = max_pairs + 1
        fit = JITTER_RANGE * n
        fresh = fit * (FULL_FIT + 1) * n
        priority = fresh * (n + 1)
        pair = priority * (2 * n + 1)  # up to two people per pair were left out last round
        return cls(fit, fresh, priority, pair)

    def weight(self, *, points: int, repeat: bool, priority: int, jitter: int) -> int:
        return self.pair + priority * self.priority + (0 if repeat else self.fresh) + points * self.fit + jitter
