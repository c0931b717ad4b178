"""The two solvers behind :mod:`bot.matching`: exact sparse assignment, and peer pairing.

Both maximise an integer weight built by :class:`bot.matching_fit.Tiers`; they know
nothing of people, skills or hours.
"""

from __future__ import annotations

from heapq import heapify, heappop, heappush


def assign(row_cols: list[list[int]], row_costs: list[list[int]], n_cols: int) -> list[int]:
    """Minimum-cost assignment of rows to columns in which any row may stay unassigned at cost 0.

    ``row_cols[r]`` / ``row_costs[r]`` list row r's edges (rows may share the same list
    objects, as a mentor's slots do).  Returns, per row, its column or -1.  Costs are
    integers, so the result is exact.

    The shortest augmenting path method (Jonker–Volgenant's, on a sparse graph with a
    heap): rows enter one at a time; each finds the cheapest alternating path, in
    reduced costs, to a free column or to its own "stay unassigned" column, and
    column potentials keep every reduced cost non-negative.  After row r the assignment
    of rows 0..r is optimal, so after the last it is optimal overall.  Fast when the rows
    are the scarcer side (the caller makes sure): most rows find a free column at once.
    """
    n_rows = len(row_cols)
    v = [0] * (n_cols + n_rows)  # column potentials; column n_cols + r is row r's "unassigned"
    col_row = [-1] * (n_cols + n_rows)
    row_col = [-1] * n_rows
    row_cost = [0] * n_rows
    free = _reduce_rows(row_cols, row_costs, n_cols, v, col_row, row_col, row_cost)
    for f in free:
        cols, costs = row_cols[f], row_costs[f]
        # Fast path: the row's cheapest column is free (usual while columns are plentiful).
        best_j, best_d, best_c = n_cols + f, 0, 0
        for j, c in zip(cols, costs):
            d = c - v[j]
            if d < best_d:
                best_j, best_d, best_c = j, d, c
        if col_row[best_j] < 0:
            row_col[f], col_row[best_j], row_cost[f] = best_j, f, best_c
            continue
        dist: dict[int, int] = {}
        pred: dict[int, int] = {}
        pcost: dict[int, int] = {}
        for j, c in zip(cols, costs):
            dist[j], pred[j], pcost[j] = c - v[j], f, c
        dummy = n_cols + f
        dist[dummy], pred[dummy], pcost[dummy] = -v[dummy], f, 0
        heap = [(d, j) for j, d in dist.items()]
        heapify(heap)
        done: set[int] = set()
        scanned: list[int] = []
        while True:
            d, j = heappop(heap)
            if j in done or d > dist[j]:
                continue
            done.add(j)
            i = col_row[j]
            if i < 0:
                end, total = j, d
                break
            scanned.append(j)
            base = d - row_cost[i] + v[j]
            for j2, c in zip(row_cols[i], row_costs[i]):
                if j2 in done:
                    continue
                nd = base + c - v[j2]
                old = dist.get(j2)
                if old is None or nd < old:
                    dist[j2], pred[j2], pcost[j2] = nd, i, c
                    heappush(heap, (nd, j2))
            j2 = n_cols + i
            nd = base - v[j2]
            old = dist.get(j2)
            if old is None or nd < old:
                dist[j2], pred[j2], pcost[j2] = nd, i, 0
                heappush(heap, (nd, j2))
        for j in scanned:
            v[j] += dist[j] - total
        j = end
        while True:
            i = pred[j]
            previous = row_col[i]
            row_col[i], col_row[j], row_cost[i] = j, i, pcost[j]
            if i == f:
                break
            j = previous
    return [j if j < n_cols else -1 for j in row_col]


def _reduce_rows(row_cols, row_costs, n_cols, v, col_row, row_col, row_cost, passes: int = 0, budget_per_row: int = 4) -> list[int]:
    """Jonker–Volgenant's augmenting row reduction: an auction that settles most rows cheaply.

    A free row takes its cheapest column and lowers that column's potential until its
    second cheapest is as good; the row it displaces bids next.  Afterwards every
    assigned row still holds a cheapest column (what the augmentation needs), and the
    rows still free are returned.
    """
    free = list(range(len(row_cols)))
    steps = budget_per_row * len(row_cols)
    for _ in range(passes):
        todo, free = free, []
        k = 0
        while k < len(todo):
            if steps <= 0:
                free.extend(todo[k:])
                break
            steps -= 1
            i = todo[k]
            k += 1
            own = n_cols + i
            j1, u1, c1 = own, -v[own], 0
            j2, u2 = -1, None
            for j, c in zip(row_cols[i], row_costs[i]):
                d = c - v[j]
                if d < u1:
                    j2, u2 = j1, u1
                    j1, u1, c1 = j, d, c
                elif u2 is None or d < u2:
                    j2, u2 = j, d
            i0 = col_row[j1]
            if u2 is not None and u1 < u2:
                v[j1] -= u2 - u1
            elif i0 >= 0 and j2 >= 0:
                j1, i0 = j2, col_row[j2]
                c1 = 0 if j2 >= n_cols else row_costs[i][row_cols[i].index(j2)]
            row_col[i], col_row[j1], row_cost[i] = j1, i, c1
            if i0 >= 0:
                row_col[i0] = -1
                if u2 is not None and u1 < u2:
                    k -= 1
                    todo[k] = i0
                else:
                    free.append(i0)
    return free


def pair_up(n: int, neighbours: list[dict[int, int]], weight, order: list[int], *, max_passes: int = 8) -> list[int]:
    """A heavy matching on a general graph; returns each vertex's mate or -1.

    ``neighbours[a]`` maps candidate partners to weights; ``weight(a, b)`` gives the
    weight of any pair (None when not allowed), for swaps between candidate lists.
    Greedy by weight, then augmenting paths of three edges (more pairs), then 2-opt
    (exchange partners between two pairs, or replace a partner by a free person)
    until a pass finds no gain.  Weights carry the lexicographic tiers, so these local
    moves favour more pairs, then people left out last round, then fewer repeats,
    then fit.  Not exact (that needs Edmonds' blossoms); measured in the benchmark.
    """
    edges = sorted(((w, a, b) for a in range(n) for b, w in neighbours[a].items() if a < b), reverse=True)
    mate = [-1] * n
    for _, a, b in edges:
        if mate[a] < 0 and mate[b] < 0:
            mate[a], mate[b] = b, a
    _augment(mate, neighbours, order)
    for _ in range(max_passes):
        if not _two_opt(mate, neighbours, weight, order):
            break
        _augment(mate, neighbours, order)
    return mate


def _augment(mate: list[int], neighbours: list[dict[int, int]], order: list[int]) -> None:
    """Free u, pair (a, b), free v: pair (u, a) and (b, v) instead, when it adds weight."""
    for u in order:
        if mate[u] >= 0:
            continue
        best = None
        for a, w_ua in neighbours[u].items():
            b = mate[a]
            if b < 0:
                continue
            w_ab = neighbours[a].get(b)
            for v, w_bv in neighbours[b].items():
                if v != u and mate[v] < 0:
                    gain = w_ua + w_bv - w_ab
                    if gain > 0 and (best is None or gain > best[0]):
                        best = (gain, a, b, v)
        if best is not None:
            _, a, b, v = best
            mate[u], mate[a], mate[b], mate[v] = a, u, v, b


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
