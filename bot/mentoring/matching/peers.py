"""Peer pairing: pairs, and one trio, in a guild's candidate graph (a general graph).

Part of :mod:`bot.mentoring.matching.match`.  An exact maximum-weight matching in a general graph needs
Edmonds' blossoms; :func:`pair_up` gets within a fraction of a percent of it (see the
benchmark) from an exact *cycle cover* instead, solved by :func:`bot.mentoring.matching.solve.assign`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.mentoring.matching.fit import FIB, Side, Tiers
from bot.mentoring.matching.graph import FRESH, POINTS, Candidates, Round, peer_weigher
from bot.mentoring.matching.solve import assign

COVER_SEARCH_LIMIT = 256  # columns a row of the cycle cover may scan (see pair_up)
LENGTHEN_ALL_FREE = 64  # up to this many people left free, any two of them are weighed

Weigh = Callable[[int, int], "int | None"]  # the weight of any pair, None when not allowed


@dataclass
class PeerSolution:
    groups: list[list[int]]  # pairs, and at most one trio
    left_over: list[int]  # in no group
    had_candidates: list[bool]  # per member: anyone they might have been paired with
    edges: int


def solve_peers(side: Side, rnd: Round, graph: Candidates) -> PeerSolution:
    """Pair a guild's members on the candidate graph; whoever is left over first joins a pair."""
    n = len(side)
    tiers = Tiers.for_pairs(n // 2)
    weigh = peer_weigher(side, rnd, tiers)
    neighbours: list[dict[int, int]] = [{} for _ in range(n)]
    priority, rank = side.priority, side.rank
    for a, (partners, scores) in enumerate(zip(graph.partners, graph.scores)):
        mine = neighbours[a]
        for b, s in zip(partners, scores):
            if b not in mine:  # Tiers.weight, unrolled
                w = tiers.pair + (priority[a] + priority[b]) * tiers.priority + (s & POINTS) * tiers.fit
                w += (tiers.fresh if s & FRESH else 0) + ((((rank[a] ^ rank[b]) * FIB) >> 40) & 0xFFFF)
                mine[b] = neighbours[b][a] = w
    edges = sum(len(nb) for nb in neighbours) // 2
    order = sorted(range(n), key=lambda i: side.rank[i])
    mate = pair_up(n, neighbours, weigh, order, contested=[a for a in range(n) if side.priority[a]])
    groups = [[a, mate[a]] for a in range(n) if a < mate[a]]
    # Left out last round first; one trio at most (issue: "one trio when the count is odd").
    left = sorted((a for a in range(n) if mate[a] < 0), key=lambda a: (-side.priority[a], side.rank[a]))
    for x in left:
        best = None
        for g, (a, b) in enumerate(groups):
            wa, wb = weigh(x, a), weigh(x, b)
            if wa is not None and wb is not None and (best is None or wa + wb > best[0]):
                best = (wa + wb, g)
        if best is not None:
            groups[best[1]].append(x)
            left.remove(x)
            break
    return PeerSolution(groups, left, [bool(nb) for nb in neighbours], edges)


def pair_up(
    n: int, neighbours: list[dict[int, int]], weight: Weigh, order: list[int], *, contested: Sequence[int] = (),
    max_passes: int = 2,
) -> list[int]:
    """A heavy matching on a general graph; returns each vertex's mate or -1.

    ``neighbours[a]`` maps candidate partners to weights (symmetric); ``weight(a, b)``
    gives the weight of any pair (None when not allowed), for moves between candidate
    lists.  An exact matching in a general graph needs Edmonds' blossoms; instead:

    1. the heaviest *cycle cover* of the candidate graph by :func:`assign` on its
       bipartite double (everyone once as a row, once as a column) — exact but for rows
       whose search runs past ``COVER_SEARCH_LIMIT`` (they start free), an upper bound on
       any matching, and mostly 2-cycles, i.e. pairs already;
    2. each longer cycle or path split into its best alternating pairs;
    3. more pairs (free people together, augmenting paths of three edges), then 2-opt
       (swap partners between two pairs, or take a free person's place) until a pass
       gains nothing.

    Weights carry the lexicographic tiers, so every step prefers more pairs, then
    people left out last round, then fresh pairs, then fit.  Measured against the
    exact optimum in the benchmark.  ``order`` is the seeded order people are visited in.
    """
    successor = assign(
        [list(nb) for nb in neighbours], [[-w for w in nb.values()] for nb in neighbours], n,
        contested=contested, search_limit=COVER_SEARCH_LIMIT,
    )
    mate = [-1] * n
    for chain, closed in _chains(successor, order):
        for a, b in _best_alternate(chain, closed, neighbours):
            mate[a], mate[b] = b, a
    _lengthen(mate, neighbours, weight, order)
    for _ in range(max_passes):
        if not _two_opt(mate, neighbours, weight, order):
            break
        _lengthen(mate, neighbours, weight, order)
    return mate


def _chains(successor: list[int], order: list[int]) -> list[tuple[list[int], bool]]:
    """The paths and cycles of a cover (each vertex has at most one successor and one predecessor)."""
    n = len(successor)
    predecessor = [-1] * n
    for a, b in enumerate(successor):
        if b >= 0:
            predecessor[b] = a
    seen = [False] * n
    out = []
    for closed in (False, True):  # paths start where nothing leads in; what remains are cycles
        for start in order:
            if seen[start] or (not closed and predecessor[start] >= 0):
                continue
            chain, v = [], start
            while v >= 0 and not seen[v]:
                seen[v] = True
                chain.append(v)
                v = successor[v]
            out.append((chain, closed))
    return out


def _best_alternate(chain: list[int], closed: bool, neighbours: list[dict[int, int]]) -> list[tuple[int, int]]:
    """The heaviest set of non-adjacent edges along a path (or around a cycle)."""
    if len(chain) < 2:
        return []
    if not closed or len(chain) == 2:
        return _path_matching(chain, neighbours)
    with_last = [(chain[-1], chain[0])] + _path_matching(chain[1:-1], neighbours)
    without = _path_matching(chain, neighbours)

    def total(pairs):
        return sum(neighbours[a][b] for a, b in pairs)

    return with_last if total(with_last) > total(without) else without


def _path_matching(path: list[int], neighbours: list[dict[int, int]]) -> list[tuple[int, int]]:
    best = [0] * (len(path) + 1)  # best[i]: the first i vertices
    take = [False] * (len(path) + 1)
    for i in range(2, len(path) + 1):
        with_edge = best[i - 2] + neighbours[path[i - 2]][path[i - 1]]
        best[i], take[i] = (with_edge, True) if with_edge > best[i - 1] else (best[i - 1], False)
    pairs, i = [], len(path)
    while i >= 2:
        if take[i]:
            pairs.append((path[i - 2], path[i - 1]))
            i -= 2
        else:
            i -= 1
    return pairs


def _lengthen(mate: list[int], neighbours: list[dict[int, int]], weight: Weigh, order: list[int]) -> None:
    """More pairs: two free people together, or free u, pair (a, b), free v → (u, a), (b, v).

    Free people are usually few by now, and then any two of them are weighed, candidates
    or not; when many are free (a shared skill required, say) only candidates are.
    """
    free = [u for u in order if mate[u] < 0]
    everyone = len(free) <= LENGTHEN_ALL_FREE

    def link(a: int, b: int) -> int | None:
        w = neighbours[a].get(b)
        return weight(a, b) if w is None and everyone else w

    def others(a: int) -> list[int]:
        return free if everyone else [v for v in neighbours[a] if mate[v] < 0]

    for u in free:
        if mate[u] >= 0:
            continue
        best = None
        for v in others(u):
            if v != u and mate[v] < 0:
                w = link(u, v)
                if w is not None and (best is None or w > best[0]):
                    best = (w, v)
        if best is not None:
            _join(mate, neighbours, u, best[1], best[0])
            continue
        for a, w_ua in neighbours[u].items():
            b = mate[a]
            if b < 0:
                continue
            for v in others(b):
                if v != u and mate[v] < 0:
                    w_bv = link(b, v)
                    if w_bv is not None:
                        gain = w_ua + w_bv - neighbours[a][b]
                        if gain > 0 and (best is None or gain > best[0]):
                            best = (gain, a, b, v, w_bv)
        if best is not None:
            _, a, b, v, w_bv = best
            mate[a] = mate[b] = -1
            _join(mate, neighbours, u, a, neighbours[u][a])
            _join(mate, neighbours, b, v, w_bv)


def _join(mate: list[int], neighbours: list[dict[int, int]], a: int, b: int, w: int) -> None:
    neighbours[a][b] = neighbours[b][a] = w  # mates are always neighbours
    mate[a], mate[b] = b, a


def _two_opt(mate: list[int], neighbours: list[dict[int, int]], weight: Weigh, order: list[int]) -> bool:
    """One pass of partner swaps between two pairs, or of a free person taking a place."""
    improved = False
    for a in order:
        b = mate[a]
        if b < 0:
            continue
        w_ab = neighbours[a][b]
        for c, w_ac in neighbours[a].items():
            if c == b:
                continue
            d = mate[c]
            if d < 0:
                if w_ac > w_ab:  # c is free and better for a; b becomes free
                    mate[a], mate[c], mate[b] = c, a, -1
                    improved = True
                    break
                continue
            if d == a:
                continue
            w_bd = neighbours[b].get(d)
            if w_bd is None:
                w_bd = weight(b, d)
                if w_bd is None:
                    continue
            if w_ac + w_bd > w_ab + neighbours[c][d]:
                neighbours[b][d] = neighbours[d][b] = w_bd  # mates are always neighbours
                mate[a], mate[c], mate[b], mate[d] = c, a, d, b
                improved = True
                break
    return improved
