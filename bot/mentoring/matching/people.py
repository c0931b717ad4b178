"""The plain data a round is made of: who takes part (:class:`Person`) and the program's settings
(:class:`MatchingRules`).

The bottom of the matching package: it imports nothing from it, and every other module may
import it (``people`` ← ``fit`` ← ``graph`` ← ``solve`` ← ``peers`` ← ``match``).
:mod:`bot.mentoring.matching.match` re-exports these names; callers import them from there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

History = Sequence[Iterable[Iterable[str]]]  # rounds, oldest first; each a list of groups of ids


@dataclass(frozen=True, slots=True)
class Person:
    """Someone taking part in a round, in one role (a person may be a mentor and a mentee).

    ``workday`` is (start, end) in minutes after local midnight (end < start for a night
    shift); ``utc_offset_minutes`` is resolved for the round's date by the caller, e.g.
    with :func:`bot.mentoring.matching.fit.utc_offset_minutes` from the member's IANA zone.
    """

    id: str
    teaches: frozenset[str] = frozenset()
    learns: frozenset[str] = frozenset()
    utc_offset_minutes: int = 0
    workday: tuple[int, int] = (9 * 60, 17 * 60)
    team: str | None = None
    capacity: int = 1  # mentees a mentor takes per round; ignored for mentees and peers
    paused: bool = False
    active: bool = True
    unmatched_last_round: bool = False


@dataclass(frozen=True, slots=True)
class MatchingRules:
    """A program's matching settings; the defaults are the issue's (K = 6, skill first)."""

    cooldown_rounds: int = 6  # K: pairs from the last K rounds are only a fallback
    skill_weight: int = 60  # the three weights are percentages of FULL_FIT and sum to 100
    hours_weight: int = 30
    cross_team_weight: int = 10
    # Never pair people with no skill in common?  None: yes for mentoring (a mentee named
    # what they want to learn), no for peers (they share a guild; skills are a bonus).
    require_shared_skill: bool | None = None
    candidates: int = 12  # partners kept per person in the sparse graph
    # Partners weighed per person when more share a skill.  None: 48 in mentoring (it has to
    # scale to 50,000 × 10,000), 200 among peers (a guild; interests overlap more widely).
    scan_budget: int | None = None
    fallbacks: int = 4  # best-hours partners added whatever their skills

    def __post_init__(self) -> None:
        if self.skill_weight + self.hours_weight + self.cross_team_weight != 100:
            raise ValueError("skill_weight + hours_weight + cross_team_weight must be 100")
        if min(self.skill_weight, self.hours_weight, self.cross_team_weight, self.cooldown_rounds) < 0:
            raise ValueError("weights and cooldown_rounds cannot be negative")
        if self.candidates < 1 or (self.scan_budget or 1) < 1 or self.fallbacks < 0:
            raise ValueError("candidates and scan_budget must be positive")
