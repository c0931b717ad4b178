"""The matching rules of mentoring rounds (``bot.mentoring.matching.match``), without Slack or a database."""

import itertools
import json
import os
import random
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.mentoring.matching.match import (
    FULL_FIT,
    MatchingRules,
    Person,
    match_mentors,
    match_peers,
    mentoring_fit,
    peer_fit,
    utc_offset_minutes,
    working_hours_overlap,
)
from bot.mentoring.matching.solve import assign

ROOT = Path(__file__).resolve().parents[2]
RULES = MatchingRules()


def person(pid: str, teaches: str = "", learns: str = "", **kw) -> Person:
    return Person(pid, teaches=frozenset(teaches.split()), learns=frozenset(learns.split()), **kw)


def pairs_of(result) -> set[tuple[str, ...]]:
    return {m.members for m in result.matches}


def reasons(result) -> dict[str, str]:
    return {u.person_id: u.reason.value for u in result.unmatched}


# --- hard constraints -----------------------------------------------------------------


def test_a_mentor_never_takes_more_mentees_than_their_capacity() -> None:
    mentors = [person("x", teaches="python", capacity=2)]
    mentees = [person(f"m{i}", learns="python") for i in range(5)]
    result = match_mentors(mentors=mentors, mentees=mentees)
    assert len(result.mentees_of("x")) == 2
    assert sorted(reasons(result).values()) == ["capacity_full"] * 3


def test_capacity_is_spread_over_mentors() -> None:
    mentors = [person("x1", teaches="go", capacity=3), person("x2", teaches="go", capacity=1)]
    mentees = [person(f"m{i}", learns="go") for i in range(4)]
    result = match_mentors(mentors=mentors, mentees=mentees)
    assert (len(result.mentees_of("x1")), len(result.mentees_of("x2"))) == (3, 1)
    assert result.unmatched == ()


@pytest.mark.parametrize("avoid", [[("m", "x1")], [("x1", "m")]])
def test_avoid_works_both_ways(avoid) -> None:
    mentors = [person("x1", teaches="rust"), person("x2", teaches="rust", utc_offset_minutes=600)]
    result = match_mentors(mentors=mentors, mentees=[person("m", learns="rust")], avoid=avoid)
    assert pairs_of(result) == {("x2", "m")}  # x1 fits better (same hours) but is avoided


def test_peers_who_avoid_each_other_are_not_paired() -> None:
    members = [person("a", "ml"), person("b", "ml"), person("c", "ops"), person("d", "ops")]
    result = match_peers(members=members, avoid=[("b", "a"), ("c", "d")])
    assert all({"a", "b"} - set(m.members) and {"c", "d"} - set(m.members) for m in result.matches)
    assert len(result.matches) == 2


def test_paused_and_inactive_people_are_left_out_with_their_reason() -> None:
    mentors = [person("x1", teaches="sql", paused=True), person("x2", teaches="sql", active=False, paused=True)]
    mentees = [
        person("m1", learns="sql", paused=True), person("m2", learns="sql", active=False), person("m3", learns="sql"),
    ]
    result = match_mentors(mentors=mentors, mentees=mentees)
    assert result.matches == ()
    assert reasons(result) == {
        "x1": "paused", "x2": "inactive", "m1": "paused", "m2": "inactive", "m3": "no_eligible_partner",
    }
    peers = match_peers(members=[person("a", paused=True), person("b", active=False), person("c"), person("d")])
    assert pairs_of(peers) == {("c", "d")} and reasons(peers) == {"a": "paused", "b": "inactive"}


def test_a_mentee_is_only_matched_with_a_mentor_teaching_something_they_want() -> None:
    mentors = [person("x1", teaches="kubernetes"), person("x2", teaches="llm-evaluation")]
    mentees = [person("m1", learns="llm-evaluation"), person("m2", learns="cobol")]
    result = match_mentors(mentors=mentors, mentees=mentees)
    assert pairs_of(result) == {("x2", "m1")}
    assert reasons(result) == {"x1": "no_eligible_partner", "m2": "no_eligible_partner"}
    assert result.matches[0].reason.shared_skills == ("llm-evaluation",)


def test_without_a_required_skill_anyone_can_be_matched() -> None:
    rules = MatchingRules(require_shared_skill=False)
    mentors, mentees = [person("x", teaches="kubernetes")], [person("m", learns="cobol")]
    result = match_mentors(mentors=mentors, mentees=mentees, rules=rules)
    assert pairs_of(result) == {("x", "m")} and result.matches[0].reason.shared_skills == ()


def test_someone_who_offers_and_seeks_is_never_their_own_mentor() -> None:
    me = person("u", teaches="python", learns="python")
    result = match_mentors(mentors=[me], mentees=[me, person("m", learns="python")])
    assert pairs_of(result) == {("u", "m")}
    assert reasons(result) == {"u": "no_eligible_partner"}  # as a mentee: the only mentor is themselves


# --- cooldown -------------------------------------------------------------------------

# x1 shares the mentee's hours, x2 is nine hours away: x1 fits better.
COOLDOWN_MENTORS = [person("x1", teaches="rag"), person("x2", teaches="rag", utc_offset_minutes=540)]


def test_a_recent_pair_is_not_repeated_when_another_choice_exists() -> None:
    history = [[("x1", "m")], [("x9", "m9")]]
    result = match_mentors(mentors=COOLDOWN_MENTORS, mentees=[person("m", learns="rag")], history=history)
    assert pairs_of(result) == {("x2", "m")}
    assert not result.matches[0].reason.repeat


def test_a_repeat_is_allowed_when_it_is_the_only_way_to_match_someone() -> None:
    history = [[("x1", "m")]]
    result = match_mentors(
        mentors=COOLDOWN_MENTORS, mentees=[person("m", learns="rag")], history=history, avoid=[("m", "x2")]
    )
    assert pairs_of(result) == {("x1", "m")}
    assert result.matches[0].reason.repeat


def test_others_are_rearranged_rather_than_repeat_a_pair() -> None:
    # m1 and m2 both fit x1 best; m1 met x1 recently.  Whatever fit says, m2 gets x1.
    mentors = [person("x1", teaches="a b", capacity=1), person("x2", teaches="a", utc_offset_minutes=300)]
    mentees = [person("m1", learns="a b"), person("m2", learns="a")]
    fresh = match_mentors(mentors=mentors, mentees=mentees)
    assert pairs_of(fresh) == {("x1", "m1"), ("x2", "m2")}  # the better total without history
    cooled = match_mentors(mentors=mentors, mentees=mentees, history=[[("x1", "m1")]])
    assert pairs_of(cooled) == {("x1", "m2"), ("x2", "m1")}


def test_someone_left_out_last_round_rather_meets_a_recent_partner_again_than_waits_again() -> None:
    mentors = [person("x", teaches="go")]
    mentees = [person("waited", learns="go", unmatched_last_round=True), person("other", learns="go")]
    result = match_mentors(mentors=mentors, mentees=mentees, history=[[("x", "waited")]])
    assert pairs_of(result) == {("x", "waited")}
    assert result.matches[0].reason.repeat and result.matches[0].reason.priority


def test_the_cooldown_counts_only_the_last_k_rounds() -> None:
    history = [[("x1", "m")]] + [[] for _ in range(6)]  # seven rounds ago
    result = match_mentors(mentors=COOLDOWN_MENTORS, mentees=[person("m", learns="rag")], history=history)
    assert pairs_of(result) == {("x1", "m")} and not result.matches[0].reason.repeat
    stricter = match_mentors(
        mentors=COOLDOWN_MENTORS, mentees=[person("m", learns="rag")], history=history,
        rules=MatchingRules(cooldown_rounds=7),
    )
    assert pairs_of(stricter) == {("x2", "m")}


def test_peers_do_not_meet_again_within_the_cooldown() -> None:
    members = [person("a", "x"), person("b", "x"), person("c", "y"), person("d", "y")]
    first = match_peers(members=members)
    assert pairs_of(first) == {("a", "b"), ("c", "d")}
    second = match_peers(members=members, history=[first.history_entry()])
    assert not pairs_of(second) & pairs_of(first) and len(second.matches) == 2


# --- fairness -------------------------------------------------------------------------


def test_people_left_out_last_round_go_first_when_mentors_are_short() -> None:
    mentors = [person("x", teaches="go rust")]
    perfect = person("m1", learns="go rust")
    weak = person("m2", learns="go rust java haskell", utc_offset_minutes=-480, unmatched_last_round=True)
    result = match_mentors(mentors=mentors, mentees=[perfect, weak])
    assert pairs_of(result) == {("x", "m2")} and result.matches[0].reason.priority
    assert reasons(result) == {"m1": "capacity_full"}
    assert pairs_of(match_mentors(mentors=mentors, mentees=[perfect, replace(weak, unmatched_last_round=False)])) == {
        ("x", "m1")
    }


def test_a_peer_left_out_last_round_is_not_the_one_left_out_again() -> None:
    # b and c avoid each other, so a pairs with one of them and no trio can form.
    a, b, c = person("a", "ml"), person("b", "ml"), person("c", "ml", utc_offset_minutes=-600)
    avoid = [("b", "c")]
    assert pairs_of(match_peers(members=[a, b, c], avoid=avoid)) == {("a", "b")}  # b's hours fit a better
    again = match_peers(members=[a, b, replace(c, unmatched_last_round=True)], avoid=avoid)
    assert pairs_of(again) == {("a", "c")} and reasons(again) == {"b": "partners_taken"}


# --- odd counts, nobody eligible ------------------------------------------------------


def test_an_odd_guild_gets_one_trio_and_the_leftover_joins_the_best_pair_for_them() -> None:
    members = [
        person("a", "python"), person("b", "python"),
        person("c", "rust"), person("d", "rust"),
        person("e", "rust"),
    ]
    result = match_peers(members=members)
    sizes = sorted(len(m.members) for m in result.matches)
    assert sizes == [2, 3] and result.unmatched == ()
    trio = next(m for m in result.matches if len(m.members) == 3)
    assert set(trio.members) == {"c", "d", "e"} and trio.reason.shared_skills == ("rust",)
    assert len(trio.pairs()) == 3


def test_nobody_eligible_gives_an_empty_result_with_reasons() -> None:
    assert match_mentors(mentors=[], mentees=[]).matches == ()
    result = match_mentors(mentors=[], mentees=[person("m", learns="go")])
    assert result.matches == () and reasons(result) == {"m": "no_eligible_partner"}
    result = match_mentors(mentors=[person("x", teaches="go")], mentees=[person("m", learns="go")], avoid=[("x", "m")])
    assert result.matches == () and reasons(result) == {"x": "no_eligible_partner", "m": "no_eligible_partner"}
    lonely = match_peers(members=[person("a")])
    assert lonely.matches == () and reasons(lonely) == {"a": "no_eligible_partner"}
    assert match_peers(members=[]).matches == ()


# --- determinism ----------------------------------------------------------------------


def random_round(seed: int, n_mentees: int = 40, n_mentors: int = 15, *, skills: int = 8):
    rng = random.Random(seed)
    names = [f"s{i}" for i in range(skills)]

    def some(k):
        return " ".join(rng.sample(names, rng.randint(1, k)))

    zones = [-480, -300, 0, 60, 330, 345, 540, 780]
    mentors = [
        person(f"x{i:02d}", teaches=some(3), capacity=rng.randint(1, 3), utc_offset_minutes=rng.choice(zones),
               team=rng.choice("ABC"), unmatched_last_round=rng.random() < 0.1)
        for i in range(n_mentors)
    ]
    mentees = [
        person(f"m{i:02d}", learns=some(2), utc_offset_minutes=rng.choice(zones), team=rng.choice("ABC"),
               unmatched_last_round=rng.random() < 0.2, paused=rng.random() < 0.05)
        for i in range(n_mentees)
    ]
    avoid = [(rng.choice(mentees).id, rng.choice(mentors).id) for _ in range(4)]
    history = [[(rng.choice(mentors).id, rng.choice(mentees).id) for _ in range(12)] for _ in range(6)]
    return dict(mentors=mentors, mentees=mentees, avoid=avoid, history=history)


def test_the_same_seed_gives_the_same_round_whatever_the_input_order() -> None:
    round_ = random_round(1)
    first = match_mentors(**round_, seed=3)
    shuffled = {k: list(v) for k, v in round_.items()}
    for k in shuffled:
        random.Random(9).shuffle(shuffled[k])
    assert match_mentors(**shuffled, seed=3) == first


def test_different_seeds_break_ties_differently_and_stay_valid() -> None:
    mentors = [person("x", teaches="go")]
    mentees = [person(f"m{i}", learns="go") for i in range(6)]  # all alike: a tie
    chosen = {match_mentors(mentors=mentors, mentees=mentees, seed=s).matches[0].members[1] for s in range(30)}
    assert len(chosen) > 2
    round_ = random_round(2)
    for seed in range(5):
        assert_valid(match_mentors(**round_, seed=seed), round_)


def assert_valid(result, round_) -> None:
    capacity = {x.id: x.capacity for x in round_["mentors"]}
    avoid = {frozenset(p) for p in round_["avoid"]}
    out = {p.id for p in round_["mentors"] + round_["mentees"] if p.paused or not p.active}
    for x in capacity:
        assert len(result.mentees_of(x)) <= capacity[x]
    mentees = [m.members[1] for m in result.matches]
    assert len(mentees) == len(set(mentees))
    for m in result.matches:
        assert frozenset(m.members) not in avoid and not out & set(m.members) and m.reason.shared_skills


def test_hash_randomisation_does_not_change_a_round() -> None:
    script = (
        "import json, sys; sys.path.insert(0, sys.argv[1]);"
        "from tests.unit.test_matching import random_round; from bot.mentoring.matching.match import match_mentors, match_peers;"
        "r = random_round(5); m = match_mentors(**r, seed=1);"
        "p = match_peers(members=r['mentees'], seed=1);"
        "print(json.dumps([[x.members for x in m.matches], [x.members for x in p.matches]]))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script, str(ROOT)], capture_output=True, text=True, check=True, cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        ).stdout
        for hash_seed in ("1", "2", "3")
    }
    assert len(outputs) == 1 and json.loads(outputs.pop())[0]


# --- time zones and fit ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "minutes"),
    [
        ((0, (540, 1020)), (0, (540, 1020)), 480),
        ((0, (540, 1020)), (330, (540, 1020)), 150),  # India, +05:30: 03:30–11:30 UTC
        ((0, (540, 1020)), (345, (540, 1020)), 135),  # Nepal, +05:45
        ((570, (540, 1020)), (-210, (540, 1020)), 0),  # Adelaide +09:30 and Newfoundland -03:30
        ((780, (540, 1020)), (-600, (540, 1020)), 420),  # Auckland and Honolulu, across midnight UTC
        ((0, (1320, 360)), (-480, (540, 1020)), 180),  # a night shift 22:00–06:00, Los Angeles 17:00–01:00
        ((0, (0, 1440)), (330, (540, 1020)), 480),
    ],
)
def test_working_hours_overlap_across_time_zones(a, b, minutes) -> None:
    pa = Person("a", utc_offset_minutes=a[0], workday=a[1])
    pb = Person("b", utc_offset_minutes=b[0], workday=b[1])
    assert working_hours_overlap(pa, pb) == working_hours_overlap(pb, pa) == minutes


def test_a_trio_overlap_is_what_all_three_share() -> None:
    utc, india, berlin = (Person(i, utc_offset_minutes=o) for i, o in (("u", 0), ("i", 330), ("b", 60)))
    assert working_hours_overlap(utc, india, berlin) == 150
    assert working_hours_overlap(berlin, india) == 210


def test_offsets_come_from_iana_zones_on_the_day_of_the_round() -> None:
    winter, summer = datetime(2026, 1, 12, 10, tzinfo=timezone.utc), datetime(2026, 7, 13, 10, tzinfo=timezone.utc)
    assert utc_offset_minutes("Asia/Kolkata", at=winter) == 330
    assert utc_offset_minutes("Asia/Kathmandu", at=winter) == 345
    assert (utc_offset_minutes("America/New_York", at=winter), utc_offset_minutes("America/New_York", at=summer)) == (
        -300, -240,
    )
    assert utc_offset_minutes("Australia/Adelaide", at=winter) == 630


def test_a_workday_must_make_sense() -> None:
    with pytest.raises(ValueError, match="workday"):
        working_hours_overlap(Person("a", workday=(540, 540)), Person("b"))


def test_fit_parts_and_reasons() -> None:
    mentor = person("x", teaches="python rag evals", team="platform")
    mentee = person("m", learns="rag evals go", team="search", utc_offset_minutes=330)
    fit = mentoring_fit(mentor, mentee, RULES)
    assert fit.shared_skills == ("evals", "rag") and fit.overlap_minutes == 150 and fit.cross_team
    assert fit.points == 6000 * 2 // 3 + 3000 * 150 // 480 + 1000
    peer = peer_fit(person("a", "python", "rag"), person("b", "rag go"), RULES)
    assert peer.shared_skills == ("rag",) and peer.points == 6000 // 2 + 3000
    result = match_mentors(mentors=[mentor], mentees=[mentee])
    match = result.matches[0]
    assert match.fit == fit.points / FULL_FIT and match.mentor_id == "x" and match.mentee_id == "m"
    assert match.reason.as_dict() == {
        "shared_skills": ["evals", "rag"], "overlap_hours": 2.5, "cross_team": True, "repeat": False,
        "priority": False,
    }


def test_every_reported_fit_is_the_reference_fit() -> None:
    round_ = random_round(4)
    by_id = {p.id: p for p in round_["mentors"] + round_["mentees"]}
    for m in match_mentors(**round_).matches:
        assert m.fit * FULL_FIT == mentoring_fit(by_id[m.members[0]], by_id[m.members[1]], RULES).points


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="capacity"):
        match_mentors(mentors=[person("x", capacity=0)], mentees=[])
    with pytest.raises(ValueError, match="twice"):
        match_peers(members=[person("a"), person("a")])
    with pytest.raises(ValueError, match="100"):
        MatchingRules(skill_weight=90)


# --- optimality against scipy's exact solver ------------------------------------------


def exact(round_, rules: MatchingRules) -> dict:
    """The dense problem's optimum by scipy: every pair weighed, same order, same constraints."""
    np = pytest.importorskip("numpy")
    optimize = pytest.importorskip("scipy.optimize")
    mentees = [m for m in round_["mentees"] if m.active and not m.paused]
    slots = [x for x in round_["mentors"] if x.active and not x.paused for _ in range(x.capacity)]
    avoid = {frozenset(p) for p in round_["avoid"]}
    met = {frozenset(p) for r in round_["history"][-rules.cooldown_rounds:] for p in r}
    require = rules.require_shared_skill is not False
    n = min(len(mentees), len(slots))
    fresh_tier = n * FULL_FIT + 1  # pairs, then people left out last round, then fresh pairs, then fit
    priority_tier = fresh_tier * (n + 1)
    pair_tier = priority_tier * (2 * n + 1)
    weight = np.zeros((len(mentees), len(slots)))
    for (i, m), (j, x) in itertools.product(enumerate(mentees), enumerate(slots)):
        fit = mentoring_fit(x, m, rules)
        if frozenset((m.id, x.id)) in avoid or m.id == x.id or (require and not fit.shared_skills):
            continue  # weight 0: the same as leaving both out
        fresh = frozenset((m.id, x.id)) not in met
        priority = m.unmatched_last_round + x.unmatched_last_round
        weight[i, j] = pair_tier + priority_tier * priority + fresh_tier * fresh + fit.points
    assert weight.max() * n < 2**53  # exact in float64
    rows, cols = optimize.linear_sum_assignment(weight, maximize=True)
    chosen = [(mentees[i], slots[j]) for i, j in zip(rows, cols) if weight[i, j] > 0]
    return {
        "pairs": len(chosen),
        "priority": sum(m.unmatched_last_round + x.unmatched_last_round for m, x in chosen),
        "repeats": sum(frozenset((m.id, x.id)) in met for m, x in chosen),
        "fit": sum(mentoring_fit(x, m, rules).points for m, x in chosen),
    }


def ours(result, round_) -> dict:
    prio = {p.id for p in round_["mentors"] + round_["mentees"] if p.unmatched_last_round}
    return {
        "pairs": len(result.matches),
        "priority": sum(len(prio & set(m.members)) for m in result.matches),
        "repeats": sum(m.reason.repeat for m in result.matches),
        "fit": sum(round(m.fit * FULL_FIT) for m in result.matches),
    }


@pytest.mark.parametrize("shape", [(40, 15), (12, 15)], ids=["mentors-short", "mentees-short"])
@pytest.mark.parametrize("require_shared_skill", [None, False])
@pytest.mark.parametrize("seed", range(4))
def test_mentoring_is_as_good_as_the_exact_optimum(seed: int, require_shared_skill, shape) -> None:
    rules = MatchingRules(require_shared_skill=require_shared_skill)
    round_ = random_round(seed, *shape)
    best, got = exact(round_, rules), ours(match_mentors(**round_, rules=rules, seed=seed), round_)
    assert (got["pairs"], got["priority"], got["repeats"]) == (best["pairs"], best["priority"], best["repeats"])
    assert got["fit"] >= 0.995 * best["fit"]


@pytest.mark.parametrize("seed", range(3))
def test_a_sparse_candidate_graph_stays_near_the_exact_optimum(seed: int) -> None:
    # Few candidates and a small pool per person, as at 50,000 × 10,000 but on a small round.
    rules = MatchingRules(candidates=4, scan_budget=10, fallbacks=2)
    round_ = random_round(10 + seed, n_mentees=60, n_mentors=25, skills=5)
    best, got = exact(round_, rules), ours(match_mentors(**round_, rules=rules, seed=seed), round_)
    assert (got["pairs"], got["priority"], got["repeats"]) == (best["pairs"], best["priority"], best["repeats"])
    assert got["fit"] >= 0.98 * best["fit"]


@pytest.mark.parametrize("seed", range(6))
def test_the_assignment_solver_is_exact(seed: int) -> None:
    np = pytest.importorskip("numpy")
    optimize = pytest.importorskip("scipy.optimize")
    rng = random.Random(seed)
    n_rows, n_cols = rng.choice([(30, 80), (80, 30), (50, 50)])
    cost = np.zeros((n_rows, n_cols), dtype=np.int64)  # 0: no edge (the same as staying unassigned)
    row_cols, row_costs = [], []
    for r in range(n_rows):
        cols = rng.sample(range(n_cols), rng.randint(0, 8))
        row_cols.append(cols)
        row_costs.append([-rng.randint(1, 50) for _ in cols])  # small range: many ties
        cost[r, cols] = row_costs[-1]
    contested = rng.sample(range(n_cols), rng.randint(0, n_cols // 2)) if seed % 2 else []
    got = assign(row_cols, row_costs, n_cols, contested=contested)
    taken = [c for c in got if c >= 0]
    assert len(taken) == len(set(taken))
    hurried = [c for c in assign(row_cols, row_costs, n_cols, search_limit=1) if c >= 0]
    assert len(hurried) == len(set(hurried))  # not optimal, but still an assignment
    ours_cost = sum(cost[r, c] for r, c in enumerate(got) if c >= 0)
    rows, cols = optimize.linear_sum_assignment(cost)
    assert ours_cost == cost[rows, cols].sum()


def best_pairing(members, history, avoid) -> tuple[int, int, int, int]:
    """Brute force over all pairings of a small group: (pairs, left out last round, fresh pairs, fit)."""
    met = {frozenset(p) for r in history for p in r}
    banned = {frozenset(p) for p in avoid}
    best = (0, 0, 0, 0)

    def walk(rest, acc):
        nonlocal best
        best = max(best, acc)
        if len(rest) < 2:
            return
        a, others = rest[0], rest[1:]
        walk(others, acc)  # a stays out
        for i, b in enumerate(others):
            if frozenset((a.id, b.id)) in banned:
                continue
            gain = (1, a.unmatched_last_round + b.unmatched_last_round, frozenset((a.id, b.id)) not in met,
                    peer_fit(a, b, RULES).points)
            walk(others[:i] + others[i + 1 :], tuple(x + y for x, y in zip(acc, gain)))

    walk(list(members), (0, 0, 0, 0))
    return best


@pytest.mark.parametrize("seed", range(5))
def test_peer_pairing_is_near_the_best_pairing(seed: int) -> None:
    round_ = random_round(20 + seed, n_mentees=9, n_mentors=1)
    members = [p for p in round_["mentees"] if not p.paused][:8]
    members = members[: len(members) // 2 * 2]
    history = [[(a.id, b.id) for a, b in zip(members[::2], members[1::2])]]
    avoid = [(members[0].id, members[1].id), (members[2].id, members[5].id)]
    result = match_peers(members=members, history=history, avoid=avoid, seed=seed)
    prio = {p.id for p in members if p.unmatched_last_round}
    got = (
        len(result.matches),
        sum(len(prio & set(m.members)) for m in result.matches),
        sum(not m.reason.repeat for m in result.matches),
        sum(round(m.fit * FULL_FIT) for m in result.matches),
    )
    best = best_pairing(members, history, avoid)
    assert got[:3] == best[:3] and got[3] >= 0.995 * best[3]


# --- the package's structure ----------------------------------------------------------

LAYERS = ["people", "fit", "graph", "solve", "peers", "match"]  # each may import only those before it


def test_the_matching_modules_import_one_another_in_one_direction() -> None:
    import ast

    package = ROOT / "bot" / "mentoring" / "matching"
    assert sorted(p.stem for p in package.glob("*.py")) == sorted([*LAYERS, "__init__"])
    for layer, name in enumerate(LAYERS):
        tree = ast.parse((package / f"{name}.py").read_text())
        imported = {
            node.module.rsplit(".", 1)[1]
            for node in ast.walk(tree)  # TYPE_CHECKING blocks included
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot.mentoring.matching.")
        }
        assert imported <= set(LAYERS[:layer]), f"{name} imports {sorted(imported - set(LAYERS[:layer]))}"


def test_the_package_exports_what_match_does() -> None:
    import bot.mentoring.matching as package
    from bot.mentoring.matching import match, people

    assert package.__doc__ and set(package.__all__) == set(match.__all__)
    assert all(getattr(package, name) is getattr(match, name) for name in match.__all__)
    assert match.Person is people.Person and match.MatchingRules is people.MatchingRules
