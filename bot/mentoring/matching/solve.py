"""Mentoring's solver: from the candidate graph to (mentor, mentee) pairs, exactly.

:func:`solve_mentoring` turns a round's candidates into integer weights
(:class:`bot.mentoring.matching.fit.Tiers`) for :func:`assign`, an exact sparse assignment solver
that knows nothing of people, skills or hours (peer pairing uses it too, see
:mod:`bot.mentoring.matching.peers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from heapq import heapify, heappop, heappush

from bot.mentoring.matching.fit import FIB, Side, Tiers
from bot.mentoring.matching.graph import FRESH_SHIFT, POINTS, Candidates


def solve_mentoring(mentors: Side, mentees: Side, graph: Candidates) -> list[tuple[int, int]]:
    """The best matching on the candidate graph (mentors' rows), as (mentor, mentee) index pairs.

    Mentors become one row per unit of capacity ("slots").  Whichever side is scarcer
    enters :func:`assign` as the rows; people left out last round are its contested
    columns.
    """
    capacity = [p.capacity for p in mentors.people]
    slots = sum(capacity)
    slot_mentor = [x for x in range(len(mentors)) for _ in range(capacity[x])]
    tiers = Tiers.for_pairs(min(slots, len(mentees)))
    unit, m_rank, m_priority = tiers.fit, mentees.rank, mentees.priority

    def costs(x: int) -> list[int]:
        """Mentor x's edges' costs: Tiers.weight negated, unrolled (a million edges at 50k x 10k).

        The huge part of a weight takes four values per mentor (fresh or not, mentee left
        out last round or not); the rest, fit points and jitter, is small.
        """
        base = tiers.pair + mentors.priority[x] * tiers.priority
        huge = [[-(base + tiers.fresh * fresh + tiers.priority * left_out) for left_out in (0, 1)] for fresh in (0, 1)]
        rank = mentors.rank[x]
        return [
            huge[s >> FRESH_SHIFT][m_priority[m]] - ((s & POINTS) * unit + ((((m_rank[m] ^ rank) * FIB) >> 40) & 0xFFFF))
            for m, s in zip(graph.partners[x], graph.scores[x])
        ]

    if slots <= len(mentees):
        # A mentor's slots share one row: its mentees, cheapest first.
        rows = [_cheapest_first(graph.partners[x], costs(x)) for x in range(len(mentors))]
        got = assign(
            [rows[x][0] for x in slot_mentor], [rows[x][1] for x in slot_mentor], len(mentees),
            contested=[m for m in range(len(mentees)) if mentees.priority[m]], presorted=True,
        )
        return [(slot_mentor[r], m) for r, m in enumerate(got) if m >= 0]
    first_slot = [0] * len(mentors)
    for x in range(1, len(mentors)):
        first_slot[x] = first_slot[x - 1] + capacity[x - 1]
    row_cols: list[list[int]] = [[] for _ in range(len(mentees))]
    row_costs: list[list[int]] = [[] for _ in range(len(mentees))]
    for x in range(len(mentors)):
        for m, c in zip(graph.partners[x], costs(x)):
            for s in range(first_slot[x], first_slot[x] + capacity[x]):
                row_cols[m].append(s)
                row_costs[m].append(c)
    rows = [_cheapest_first(cols, c) for cols, c in zip(row_cols, row_costs)]
    got = assign(
        [r[0] for r in rows], [r[1] for r in rows], slots,
        contested=[s for s, x in enumerate(slot_mentor) if mentors.priority[x]], presorted=True,
    )
    return [(slot_mentor[s], m) for m, s in enumerate(got) if s >= 0]


def _cheapest_first(cols: list[int], costs: list[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A row's edges, cheapest first, the lower column first on a tie.

    Tuples, as they stay for the whole solve: the cyclic garbage collector leaves tuples
    of integers alone.
    """
    order = sorted(range(len(costs)), key=costs.__getitem__)
    if len(set(costs)) < len(costs):  # a tie (rare): order it by column
        order = sorted(range(len(costs)), key=lambda k: (costs[k], cols[k]))
    return tuple([cols[k] for k in order]), tuple([costs[k] for k in order])


def assign(
    row_cols: list[list[int]],
    row_costs: list[list[int]],
    n_cols: int,
    *,
    contested: Sequence[int] = (),
    search_limit: int | None = None,
    presorted: bool = False,
) -> list[int]:
    """Minimum-cost assignment of rows to columns in which any row may stay unassigned at cost 0.

    ``row_cols[r]`` / ``row_costs[r]`` list row r's edges (rows may share the same list
    objects, as a mentor's slots do).  Returns, per row, its column or -1.  Costs are
    integers, so the result is exact.  ``contested`` names columns that many rows
    prefer (people left out last round); it changes the speed, never the answer.
    ``search_limit`` trades exactness for speed: a row whose search would scan more
    columns stays unassigned (the peers' starting cover uses it; mentoring never does).
    ``presorted`` says each row's edges already come cheapest first.

    The shortest augmenting path method (Jonker & Volgenant, 1987) on a sparse graph:
    rows enter one at a time; each finds the cheapest alternating path, in reduced
    costs, to a free column or to the "stay unassigned" column of a row on the path, and
    column potentials ``v`` keep every reduced cost non-negative.  The assignment of
    the rows entered so far stays optimal, so after the last it is optimal overall.

    What makes it fast in pure Python: edges are sorted cheapest first and potentials
    only ever fall, so a row's scan stops at the first edge that cannot beat the best
    free column found so far; most rows settle after reading a few edges.  Rows should
    be the scarcer side (the caller sees to it), so free columns abound.  Contested
    columns are the exception — once taken, every later row would search far for the
    last free ones — so they are settled first by :func:`_warm_start`.
    """
    rows = list(zip(row_cols, row_costs)) if presorted else _sorted_rows(row_cols, row_costs)
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
    per_list: dict[int, tuple[int, tuple[tuple[int, int], ...]]] = {}  # a mentor's slots share one list
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
            at = sorted(map(cols.index, contested.intersection(cols)))  # the row's contested edges, in order
            known = per_list[id(cols)] = (o, tuple((index[cols[p]], costs[p] - o) for p in at))
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

    The heap holds each column and its distance as one integer, ``d << shift | j``, which
    orders as the pair (d, j) does.
    """
    shift = len(v).bit_length()
    mask = (1 << shift) - 1
    best_col = n_cols + f  # the cheapest free column found so far, and its distance
    best = -v[best_col]
    dist = {best_col: best}
    pred = {best_col: f}
    heap = []
    cols, costs = rows[f]
    for j, c in zip(cols, costs):
        if c >= best:  # v <= 0: this and every later edge cost at least c
            break
        d = c - v[j]
        if d < best:
            dist[j] = d
            pred[j] = f
            if col_row[j] < 0:
                best, best_col = d, j
            else:
                heap.append(d << shift | j)
    heapify(heap)
    scanned: list[int] = []
    while heap and heap[0] >> shift < best:
        top = heappop(heap)
        d, j = top >> shift, top & mask
        if d > dist[j]:
            continue
        if limit is not None and len(scanned) >= limit:
            return
        scanned.append(j)
        i = col_row[j]
        base = d - row_cost[i] + v[j]  # the distance to row i
        cut = best - base  # an edge of row i helps if its reduced cost, c - v, is below the cut
        cols, costs = rows[i]
        for j2, c in zip(cols, costs):
            if c >= cut:  # v <= 0: this and every later edge reduce to at least c
                break
            reduced = c - v[j2]
            if reduced >= cut:
                continue
            nd = base + reduced
            old = dist.get(j2)
            if old is None or nd < old:
                dist[j2] = nd
                pred[j2] = i
                if col_row[j2] < 0:
                    best, best_col = nd, j2
                    cut = best - base
                else:
                    heappush(heap, nd << shift | j2)
        own = n_cols + i  # row i dropping out (its own column is free and never priced)
        if base < best:
            dist[own], pred[own] = base, i
            best, best_col = base, own
    for j in scanned:
        v[j] += dist[j] - best
    j = best_col
    while True:
        i = pred[j]
        previous = row_col[i]
        if j < n_cols:
            cols, costs = rows[i]
            row_cost[i] = costs[cols.index(j)]
        else:
            row_cost[i] = 0  # its own column
        row_col[i], col_row[j] = j, i
        if i == f:
            break
        j = previous


def _sorted_rows(row_cols: list[list[int]], row_costs: list[list[int]]) -> list[tuple[list[int], list[int]]]:
    """Each row's edges, cheapest first (ties keep list order); shared lists are sorted once."""
    done: dict[int, tuple[list[int], list[int]]] = {}
    out = []
    for cols, costs in zip(row_cols, row_costs):
        key = id(cols)
        pair = done.get(key)
        if pair is None:
            order = sorted(range(len(costs)), key=costs.__getitem__)  # stable: ties keep list order
            pair = done[key] = (tuple([cols[k] for k in order]), tuple([costs[k] for k in order]))
        out.append(pair)
    return out
