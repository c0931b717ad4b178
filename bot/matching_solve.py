"""The two solvers behind :mod:`bot.matching`: exact sparse assignment, and peer pairing.

Both maximise an integer weight built by :class:`bot.matching_fit.Tiers`; they know
nothing of people, skills or hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from heapq import heapify, heappop, heappush

from bot.matching_fit import Side, Tiers
from bot.matching_graph import Candidates, Round, peer_weigher

_FIB = 0x9E3779B97F4A7C15  # pair_jitter, inlined in the hot loops
COVER_SEARCH_LIMIT = 256  # columns a row of the peers' cycle cover may scan (see pair_up)
LENGTHEN_ALL_FREE = 64  # up to this many people left free, any two of them are weighed


def solve_mentoring(mentors: Side, mentees: Side, graph: Candidates) -> list[tuple[int, int]]:
    """The best matching on the candidate graph, as (mentor, mentee) index pairs.

    Mentors become one row per unit of capacity ("slots").  Whichever side is scarcer
    enters :func:`assign` as the rows; people left out last round are its contested
    columns.
    """
    capacity = [p.capacity for p in mentors.people]
    slots = sum(capacity)
    tiers = Tiers.for_pairs(min(slots, len(mentees)))
    # Per mentor: mentees and costs (negated Tiers.weight, unrolled: a million edges at 50k x 10k).
    by_mentor: list[list[int]] = [[] for _ in range(len(mentors))]
    costs: list[list[int]] = [[] for _ in range(len(mentors))]
    unit, fresh_unit = tiers.fit, tiers.fresh
    mentor_base = [tiers.pair + p * tiers.priority for p in mentors.priority]
    x_rank = mentors.rank
    for m, (partners, points, fresh) in enumerate(zip(graph.partners, graph.points, graph.fresh)):
        rank, own = mentees.rank[m], mentees.priority[m] * tiers.priority
        for x, p, f in zip(partners, points, fresh):
            w = mentor_base[x] + own + p * unit + ((((x_rank[x] ^ rank) * _FIB) >> 40) & 0xFFFF)
            by_mentor[x].append(m)
            costs[x].append(-(w + fresh_unit) if f else -w)
    slot_mentor = [x for x in range(len(mentors)) for _ in range(capacity[x])]
    if slots <= len(mentees):
        got = assign(
            [by_mentor[x] for x in slot_mentor], [costs[x] for x in slot_mentor], len(mentees),
            contested=[m for m in range(len(mentees)) if mentees.priority[m]],
        )
        return [(slot_mentor[r], m) for r, m in enumerate(got) if m >= 0]
    first_slot = [0] * len(mentors)
    for x in range(1, len(mentors)):
        first_slot[x] = first_slot[x - 1] + capacity[x - 1]
    row_cols: list[list[int]] = [[] for _ in range(len(mentees))]
    row_costs: list[list[int]] = [[] for _ in range(len(mentees))]
    for x in range(len(mentors)):
        for m, c in zip(by_mentor[x], costs[x]):
            for s in range(first_slot[x], first_slot[x] + capacity[x]):
                row_cols[m].append(s)
                row_costs[m].append(c)
    got = assign(
        row_cols, row_costs, slots, contested=[s for s, x in enumerate(slot_mentor) if mentors.priority[x]]
    )
    return [(slot_mentor[s], m) for m, s in enumerate(got) if s >= 0]


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
    for a, (partners, points, fresh) in enumerate(zip(graph.partners, graph.points, graph.fresh)):
        mine = neighbours[a]
        for b, p, f in zip(partners, points, fresh):
            if b not in mine:  # Tiers.weight, unrolled
                w = tiers.pair + (priority[a] + priority[b]) * tiers.priority + p * tiers.fit
                w += (tiers.fresh if f else 0) + ((((rank[a] ^ rank[b]) * _FIB) >> 40) & 0xFFFF)
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


def assign(
    row_cols: list[list[int]],
    row_costs: list[list[int]],
    n_cols: int,
    *,
    contested: Sequence[int] = (),
    search_limit: int | None = None,
) -> list[int]:
    """Minimum-cost assignment of rows to columns in which any row may stay unassigned at cost 0.

    ``row_cols[r]`` / ``row_costs[r]`` list row r's edges (rows may share the same list
    objects, as a mentor's slots do).  Returns, per row, its column or -1.  Costs are
    integers, so the result is exact.  ``contested`` names columns that many rows
    prefer (people left out last round); it changes the speed, never the answer.
    ``search_limit`` trades exactness for speed: a row whose search would scan more
    columns stays unassigned (the peers' starting cover uses it; mentoring never does).

    The shortest augmenting path method (Jonker & Volgenant, 1987) on a sparse graph:
    rows enter one at a time; each finds the cheapest alternating path, in reduced
    costs, to a free column or to the "stay unassigned" column of a row on the path, and
    column potentials ``v`` keep every reduced cost non-negative.  After row r the
    assignment of rows 0..r is optimal, so after the last it is optimal overall.

    What makes it fast in pure Python: edges are sorted cheapest first and potentials
    only ever fall, so a row's scan stops at the first edge that cannot beat the best
    free column found so far; most rows settle after reading a few edges.  Rows should
    be the scarcer side (the caller sees to it), so free columns abound.  Contested
    columns are the exception — once taken, every later row would search far for the
    last free ones — so they are settled first by :func:`_warm_start`.
    """
    rows = _sorted_rows(row_cols, row_costs)
    state = _State(rows, n_cols)
    if contested:
        _warm_start(state, rows, n_cols, set(contested))
    for f in range(len(rows)):
        if state.row_col[f] < 0:
            _augment_row(f, rows, n_cols, state.v, state.col_row, state.row_col, state.row_cost, search_limit)
    return [j if j < n_cols else -1 for j in state.row_col]


class _State:
    """An assignment in progress and its duals (the row potential is implicit:
    ``row_cost[r] - v[row_col[r]]``)."""

    def __init__(self, rows: list[tuple[list[int], list[int]]], n_cols: int) -> None:
        n_rows = len(rows)
        self.v = [0] * (n_cols + n_rows)  # column potentials; column n_cols + r is row r's "unassigned"
        self.col_row = [-1] * (n_cols + n_rows)
        self.row_col = [-1] * n_rows
        self.row_cost = [0] * n_rows


def _warm_start(state: _State, rows: list[tuple[list[int], list[int]]], n_cols: int, contested: set[int]) -> None:
    """Settle the contested columns first, in an assignment of their own, with exact duals.

    Each row's outside option ``o`` is its cheapest uncontested edge (or 0, staying
    unassigned).  The rows and the contested columns then form a problem of their own at
    cost ``c - o``, what a row gains by taking a contested column instead, solved with
    the scarcer of the two sides entering.  Its duals become potentials of the whole
    problem under which every row it assigned holds a cheapest column (its own duals
    are feasible, and ``o`` bounds every other edge), which is all the main loop needs;
    the other rows then enter as usual.
    """
    n_rows = len(rows)
    order = sorted(contested)
    index = {j: k for k, j in enumerate(order)}
    per_list: dict[int, tuple[int, list[tuple[int, int]]]] = {}  # a mentor's slots share one list
    transpose = len(order) < n_rows
    sub_cols: list[list[int]] = [[] for _ in (order if transpose else rows)]
    sub_costs: list[list[int]] = [[] for _ in sub_cols]
    outside: list[int] = []
    for r, (cols, costs) in enumerate(rows):
        known = per_list.get(id(cols))
        if known is None:
            o = 0
            for j, c in zip(cols, costs):  # cheapest first: the first uncontested edge is the one
                if j not in contested:
                    o = min(0, c)
                    break
            known = per_list[id(cols)] = (o, [(index[j], c - o) for j, c in zip(cols, costs) if j in contested])
        o, edges = known
        outside.append(o)
        for k, c in edges:
            a, b = (k, r) if transpose else (r, k)
            sub_cols[a].append(b)
            sub_costs[a].append(c)
    sub_rows = _sorted_rows(sub_cols, sub_costs)
    sub_n_cols = n_rows if transpose else len(order)
    sub = _State(sub_rows, sub_n_cols)
    for a in range(len(sub_rows)):
        _augment_row(a, sub_rows, sub_n_cols, sub.v, sub.col_row, sub.row_col, sub.row_cost)
    for a, b in enumerate(sub.row_col):
        if b >= sub_n_cols:
            continue  # stays out (transposed: a contested column no row wants more than its outside option)
        if transpose:  # a contested column, b a row; the sub-problem's row potential becomes v
            k, r, potential = a, b, sub.row_cost[a] - sub.v[b]
        else:
            k, r, potential = b, a, sub.v[b]
        j = order[k]
        state.v[j] = potential  # <= 0 either way
        state.row_col[r], state.col_row[j], state.row_cost[r] = j, r, sub.row_cost[a] + outside[r]


def _augment_row(f, rows, n_cols, v, col_row, row_col, row_cost, limit: int | None = None) -> None:
    """Give row f a column along the cheapest alternating path (Dijkstra in reduced costs).

    With a ``limit`` on the columns scanned, a longer search gives up and leaves row f
    unassigned; nothing has changed yet, so the other rows' optimality still holds.
    """
    best_col = n_cols + f  # the cheapest free column found so far, and its distance
    best = -v[best_col]
    dist = {best_col: best}
    pred = {best_col: f}
    pcost = {best_col: 0}
    heap = []
    cols, costs = rows[f]
    for j, c in zip(cols, costs):
        if c >= best:  # v <= 0: this and every later edge cost at least c
            break
        d = c - v[j]
        if d < best:
            dist[j], pred[j], pcost[j] = d, f, c
            if col_row[j] < 0:
                best, best_col = d, j
            else:
                heap.append((d, j))
    heapify(heap)
    scanned: list[int] = []
    while heap and heap[0][0] < best:
        d, j = heappop(heap)
        if d > dist[j]:
            continue
        if limit is not None and len(scanned) >= limit:
            return
        scanned.append(j)
        i = col_row[j]
        base = d - row_cost[i] + v[j]
        cols, costs = rows[i]
        for j2, c in zip(cols, costs):
            bound = base + c
            if bound >= best:
                break
            nd = bound - v[j2]
            if nd >= best:
                continue
            old = dist.get(j2)
            if old is None or nd < old:
                dist[j2], pred[j2], pcost[j2] = nd, i, c
                if col_row[j2] < 0:
                    best, best_col = nd, j2
                else:
                    heappush(heap, (nd, j2))
        own = n_cols + i  # row i dropping out (its own column is free and never priced)
        if base < best:
            dist[own], pred[own], pcost[own] = base, i, 0
            best, best_col = base, own
    for j in scanned:
        v[j] += dist[j] - best
    j = best_col
    while True:
        i = pred[j]
        previous = row_col[i]
        row_col[i], col_row[j], row_cost[i] = j, i, pcost[j]
        if i == f:
            break
        j = previous


def _sorted_rows(row_cols: list[list[int]], row_costs: list[list[int]]) -> list[tuple[list[int], list[int]]]:
    """Each row's edges, cheapest first; shared lists are sorted once."""
    done: dict[int, tuple[list[int], list[int]]] = {}
    out = []
    for cols, costs in zip(row_cols, row_costs):
        key = id(cols)
        pair = done.get(key)
        if pair is None:
            order = sorted(range(len(costs)), key=costs.__getitem__)  # stable: ties keep list order
            pair = done[key] = ([cols[k] for k in order], [costs[k] for k in order])
        out.append(pair)
    return out


def pair_up(
    n: int, neighbours: list[dict[int, int]], weight, order: list[int], *, contested: Sequence[int] = (),
    max_passes: int = 2,
) -> list[int]:
    """A heavy matching on a general graph; returns each vertex's mate or -1.

    ``neighbours[a]`` maps candidate partners to weights (symmetric); ``weight(a, b)``
    gives the weight of any pair (None when not allowed), for moves between candidate
    lists.  An exact matching in a general graph needs Edmonds' blossoms; instead:

    1. the heaviest *cycle cover* of the candidate graph, exactly, by :func:`assign` on
       its bipartite double (everyone once as a row, once as a column) — an upper
       bound on any matching, and mostly 2-cycles, i.e. pairs already;
    2. each longer cycle or path split into its best alternating pairs;
    3. more pairs (free people together, augmenting paths of three edges), then 2-opt
       (swap partners between two pairs, or take a free person's place) until a pass
       gains nothing.

    Weights carry the lexicographic tiers, so every step prefers more pairs, then
    people left out last round, then fresh pairs, then fit.  Measured against the
    exact optimum in the benchmark.
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


def _lengthen(mate: list[int], neighbours: list[dict[int, int]], weight, order: list[int]) -> None:
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


def _two_opt(mate: list[int], neighbours: list[dict[int, int]], weight, order: list[int]) -> bool:
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
