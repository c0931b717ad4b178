"""Who meets whom in a mentoring round: mentor ↔ mentee matching and peer pairing.

A pure function over plain data (no Slack, no database), seeded and deterministic.
:mod:`~bot.mentoring.matching.match` is the entry point and explains what a round
maximises; beneath it, each module importing only those listed before it:
:mod:`~bot.mentoring.matching.people` (the input types), :mod:`~bot.mentoring.matching.fit`
(how well two people fit), :mod:`~bot.mentoring.matching.graph` (the sparse candidate
graph), :mod:`~bot.mentoring.matching.solve` (the exact assignment solver) and
:mod:`~bot.mentoring.matching.peers` (pairing within a guild).
"""

from bot.mentoring.matching.match import (
    FULL_FIT,
    Fit,
    Match,
    MatchingRules,
    MatchReason,
    MatchResult,
    Person,
    Unmatched,
    UnmatchedReason,
    match_mentors,
    match_peers,
    mentoring_fit,
    peer_fit,
    utc_offset_minutes,
    working_hours_overlap,
)

__all__ = [
    "FULL_FIT",
    "Fit",
    "Match",
    "MatchReason",
    "MatchResult",
    "MatchingRules",
    "Person",
    "Unmatched",
    "UnmatchedReason",
    "match_mentors",
    "match_peers",
    "mentoring_fit",
    "peer_fit",
    "utc_offset_minutes",
    "working_hours_overlap",
]
