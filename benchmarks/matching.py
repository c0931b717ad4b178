"""Speed and quality of mentoring matches (``bot.mentoring.matching.match``) on generated instances.

Instances come from a fixed seed: 200 skills with a Zipf-like popularity (the k-th most
popular is wanted 1/k as often), 12 time zones (one of them +05:30) with three working
days (08–16, 09–17, 10–18 local), 50 teams, mentor capacity 1–3, about 3 % paused,
2 % inactive, a few avoid pairs, and 6 past rounds of history.

* scale: 5,000 mentees × 1,000 mentors (history = six earlier rounds run by the matcher
  itself, so the best pairs are exactly the ones in cooldown, and "left out last round"
  is who the sixth left out), then 50,000 × 10,000 (history: six random rounds of pairs
  that share a skill), then peer pairing of 2,001 guild members — wall-clock medians,
  process CPU time alongside (the machine is shared), and tracemalloc's peak;
* quality: ten 300 × 100 instances (and the 5,000 × 1,000 one) against the exact
  optimum of the *dense* problem — every pair, same weights, same constraints — by
  scipy's ``linear_sum_assignment`` (mentor slots as columns), in the matcher's order
  (pairs, people left out last round, fresh pairs, fit); repeated pairs against the
  fewest the exact solver needs; peers against the maximum-weight cycle cover (an upper
  bound on any pairing) and, for a 301-member guild, the exact optimum by integer
  programming (scipy's HiGHS);
* against random pairing as Donut does it: the share of pairs with a shared skill.

    .venv/bin/python benchmarks/matching.py [--quick]

Needs numpy and scipy (the ``test`` extra); the bot itself does not.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy.optimize import linear_sum_assignment  # noqa: E402

from bot.mentoring.matching.match import (  # noqa: E402
    FULL_FIT,
    MatchingRules,
    MatchResult,
    Person,
    match_mentors,
    match_peers,
)
from bot.mentoring.matching.fit import common_minutes, utc_spans, workday_length  # noqa: E402

SKILLS = [f"skill-{i:03d}" for i in range(200)]
POPULARITY = [1 / (i + 1) for i in range(len(SKILLS))]
OFFSETS = [-480, -420, -300, -240, -180, 0, 60, 120, 180, 330, 480, 540]
WORKDAYS = [(8 * 60, 16 * 60), (9 * 60, 17 * 60), (9 * 60, 17 * 60), (10 * 60, 18 * 60)]
RULES = MatchingRules()  # the defaults: what the bot runs with


# --- instances ------------------------------------------------------------------------


def _skills(rng: random.Random, low: int, high: int) -> frozenset[str]:
    want = rng.randint(low, high)
    out: set[str] = set()
    while len(out) < want:
        out.add(rng.choices(SKILLS, POPULARITY)[0])
    return frozenset(out)


def people(rng: random.Random, n: int, prefix: str, role: str) -> list[Person]:
    return [
        Person(
            id=f"{prefix}{i:06d}",
            teaches=_skills(rng, 1, 4) if role != "mentee" else frozenset(),
            learns=_skills(rng, 1, 3) if role != "mentor" else frozenset(),
            utc_offset_minutes=rng.choice(OFFSETS),
            workday=rng.choice(WORKDAYS),
            team=f"team-{rng.randrange(50)}",
            capacity=rng.randint(1, 3) if role == "mentor" else 1,
            paused=rng.random() < 0.03,
            active=rng.random() > 0.02,
        )
        for i in range(n)
    ]


def avoid_pairs(rng: random.Random, a: list[Person], b: list[Person], share: float = 0.005) -> list[tuple[str, str]]:
    return [(p.id, rng.choice(b).id) for p in a if rng.random() < share]


def self_history(mentors, mentees, avoid, rng: random.Random, rounds: int = 6):
    """Six earlier rounds by the matcher itself (with other people paused each time)."""
    history: list[list[tuple[str, ...]]] = []
    result = None
    for r in range(rounds):
        xs = [replace(p, paused=p.paused or rng.random() < 0.1) for p in mentors]
        ms = [replace(p, paused=p.paused or rng.random() < 0.1) for p in mentees]
        result = match_mentors(mentors=xs, mentees=ms, avoid=avoid, history=history, seed=1000 + r)
        history.append(result.history_entry())
    left_out = {u.person_id for u in result.unmatched if u.reason.value in ("capacity_full", "partners_taken")}
    return history, left_out


def random_history(mentors, mentees, rng: random.Random, rounds: int = 6):
    """Six rounds of random pairs that share a skill (cheap, for the large instance)."""
    teachers: dict[str, list[str]] = {}
    for p in mentors:
        for s in p.teaches:
            teachers.setdefault(s, []).append(p.id)
    history = []
    for _ in range(rounds):
        pairs = []
        for m in mentees:
            if rng.random() < 0.4:
                options = teachers.get(rng.choice(sorted(m.learns)))
                if options:
                    pairs.append((rng.choice(options), m.id))
        history.append(pairs)
    return history


def mentoring_instance(seed: int, n_mentees: int, n_mentors: int, *, self_made_history: bool):
    rng = random.Random(seed)
    mentors = people(rng, n_mentors, "x", "mentor")
    mentees = people(rng, n_mentees, "m", "mentee")
    avoid = avoid_pairs(rng, mentees, mentors)
    if self_made_history:
        history, left_out = self_history(mentors, mentees, avoid, rng)
    else:
        history, left_out = random_history(mentors, mentees, rng), {m.id for m in mentees if rng.random() < 0.1}
    mentors = [replace(p, unmatched_last_round=p.id in left_out) for p in mentors]
    mentees = [replace(p, unmatched_last_round=p.id in left_out) for p in mentees]
    return dict(mentors=mentors, mentees=mentees, avoid=avoid, history=history)


def peer_instance(seed: int, n: int):
    rng = random.Random(seed)
    members = people(rng, n, "p", "peer")
    avoid = avoid_pairs(rng, members, members)
    history: list[list[tuple[str, ...]]] = []
    result = None
    for r in range(6):
        round_members = [replace(p, paused=p.paused or rng.random() < 0.1) for p in members]
        result = match_peers(members=round_members, avoid=avoid, history=history, seed=2000 + r)
        history.append(result.history_entry())
    left_out = {u.person_id for u in result.unmatched if u.reason.value == "partners_taken"}
    members = [replace(p, unmatched_last_round=p.id in left_out) for p in members]
    return dict(members=members, avoid=avoid, history=history)


# --- the dense problem, for the exact solver ------------------------------------------


def _recent(history, k: int = RULES.cooldown_rounds) -> set[tuple[str, str]]:
    met = set()
    for round_ in history[-k:]:
        for group in round_:
            for a in group:
                for b in group:
                    if a != b:
                        met.add((a, b))
    return met


def _hours_matrix(a: list[Person], b: list[Person]) -> np.ndarray:
    keys = sorted({(p.utc_offset_minutes, p.workday) for p in a + b})
    index = {k: i for i, k in enumerate(keys)}
    table = np.zeros((len(keys), len(keys)), dtype=np.int64)
    for i, (oa, da) in enumerate(keys):
        for j, (ob, db) in enumerate(keys):
            overlap = common_minutes((utc_spans(oa, da), utc_spans(ob, db)))
            table[i, j] = RULES.hours_weight * 100 * overlap // min(workday_length(da), workday_length(db))
    ia = np.array([index[(p.utc_offset_minutes, p.workday)] for p in a])
    ib = np.array([index[(p.utc_offset_minutes, p.workday)] for p in b])
    return table[np.ix_(ia, ib)]


def _skill_matrix(people_: list[Person], attr: str) -> np.ndarray:
    col = {s: i for i, s in enumerate(SKILLS)}
    out = np.zeros((len(people_), len(SKILLS)), dtype=np.int64)
    for i, p in enumerate(people_):
        for s in getattr(p, attr) if attr != "interest" else p.teaches | p.learns:
            out[i, col[s]] = 1
    return out


def _team_matrix(a: list[Person], b: list[Person]) -> np.ndarray:
    teams = {t: i for i, t in enumerate(sorted({p.team for p in a + b if p.team}))}
    ta = np.array([teams.get(p.team, -1) for p in a])
    tb = np.array([teams.get(p.team, -1) for p in b])
    return ((ta[:, None] != tb[None, :]) & (ta[:, None] >= 0) & (tb[None, :] >= 0)) * (RULES.cross_team_weight * 100)


def _pair_masks(a: list[Person], b: list[Person], pairs: set[tuple[str, str]]) -> np.ndarray:
    ia = {p.id: i for i, p in enumerate(a)}
    ib = {p.id: i for i, p in enumerate(b)}
    out = np.zeros((len(a), len(b)), dtype=bool)
    for x, y in pairs:
        if x in ia and y in ib:
            out[ia[x], ib[y]] = True
    return out


def _available(ps: list[Person]) -> list[Person]:
    return sorted((p for p in ps if p.active and not p.paused), key=lambda p: p.id)


def dense_mentoring(inst) -> dict:
    """Fit points, people left out last round, freshness and eligibility of every mentee × mentor."""
    ms, xs = _available(inst["mentees"]), _available(inst["mentors"])
    learn, teach = _skill_matrix(ms, "learns"), _skill_matrix(xs, "teaches")
    k = learn @ teach.T
    n = learn.sum(axis=1)[:, None]
    skill = np.where(n > 0, RULES.skill_weight * 100 * k // np.maximum(n, 1), 0)
    fit = skill + _hours_matrix(ms, xs) + _team_matrix(ms, xs)
    prio_m = np.array([p.unmatched_last_round for p in ms], dtype=np.int64)[:, None]
    prio_x = np.array([p.unmatched_last_round for p in xs], dtype=np.int64)[None, :]
    recent = _recent(inst["history"])
    fresh = ~_pair_masks(ms, xs, {(b, a) for a, b in recent})
    avoid = {(a, b) for a, b in inst["avoid"]} | {(b, a) for a, b in inst["avoid"]}
    allowed = ~_pair_masks(ms, xs, avoid)
    if RULES.require_shared_skill is not False:
        allowed &= k > 0
    return dict(ms=ms, xs=xs, fit=fit, priority=prio_m + prio_x, fresh=fresh, allowed=allowed)


def exact_mentoring(dense) -> dict:
    """The exact optimum of the dense problem, in the matcher's order: pairs, people left out
    last round, fresh pairs, fit.  Tier multipliers are the smallest that keep that order
    for this instance, so that float64 stays exact (or nearly: ``exact`` says which)."""
    xs = dense["xs"]
    slot_of = np.repeat(np.arange(len(xs)), [p.capacity for p in xs])
    fit, prio, fresh, allowed = (dense[k][:, slot_of] for k in ("fit", "priority", "fresh", "allowed"))
    assert fit.shape[0] >= fit.shape[1], "written for mentors in short supply"
    n = fit.shape[1]
    fresh_tier = int(n * fit.max() + 1)
    priority_tier = fresh_tier * (n + 1)
    pair_tier = priority_tier * (int(prio.max()) * n + 1)
    # A forbidden pair weighs 0, the same as leaving the slot empty (there are more mentees).
    weight = np.where(allowed, pair_tier + priority_tier * prio + fresh_tier * fresh + fit, 0).astype(np.float64)
    rows, cols = linear_sum_assignment(weight, maximize=True)
    ok = allowed[rows, cols]
    rows, cols = rows[ok], cols[ok]
    return dict(
        pairs=len(rows),
        priority=int(prio[rows, cols].sum()),
        repeats=int((~fresh[rows, cols]).sum()),
        fit=int(fit[rows, cols].sum()),
        exact=bool(weight.max() < 2**50),  # integers that the shortest-path sums keep exact
    )


def ours_on_dense(result: MatchResult, dense) -> dict:
    mi = {p.id: i for i, p in enumerate(dense["ms"])}
    xi = {p.id: i for i, p in enumerate(dense["xs"])}
    r = np.array([mi[m.members[1]] for m in result.matches], dtype=np.int64)
    c = np.array([xi[m.members[0]] for m in result.matches], dtype=np.int64)
    fit_points = dense["fit"][r, c]
    # The matcher's own fit must be the dense problem's, pair by pair: same weights.
    assert all(round(m.fit * FULL_FIT) == f for m, f in zip(result.matches, fit_points)), "fit differs"
    assert all(m.reason.repeat == (not f) for m, f in zip(result.matches, dense["fresh"][r, c]))
    return dict(
        pairs=len(r),
        priority=int(dense["priority"][r, c].sum()),
        repeats=sum(m.reason.repeat for m in result.matches),
        fit=int(fit_points.sum()),
    )


def dense_peers(members: list[Person], history, avoid) -> tuple[np.ndarray, np.ndarray, list[Person]]:
    ps = _available(members)
    interest = _skill_matrix(ps, "interest")
    k = interest @ interest.T
    n = interest.sum(axis=1)
    smaller = np.minimum(n[:, None], n[None, :])
    fit = np.where(smaller > 0, RULES.skill_weight * 100 * k // np.maximum(smaller, 1), 0)
    fit = fit + _hours_matrix(ps, ps) + _team_matrix(ps, ps)
    prio = np.array([p.unmatched_last_round for p in ps], dtype=np.int64)
    fresh = ~_pair_masks(ps, ps, _recent(history))
    avoid_set = {(a, b) for a, b in avoid} | {(b, a) for a, b in avoid}
    allowed = ~_pair_masks(ps, ps, avoid_set)
    np.fill_diagonal(allowed, False)
    # Everyone can be paired here, so the pair tier is moot; the others keep the matcher's order.
    fresh_tier = int(len(ps) * fit.max() + 1)
    priority_tier = fresh_tier * (len(ps) + 1)
    weight = priority_tier * (prio[:, None] + prio[None, :]) + fresh_tier * fresh + fit
    return np.where(allowed, weight, -(2**52)).astype(np.float64), fit, ps


def peer_cover_share(result: MatchResult, members, history, avoid) -> tuple[float, bool]:
    """Our fit over the fit of the best cycle cover (pairs as 2-cycles, a trio as a 3-cycle).

    A pairing is a cycle cover, so the best cover (an assignment problem: scipy) bounds
    every pairing from above.  Also says whether ours reaches the cover's higher tiers
    (people left out last round, fresh pairs); only then is the fit share meaningful.
    """
    weight, fit, ps = dense_peers(members, history, avoid)
    rows, cols = linear_sum_assignment(weight, maximize=True)
    index = {p.id: i for i, p in enumerate(ps)}
    edges = []
    for m in result.matches:
        g = [index[i] for i in m.members]
        edges += list(zip(g, g[1:] + g[:1])) if len(g) == 3 else [(g[0], g[1]), (g[1], g[0])]
    r = np.array([a for a, _ in edges])
    c = np.array([b for _, b in edges])
    tiers_reached = weight[r, c].sum() - fit[r, c].sum() >= weight[rows, cols].sum() - fit[rows, cols].sum()
    return float(fit[r, c].sum() / fit[rows, cols].sum()), bool(tiers_reached)


def peer_optimum_share(result: MatchResult, members, history, avoid) -> tuple[float, float]:
    """Our fit over the exact optimum's, by integer programming (scipy's HiGHS), for a small guild.

    The optimum may use only fresh pairs, must pair as many people as we did and everyone
    left out last round that we paired (tiers we reached), and maximises fit; a trio
    counts as its best pair.  Returns (share, seconds the solver took).
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    _, fit, ps = dense_peers(members, history, avoid)
    index = {p.id: i for i, p in enumerate(ps)}
    met = _recent(history)
    banned = {(a, b) for a, b in avoid} | {(b, a) for a, b in avoid}
    edges = [(a, b) for a in range(len(ps)) for b in range(a + 1, len(ps))
             if (ps[a].id, ps[b].id) not in met and (ps[a].id, ps[b].id) not in banned]
    ours, pairs, covered = 0, 0, set()
    for m in result.matches:
        best = max(m.pairs(), key=lambda pair: fit[index[pair[0]], index[pair[1]]])
        ours += int(fit[index[best[0]], index[best[1]]])
        pairs += 1
        covered |= set(best)
    assert not any(m.reason.repeat for m in result.matches)
    a = np.array([e[0] for e in edges])
    b = np.array([e[1] for e in edges])
    e = np.arange(len(edges))
    incidence = coo_matrix((np.ones(2 * len(edges)), (np.concatenate([a, b]), np.concatenate([e, e]))),
                           shape=(len(ps), len(edges))).tocsr()
    low = np.array([1.0 if p.unmatched_last_round and p.id in covered else 0.0 for p in ps])
    constraints = [LinearConstraint(incidence, low, 1), LinearConstraint(np.ones((1, len(edges))), pairs, pairs)]
    started = time.perf_counter()
    best = milp(-fit[a, b].astype(float), constraints=constraints, integrality=np.ones(len(edges)),
                bounds=Bounds(0, 1), options={"mip_rel_gap": 0})
    assert best.status == 0, best.message
    return ours / -best.fun, time.perf_counter() - started


# --- random pairing (Donut) -----------------------------------------------------------


def random_mentoring_share(inst, rng: random.Random) -> float:
    ms, xs = _available(inst["mentees"]), _available(inst["mentors"])
    slots = [x for x in xs for _ in range(x.capacity)]
    rng.shuffle(slots)
    rng.shuffle(ms)
    pairs = list(zip(slots, ms))
    return sum(bool(x.teaches & m.learns) for x, m in pairs) / len(pairs)


def random_peer_share(members, rng: random.Random) -> float:
    ps = _available(members)
    rng.shuffle(ps)
    pairs = [(ps[i], ps[i + 1]) for i in range(0, len(ps) - 1, 2)]
    return sum(bool((a.teaches | a.learns) & (b.teaches | b.learns)) for a, b in pairs) / len(pairs)


def share_mentoring(result: MatchResult) -> float:
    return sum(bool(m.reason.shared_skills) for m in result.matches) / max(1, len(result.matches))


def share_peers(result: MatchResult, members: list[Person]) -> float:
    """Share of pairs with a common interest; a trio counts as its three pairs."""
    interest = {p.id: p.teaches | p.learns for p in members}
    pairs = [pair for m in result.matches for pair in m.pairs()]
    return sum(bool(interest[a] & interest[b]) for a, b in pairs) / max(1, len(pairs))


def _tiers(outcome: dict) -> tuple[int, int, int]:
    return outcome["pairs"], outcome["priority"], outcome["repeats"]


# --- timing ---------------------------------------------------------------------------


def timed(fn, runs: int) -> tuple[float, float, object]:
    walls, cpus, result = [], [], None
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), result


def peak_mib(fn) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and seeds, no 50k peak memory")
    args = parser.parse_args()
    runs_small, runs_large, seeds = (3, 1, 3) if args.quick else (5, 3, 10)
    fig: dict[str, object] = {}
    started = time.perf_counter()

    # scale: 5,000 × 1,000
    inst = mentoring_instance(1, 5000, 1000, self_made_history=True)
    wall, cpu, res = timed(lambda: match_mentors(**inst, seed=7), runs_small)
    fig["match_5000x1000_s"], fig["match_5000x1000_cpu_s"] = round(wall, 3), round(cpu, 3)
    fig["match_5000x1000_peak_mib"] = round(peak_mib(lambda: match_mentors(**inst, seed=7)), 1)
    print(f"5,000 mentees x 1,000 mentors: {wall:.3f} s wall, {cpu:.3f} s CPU (median of {runs_small}), "
          f"peak {fig['match_5000x1000_peak_mib']} MiB traced; {len(res.matches)} pairs, "
          f"{res.stats['candidate_edges']} candidate edges")
    dense = dense_mentoring(inst)
    exact, ours = exact_mentoring(dense), ours_on_dense(res, dense)
    fig["fit_share_5000x1000"] = round(ours["fit"] / exact["fit"], 5)
    fig["repeated_pairs_5000x1000"] = ours["repeats"]
    mismatched = int(_tiers(ours) != _tiers(exact))
    avoidable = max(0, ours["repeats"] - exact["repeats"])
    print(f"  against the exact dense optimum ({'exact' if exact['exact'] else 'float64-rounded'} tiers): "
          f"fit {fig['fit_share_5000x1000']:.3%}; pairs {ours['pairs']} vs {exact['pairs']}, people left out "
          f"last round matched {ours['priority']} vs {exact['priority']}, repeated pairs {ours['repeats']} "
          f"vs {exact['repeats']} (unavoidable: mentees whose only teachers they met recently)")
    rng = random.Random(5)
    fig["shared_skill_share_ours"] = round(share_mentoring(res), 4)
    fig["shared_skill_share_random"] = round(statistics.mean(random_mentoring_share(inst, rng) for _ in range(5)), 4)
    print(f"  pairs sharing a skill: ours {fig['shared_skill_share_ours']:.1%}, "
          f"random pairing (Donut) {fig['shared_skill_share_random']:.1%}")

    # scale: 50,000 × 10,000
    big = mentoring_instance(2, 50000, 10000, self_made_history=False)
    wall, cpu, res = timed(lambda: match_mentors(**big, seed=7), runs_large)
    fig["match_50000x10000_s"], fig["match_50000x10000_cpu_s"] = round(wall, 3), round(cpu, 3)
    line = f"50,000 mentees x 10,000 mentors: {wall:.3f} s wall, {cpu:.3f} s CPU (median of {runs_large})"
    if not args.quick:
        fig["match_50000x10000_peak_mib"] = round(peak_mib(lambda: match_mentors(**big, seed=7)), 1)
        line += f", peak {fig['match_50000x10000_peak_mib']} MiB traced"
    print(f"{line}; {len(res.matches)} pairs, {sum(m.reason.repeat for m in res.matches)} repeated")
    fig["repeated_pairs_50000x10000"] = sum(m.reason.repeat for m in res.matches)
    del big, res

    # peers: 2,001 members
    peers = peer_instance(3, 2001)
    wall, cpu, res = timed(lambda: match_peers(**peers, seed=7), runs_small)
    fig["peer_2000_s"], fig["peer_2000_cpu_s"] = round(wall, 3), round(cpu, 3)
    trios = sum(len(m.members) == 3 for m in res.matches)
    share, reached = peer_cover_share(res, **peers)
    fig["peer_fit_share_of_cover_bound"], fig["peer_tiers_reach_bound"] = round(share, 5), reached
    fig["peer_repeated_pairs"] = sum(m.reason.repeat for m in res.matches)
    fig["peer_shared_skill_share_ours"] = round(share_peers(res, peers["members"]), 4)
    fig["peer_shared_skill_share_random"] = round(
        statistics.mean(random_peer_share(peers["members"], rng) for _ in range(5)), 4
    )
    print(f"peer pairing of {len(_available(peers['members']))} available members (2,001 listed): "
          f"{wall:.3f} s wall, {cpu:.3f} s CPU; {len(res.matches)} groups ({trios} trio), "
          f"{len(res.unmatched)} unmatched, {fig['peer_repeated_pairs']} repeated; "
          f"fit {share:.3%} of the best cycle cover's (an upper bound; higher tiers "
          f"{'equal' if reached else 'LOWER'}); pairs sharing "
          f"an interest: ours {fig['peer_shared_skill_share_ours']:.1%}, random "
          f"{fig['peer_shared_skill_share_random']:.1%}")

    small = peer_instance(4, 301)
    share, took = peer_optimum_share(match_peers(**small, seed=7), **small)
    fig["peer_fit_share_of_optimum_300"] = round(share, 5)
    print(f"peer pairing of a 301-member guild against the exact optimum (integer programming, {took:.1f} s): "
          f"fit {share:.3%}")

    # quality: 300 × 100
    shares = []
    for seed in range(seeds):
        q = mentoring_instance(100 + seed, 300, 100, self_made_history=True)
        res = match_mentors(**q, seed=seed)
        dense = dense_mentoring(q)
        exact, ours = exact_mentoring(dense), ours_on_dense(res, dense)
        assert exact["exact"]
        mismatched += _tiers(ours) != _tiers(exact)
        shares.append(ours["fit"] / exact["fit"])
        avoidable += max(0, ours["repeats"] - exact["repeats"])
    fig["fit_share_of_optimum_median"] = round(statistics.median(shares), 5)
    fig["fit_share_of_optimum_min"] = round(min(shares), 5)
    fig["tier_mismatches"] = mismatched
    fig["repeated_pairs_avoidable"] = avoidable
    print(f"300 x 100, {seeds} seeds, against the exact dense optimum: fit share median "
          f"{fig['fit_share_of_optimum_median']:.3%}, min {fig['fit_share_of_optimum_min']:.3%}; instances "
          f"(these and 5,000 x 1,000) where pairs, people left out last round or repeats differ from the "
          f"optimum's: {mismatched}; repeated pairs beyond the optimum's: {avoidable}")
    fig["benchmark_wall_s"] = round(time.perf_counter() - started, 1)
    print(f"benchmark took {fig['benchmark_wall_s']} s")
    print(json.dumps({
        "benchmark": "matching",
        **fig,
        "targets": {
            "match_5000x1000_s": {"max": 1.0},
            "match_50000x10000_s": {"max": 10.0},
            "peer_2000_s": {"max": 1.0},
            "fit_share_of_optimum_min": {"min": 0.995},
            "repeated_pairs_avoidable": {"max": 0},
        },
    }))


if __name__ == "__main__":
    main()
