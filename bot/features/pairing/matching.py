"""Pure, deterministic matching for rapid pairing (no storage, no clock, no chat).

A weighted graph over the opted-in members: the weight of a pair comes from the mode
(``mix``: sector and level difference; ``similar``: topic overlap, Jaccard on normalised
topics; ``balanced``: both), from how much their 09:00-17:00 working days overlap, and
from a penalty for having been matched recently that decays over rounds. Pairs matched
within the cooldown and pairs with an exclusion get no edge; when no full matching exists
without them, the oldest repeats come back (with a tiny weight) and are reported.
Exclusions never come back.

Small communities get the exact maximum-weight matching (rustworkx's Blossom); large ones
a sparse candidate graph (each member's best ``k`` partners, vectorised with numpy), a
greedy pass by weight, exact matching of whoever is left, and rounds of vectorised 2-opt
swaps. Groups of 3-4 are grown from the pair matching. Ties are broken by noise drawn
from a ``numpy`` Generator seeded with the round's seed, so the same members, history and
seed always give the same groups.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import rustworkx as rx
from numpy.typing import NDArray

MODES = ("mix", "similar", "balanced")
DEFAULT_COOLDOWN = 6
EXACT_LIMIT = 300  # members: exact Blossom on the full graph up to here
CANDIDATES_K = 12  # partners kept per member in the sparse candidate graph

BASE = 0.2  # every allowed pair is worth something, so everybody gets matched
TZ_WEIGHT = 0.5
PENALTY = 0.5  # weight taken off a pair met just after the cooldown …
DECAY = 0.7  # … shrinking by this factor each further round
MIN_WEIGHT = 0.01
REPEAT_WEIGHT = 0.001  # a pair inside the cooldown, allowed only when unavoidable
NOISE = 1e-4  # seeded tie-breaking noise, well below any meaningful difference
SCALE = 1_000_000  # rustworkx wants integer weights

Float = NDArray[np.float64]
Int = NDArray[np.int64]


def normalise_topic(topic: str) -> str:
    """``"Outcome  Measurement."`` and ``"outcome measurement"`` are the same topic."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s-]", " ", topic.casefold())).strip()


@dataclass(frozen=True)
class Candidate:
    member_id: int
    sector: str | None = None
    level: str | None = None
    topics: frozenset[str] = frozenset()  # normalised
    utc_offset: float = 0.0  # hours east of UTC at the round's time


@dataclass(frozen=True)
class Past:
    """Two members were in one group ``ago`` rounds before this one (1 = the last round)."""

    a: int
    b: int
    ago: int


@dataclass(frozen=True)
class Params:
    mode: str = "balanced"
    size: int = 2
    seed: int = 0
    cooldown: int = DEFAULT_COOLDOWN
    exact_limit: int = EXACT_LIMIT
    k: int = CANDIDATES_K


@dataclass(frozen=True)
class Outcome:
    groups: tuple[tuple[int, ...], ...]  # member ids, each group sorted
    weight: float  # sum of pair weights inside the pair matching
    repeats: tuple[Past, ...] = ()  # pairs inside the cooldown that had to be allowed
    unplaced: tuple[int, ...] = ()  # members no group could take (only through exclusions)
    exact: bool = True
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def trios(self) -> int:
        return sum(1 for g in self.groups if len(g) == 3)


# ---------------------------------------------------------------- the weighted graph


class Graph:
    """Vectorised pair weights over members indexed 0..n-1 (sorted by member id)."""

    def __init__(
        self,
        members: Sequence[Candidate],
        history: Iterable[Past],
        exclusions: Iterable[tuple[int, int]],
        params: Params,
    ) -> None:
        if params.mode not in MODES:
            raise ValueError(params.mode)
        self.params = params
        self.members = sorted(members, key=lambda c: c.member_id)
        self.ids = np.array([c.member_id for c in self.members], dtype=np.int64)
        self.index = {c.member_id: i for i, c in enumerate(self.members)}
        n = self.n = len(self.members)
        self.sector = _codes([c.sector for c in self.members])
        self.level = np.array(
            [{"new": 0, "experienced": 1}.get(c.level or "", -1) for c in self.members],
            dtype=np.int64,
        )
        vocabulary = sorted({t for c in self.members for t in c.topics})
        column = {t: j for j, t in enumerate(vocabulary)}
        self.topics = np.zeros((n, max(1, len(vocabulary))), dtype=np.float32)
        for i, c in enumerate(self.members):
            for t in c.topics:
                self.topics[i, column[t]] = 1.0
        self.topic_count = self.topics.sum(axis=1).astype(np.float64)
        words = max(1, math.ceil(len(vocabulary) / 64))
        self.topic_bits = np.zeros((n, words), dtype=np.uint64)
        for i, c in enumerate(self.members):
            for t in c.topics:
                col = column[t]
                self.topic_bits[i, col // 64] |= np.uint64(1) << np.uint64(col % 64)
        self.offset = np.array([c.utc_offset for c in self.members], dtype=np.float64)
        rng = np.random.default_rng(params.seed)
        self.jitter = rng.random(n)
        # Adjustments keyed by i * n + j (i < j): recent-partner penalties, cooldown, exclusions.
        ago: dict[int, int] = {}
        for p in history:
            pa, pb = self.index.get(p.a), self.index.get(p.b)
            if pa is None or pb is None or pa == pb or p.ago < 1:
                continue
            key = _key(pa, pb, n)
            ago[key] = min(p.ago, ago.get(key, p.ago))
        excluded = set()
        for a, b in exclusions:
            ea, eb = self.index.get(a), self.index.get(b)
            if ea is not None and eb is not None and ea != eb:
                excluded.add(_key(ea, eb, n))
        self.excluded = np.array(sorted(excluded), dtype=np.int64)
        cooldown = params.cooldown
        self.cool = {k: a for k, a in ago.items() if a <= cooldown and k not in excluded}
        penal = {k: a for k, a in ago.items() if a > cooldown and k not in excluded}
        self.pen_keys = np.array(sorted(penal), dtype=np.int64)
        self.pen_vals = np.array(
            [PENALTY * DECAY ** (penal[k] - cooldown - 1) for k in sorted(penal)], dtype=np.float64
        )
        self.cool_keys = np.array(sorted(self.cool), dtype=np.int64)
        self.cool_agos = np.array([self.cool[k] for k in sorted(self.cool)], dtype=np.float64)
        self.blocked = np.array(sorted(excluded | set(self.cool)), dtype=np.int64)

    # ------------------------------------------------------------ weights

    def _mode_weights(self) -> tuple[float, float]:
        return {"mix": (1.0, 0.0), "similar": (0.0, 1.0), "balanced": (0.5, 0.5)}[self.params.mode]

    def profile_part(self, i: Int, j: Int) -> Float:
        """The part of the weight that depends on sector, level and timezone only."""
        si, sj = self.sector[i], self.sector[j]
        sector = np.where((si < 0) | (sj < 0), 0.5, (si != sj).astype(np.float64))
        li, lj = self.level[i], self.level[j]
        level = np.where((li < 0) | (lj < 0), 0.5, (li != lj).astype(np.float64))
        diff = np.abs(self.offset[i] - self.offset[j]) % 24.0
        diff = np.minimum(diff, 24.0 - diff)
        overlap = np.maximum(0.0, 8.0 - diff) / 8.0
        mix_w, _ = self._mode_weights()
        result: Float = BASE + mix_w * (0.6 * sector + 0.4 * level) + TZ_WEIGHT * overlap
        return result

    def base(self, i: Int, j: Int) -> Float:
        """Weights of the pairs (i[x], j[x]) before history (any broadcastable shapes)."""
        _, sim_w = self._mode_weights()
        w = self.profile_part(i, j)
        if sim_w:
            w = w + sim_w * self._jaccard(i, j)
        noise = NOISE * ((self.jitter[i] + self.jitter[j]) % 1.0)
        result: Float = w + noise
        return result

    def _jaccard(self, i: Int, j: Int) -> Float:
        if (i.ndim == 1 and j.ndim == 2) or (i.ndim == 2 and i.shape[1] == 1):
            # A block: rows i (as a column) against columns j (as a row).
            rows = i.reshape(-1)
            cols = j.reshape(-1)
            inter = (self.topics[rows] @ self.topics[cols].T).astype(np.float64)
            union = self.topic_count[rows][:, None] + self.topic_count[cols][None, :] - inter
        else:
            both = self.topic_bits[i] & self.topic_bits[j]
            inter = _popcount(both).sum(axis=-1).astype(np.float64)
            union = self.topic_count[i] + self.topic_count[j] - inter
        with np.errstate(invalid="ignore", divide="ignore"):
            result: Float = np.where(union > 0, inter / np.maximum(union, 1.0), 0.0)
        return result

    def pairs(self, i: Int, j: Int, allow_repeats: bool = False) -> Float:
        """Final weights of pairs (1-d arrays); -inf where there is no edge."""
        w = self.base(i, j)
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        keys = lo * self.n + hi
        w = np.maximum(w - _lookup(keys, self.pen_keys, self.pen_vals), MIN_WEIGHT)
        if self.cool:
            cooling = _member(keys, self.cool_keys)
            if allow_repeats:
                agos = _lookup(keys[cooling], self.cool_keys, self.cool_agos)
                w[cooling] = REPEAT_WEIGHT * agos / max(1, self.params.cooldown)
            else:
                w[cooling] = -np.inf
        w[_member(keys, self.excluded)] = -np.inf
        w[i == j] = -np.inf
        return w

    def block(self, rows: Int) -> Float:
        """Weights of ``rows`` against every member (no repeats); -inf where no edge."""
        cols = np.arange(self.n, dtype=np.int64)
        w = self.base(rows[:, None], cols[None, :]) if self.n else np.zeros((len(rows), 0))
        w = np.asarray(w, dtype=np.float64)
        lo_row, hi_row = int(rows[0]), int(rows[-1])
        # Adjustments touching these rows, in either direction.
        for keys, values in ((self.pen_keys, self.pen_vals), (self.blocked, None)):
            if not len(keys):
                continue
            a, b = keys // self.n, keys % self.n
            for r, c in ((a, b), (b, a)):
                sel = (r >= lo_row) & (r <= hi_row)
                rr, cc = r[sel] - lo_row, c[sel]
                if values is None:
                    w[rr, cc] = -np.inf
                else:
                    w[rr, cc] = w[rr, cc] - values[sel]
        w[np.arange(len(rows)), rows] = -np.inf
        finite = np.isfinite(w)
        w[finite] = np.maximum(w[finite], MIN_WEIGHT)
        return w

    def weight(self, a: int, b: int, allow_repeats: bool = True) -> float:
        i = np.array([a], dtype=np.int64)
        j = np.array([b], dtype=np.int64)
        return float(self.pairs(i, j, allow_repeats)[0])


_BYTE_COUNTS = np.array([bin(x).count("1") for x in range(256)], dtype=np.uint8)


def _popcount(words: NDArray[np.uint64]) -> NDArray[np.int64]:
    """Set bits per uint64 (numpy's bitwise_count where available)."""
    counter = getattr(np, "bitwise_count", None)
    if counter is not None:
        return np.asarray(counter(words), dtype=np.int64)
    as_bytes = words.view(np.uint8).reshape(*words.shape, 8)
    return np.asarray(_BYTE_COUNTS[as_bytes].sum(axis=-1), dtype=np.int64)


def _codes(values: Sequence[str | None]) -> Int:
    known = sorted({v for v in values if v})
    code = {v: k for k, v in enumerate(known)}
    return np.array([code[v] if v else -1 for v in values], dtype=np.int64)


def _key(i: int, j: int, n: int) -> int:
    return min(i, j) * n + max(i, j)


def _member(keys: Int, sorted_keys: Int) -> NDArray[np.bool_]:
    if not len(sorted_keys):
        return np.zeros(keys.shape, dtype=bool)
    pos = np.clip(np.searchsorted(sorted_keys, keys), 0, len(sorted_keys) - 1)
    found: NDArray[np.bool_] = sorted_keys[pos] == keys
    return found


def _lookup(keys: Int, sorted_keys: Int, values: Float) -> Float:
    out = np.zeros(keys.shape, dtype=np.float64)
    if not len(sorted_keys):
        return out
    pos = np.clip(np.searchsorted(sorted_keys, keys), 0, len(sorted_keys) - 1)
    hit = sorted_keys[pos] == keys
    out[hit] = values[pos[hit]]
    return out


# ---------------------------------------------------------------- pair matchings


def exact_pairs(n: int, edges: Sequence[tuple[int, int, float]]) -> list[tuple[int, int]]:
    """Maximum-weight matching of maximum cardinality (rustworkx Blossom)."""
    graph: rx.PyGraph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(n))
    graph.add_edges_from([(a, b, round(w * SCALE)) for a, b, w in edges])
    found = rx.max_weight_matching(graph, max_cardinality=True, weight_fn=lambda x: int(x))
    return sorted((min(a, b), max(a, b)) for a, b in found)


def _full_edges(g: Graph, nodes: Int, allow_repeats: bool) -> list[tuple[int, int, float]]:
    if len(nodes) < 2:
        return []
    a, b = np.triu_indices(len(nodes), k=1)
    i, j = nodes[a], nodes[b]
    w = g.pairs(i, j, allow_repeats)
    ok = np.isfinite(w)
    return list(zip(i[ok].tolist(), j[ok].tolist(), w[ok].tolist(), strict=True))


def _match_subset(g: Graph, nodes: Int, mate: Int) -> None:
    """Exactly match ``nodes`` among themselves; repeats only if needed. Updates ``mate``."""
    if len(nodes) < 2:
        return
    local = {int(v): k for k, v in enumerate(nodes.tolist())}
    for allow in (False, True):
        free = np.array([v for v in nodes.tolist() if mate[v] < 0], dtype=np.int64)
        if len(free) < 2:
            return
        edges = _full_edges(g, free, allow)
        if len(free) > 2 * EXACT_LIMIT:
            _greedy(edges, mate)
        else:
            idx = {int(v): k for k, v in enumerate(free.tolist())}
            found = exact_pairs(len(free), [(idx[a], idx[b], w) for a, b, w in edges])
            for x, y in found:
                a, b = int(free[x]), int(free[y])
                mate[a], mate[b] = b, a
        if int(np.sum(mate[nodes] < 0)) <= len(nodes) % 2:
            return
    del local


def _greedy(edges: Sequence[tuple[int, int, float]], mate: Int) -> None:
    for a, b, _w in sorted(edges, key=lambda e: (-e[2], e[0], e[1])):
        if mate[a] < 0 and mate[b] < 0:
            mate[a], mate[b] = b, a


def candidate_edges(g: Graph, k: int, block: int = 512) -> tuple[Int, Int, Float, Float]:
    """Each member's ``k`` best partners (no repeats, no exclusions): (i, j, w), i < j,
    plus every member's best edge weight (for the upper bound)."""
    n = g.n
    k = max(1, min(k, n - 1))
    heads: list[Int] = []
    tails: list[Int] = []
    best = np.full(n, -np.inf)
    for start in range(0, n, block):
        rows = np.arange(start, min(n, start + block), dtype=np.int64)
        w = g.block(rows)
        top = np.argpartition(-w, k - 1, axis=1)[:, :k]
        vals = np.take_along_axis(w, top, axis=1)
        best[rows] = w.max(axis=1)
        ok = np.isfinite(vals)
        heads.append(np.repeat(rows, k)[ok.reshape(-1)])
        tails.append(top.reshape(-1)[ok.reshape(-1)].astype(np.int64))
    i = np.concatenate(heads) if heads else np.zeros(0, dtype=np.int64)
    j = np.concatenate(tails) if tails else np.zeros(0, dtype=np.int64)
    keys = np.unique(np.minimum(i, j) * n + np.maximum(i, j))
    i, j = keys // n, keys % n
    w = g.pairs(i, j)
    return i, j, w, best


def sampled_edges(
    g: Graph, k: int, pool: int = 256, draws: int = 24, subset: Int | None = None
) -> tuple[Int, Int, Float]:
    """Sub-quadratic candidates for large communities: each member draws partners from the
    members of the profile classes (sector, level, timezone) that suit it best and, when
    topics count, from members sharing one of its topics in those classes; exact weights
    are then computed for the drawn pairs only and each member keeps its ``k`` best."""
    n = g.n
    rng = np.random.default_rng(g.params.seed + 1)
    stacked = np.stack([g.sector, g.level, np.round(g.offset * 4).astype(np.int64)], axis=1)
    classes, cls = np.unique(stacked, axis=0, return_inverse=True)
    cls = cls.reshape(-1)
    reps = np.array([int(np.flatnonzero(cls == c)[0]) for c in range(len(classes))])
    fit = g.profile_part(reps[:, None], reps[None, :])  # class x class
    inside = np.ones(n, dtype=bool)
    if subset is not None:
        inside = np.zeros(n, dtype=bool)
        inside[subset] = True
    members_of = [np.flatnonzero((cls == c) & inside) for c in range(len(classes))]
    order = np.argsort(-fit, axis=1, kind="stable")

    def pool_for(c: int, within: NDArray[np.bool_] | None) -> Int:
        picked: list[Int] = []
        size = 0
        for other in order[c].tolist():
            got = members_of[other]
            if within is not None:
                got = got[within[got]]
            if len(got):
                picked.append(got)
                size += len(got)
            if size >= pool:
                break
        return np.concatenate(picked) if picked else np.zeros(0, dtype=np.int64)

    heads: list[Int] = []
    tails: list[Int] = []
    for c in range(len(classes)):
        rows = members_of[c]
        candidates = pool_for(c, None)
        if len(candidates):
            heads.append(np.repeat(rows, draws))
            tails.append(candidates[rng.integers(0, len(candidates), len(rows) * draws)])
    _, sim_w = g._mode_weights()
    if sim_w and g.topics.shape[1] and g.topic_count.any():
        has = g.topics > 0
        for t in range(g.topics.shape[1]):
            with_t = has[:, t] & inside
            rows_t = np.flatnonzero(with_t)
            for c in np.unique(cls[rows_t]).tolist():
                rows = rows_t[cls[rows_t] == c]
                candidates = pool_for(c, with_t)
                if len(candidates):
                    heads.append(np.repeat(rows, draws // 2))
                    tails.append(
                        candidates[rng.integers(0, len(candidates), len(rows) * (draws // 2))]
                    )
    if not heads:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    i = np.concatenate(heads)
    j = np.concatenate(tails)
    keys = np.unique(np.minimum(i, j) * n + np.maximum(i, j))
    i, j = keys // n, keys % n
    keep = i != j
    i, j = i[keep], j[keep]
    w = g.pairs(i, j)
    ok = np.isfinite(w)
    i, j, w = i[ok], j[ok], w[ok]
    # Keep each member's k best (an edge stays if it is among the best of either end).
    both_i = np.concatenate([i, j])
    both_j = np.concatenate([j, i])
    both_w = np.concatenate([w, w])
    order2 = np.lexsort((-both_w, both_i))
    sorted_i = both_i[order2]
    starts = np.searchsorted(sorted_i, sorted_i, side="left")
    rank = np.arange(len(sorted_i)) - starts
    top = order2[rank < k]
    ti, tj = both_i[top], both_j[top]
    keys = np.unique(np.minimum(ti, tj) * n + np.maximum(ti, tj))
    i, j = keys // n, keys % n
    return i, j, g.pairs(i, j)


DENSE_LIMIT = 3000  # members: exact top-k candidates from dense blocks up to here


def heuristic_pairs(g: Graph) -> tuple[Int, Float]:
    """Greedy on the sparse candidate graph, exact on the rest, then 2-opt swaps."""
    n = g.n
    mate = np.full(n, -1, dtype=np.int64)
    if n <= DENSE_LIMIT:
        i, j, w, best = candidate_edges(g, g.params.k)
    else:
        i, j, w = sampled_edges(g, g.params.k)
        best = np.full(n, np.nan)  # not computed: too costly (the benchmark computes it)
    mate = _greedy_arrays(i, j, w, mate)
    left = np.flatnonzero(mate < 0).astype(np.int64)
    # Whoever the greedy pass left: fresh candidates among themselves, until few remain.
    extra_i, extra_j = [i], [j]
    while len(left) > EXACT_LIMIT:
        li, lj, lw = sampled_edges(g, g.params.k, subset=left)
        if not len(li):
            break
        mate = _greedy_arrays(li, lj, lw, mate)
        extra_i.append(li)
        extra_j.append(lj)
        still = np.flatnonzero(mate < 0).astype(np.int64)
        if len(still) == len(left):
            break
        left = still
    i, j = np.concatenate(extra_i), np.concatenate(extra_j)
    _match_subset(g, left, mate)
    _two_opt(g, mate, i, j)
    return mate, best


def _greedy_arrays(i: Int, j: Int, w: Float, mate: Int) -> Int:
    order = np.lexsort((j, i, -w))
    m = mate.tolist()
    for a, b in zip(i[order].tolist(), j[order].tolist(), strict=True):
        if m[a] < 0 and m[b] < 0:
            m[a], m[b] = b, a
    return np.array(m, dtype=np.int64)


def _two_opt(g: Graph, mate: Int, i: Int, j: Int, passes: int = 8) -> None:
    """Swap (a,b)+(c,d) into (a,c)+(b,d) when a candidate edge (a,c) makes that heavier."""
    for _ in range(passes):
        a = np.concatenate([i, j])
        c = np.concatenate([j, i])
        b, d = mate[a], mate[c]
        ok = (b >= 0) & (d >= 0) & (b != c)
        a, b, c, d = a[ok], b[ok], c[ok], d[ok]
        if not len(a):
            return
        gain = g.pairs(a, c) + g.pairs(b, d) - g.pairs(a, b, True) - g.pairs(c, d, True)
        good = np.flatnonzero(gain > 1e-9)
        if not len(good):
            return
        touched = np.zeros(g.n, dtype=bool)
        changed = 0
        for x in good[np.argsort(-gain[good], kind="stable")].tolist():
            p, q, r, s = int(a[x]), int(b[x]), int(c[x]), int(d[x])
            if touched[p] or touched[q] or touched[r] or touched[s]:
                continue
            mate[p], mate[r], mate[q], mate[s] = r, p, s, q
            touched[[p, q, r, s]] = True
            changed += 1
        if not changed:
            return


# ---------------------------------------------------------------- groups


def match(
    members: Sequence[Candidate],
    history: Iterable[Past] = (),
    exclusions: Iterable[tuple[int, int]] = (),
    params: Params | None = None,
) -> Outcome:
    """Groups for one round. Deterministic in (members, history, exclusions, params)."""
    params = params or Params()
    if not 2 <= params.size <= 4:
        raise ValueError(f"size {params.size}")
    g = Graph(members, history, exclusions, params)
    n = g.n
    if n < 2:
        return Outcome(groups=(), weight=0.0, unplaced=tuple(g.ids.tolist()))
    exact = n <= params.exact_limit
    stats: dict[str, float] = {}
    if exact:
        mate = np.full(n, -1, dtype=np.int64)
        _match_subset(g, np.arange(n, dtype=np.int64), mate)
    else:
        mate, best = heuristic_pairs(g)
        if np.all(~np.isnan(best)):
            stats["bound"] = float(np.sum(best[np.isfinite(best)]) / 2.0)
    pairs = sorted({(min(a, int(mate[a])), max(a, int(mate[a]))) for a in range(n) if mate[a] >= 0})
    weight = float(
        np.sum(
            g.pairs(
                np.array([p[0] for p in pairs], dtype=np.int64),
                np.array([p[1] for p in pairs], dtype=np.int64),
                True,
            )
        )
    )
    singles = [a for a in range(n) if mate[a] < 0]
    groups, unplaced = _grow(g, pairs, singles, params.size)
    if exact and n % 2 and n <= ODD_RETRY_LIMIT and _cooling_in(g, groups):
        # The leftover could only join by repeating a pair: try leaving out someone else.
        for out_member in range(n):
            trial = np.full(n, -1, dtype=np.int64)
            _match_subset(g, np.array([v for v in range(n) if v != out_member]), trial)
            tp = sorted(
                {(min(a, int(trial[a])), max(a, int(trial[a]))) for a in range(n) if trial[a] >= 0}
            )
            tg, tu = _grow(g, tp, [a for a in range(n) if trial[a] < 0], params.size)
            if not _cooling_in(g, tg) and not tu:
                groups, unplaced, pairs = tg, tu, tp
                weight = float(
                    np.sum(
                        g.pairs(
                            np.array([p[0] for p in tp], dtype=np.int64),
                            np.array([p[1] for p in tp], dtype=np.int64),
                            True,
                        )
                    )
                )
                break
    repeats: list[Past] = []
    for grp in groups:
        for x in range(len(grp)):
            for y in range(x + 1, len(grp)):
                ago = g.cool.get(_key(grp[x], grp[y], n))
                if ago is not None:
                    a, b = sorted((int(g.ids[grp[x]]), int(g.ids[grp[y]])))
                    repeats.append(Past(a, b, ago))
    as_ids = tuple(
        sorted(tuple(sorted(int(g.ids[v]) for v in grp)) for grp in groups if len(grp) >= 2)
    )
    return Outcome(
        groups=as_ids,
        weight=weight,
        repeats=tuple(sorted(repeats, key=lambda p: (p.a, p.b))),
        unplaced=tuple(sorted(int(g.ids[v]) for v in unplaced)),
        exact=exact,
        stats=stats,
    )


ODD_RETRY_LIMIT = 60


def _cooling_in(g: Graph, groups: list[list[int]]) -> bool:
    return any(_key(x, y, g.n) in g.cool for grp in groups for x, y in _combinations(grp))


def _combinations(group: Sequence[int]) -> list[tuple[int, int]]:
    return [(group[a], group[b]) for a in range(len(group)) for b in range(a + 1, len(group))]


def _target_sizes(n: int, size: int) -> list[int]:
    """How many groups and how big: ``size`` or ``size - 1`` (never below 2)."""
    if size == 2:
        return [2] * (n // 2)
    count = math.ceil(n / size)
    if n < count * (size - 1):
        count = max(1, n // size)
    sizes = [n // count] * count
    for x in range(n % count):
        sizes[x] += 1
    return sizes


def _fit(g: Graph, member: int, group: list[int]) -> float:
    """Mean weight of ``member`` with ``group``; -inf if an exclusion forbids it,
    strongly negative if it would repeat a pair inside the cooldown."""
    if not group:
        return 0.0
    others = np.array(group, dtype=np.int64)
    me = np.full(len(others), member, dtype=np.int64)
    w = g.pairs(me, others, allow_repeats=True)
    if np.any(~np.isfinite(w)):
        return -math.inf
    cooling = sum(1 for o in group if _key(member, o, g.n) in g.cool)
    return float(np.mean(w)) - 10.0 * cooling


def _grow(
    g: Graph, pairs: list[tuple[int, int]], singles: list[int], size: int
) -> tuple[list[list[int]], list[int]]:
    if pairs:
        pw = g.pairs(
            np.array([p[0] for p in pairs], dtype=np.int64),
            np.array([p[1] for p in pairs], dtype=np.int64),
            True,
        )
    weight_of = {p: float(pw[x]) for x, p in enumerate(pairs)}
    ranked = sorted(pairs, key=lambda p: (-weight_of[p], p))
    if size == 2:
        groups = [list(p) for p in ranked]
        capacity = [1] * len(groups)  # the leftover makes a trio
    else:
        sizes = _target_sizes(2 * len(pairs) + len(singles), size)
        seeds = ranked[: len(sizes)]
        groups = [list(p) for p in seeds]
        capacity = [s - 2 for s in sizes[: len(seeds)]]
        rest = ranked[len(seeds) :]
        # Whole pairs first into groups with room for two, then everyone else one by one.
        for p in rest:
            spots = [x for x, cap in enumerate(capacity) if cap >= 2]
            scored = [(_fit(g, p[0], groups[x]) + _fit(g, p[1], groups[x]), x) for x in spots]
            scored = [(s, x) for s, x in scored if s > -1.0]
            if scored:
                _, x = max(scored, key=lambda t: (t[0], -t[1]))
                groups[x] += list(p)
                capacity[x] -= 2
            else:
                singles = [*singles, p[0], p[1]]
        singles = sorted(singles)
    unplaced: list[int] = []
    for member in singles:
        spots = [x for x, cap in enumerate(capacity) if cap >= 1] or list(range(len(groups)))
        scored = [(_fit(g, member, groups[x]), x) for x in spots]
        scored = [(s, x) for s, x in scored if s > -math.inf]
        if not scored:
            unplaced.append(member)
            continue
        _, x = max(scored, key=lambda t: (t[0], -t[1]))
        groups[x].append(member)
        capacity[x] -= 1
    return groups, unplaced
