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

import itertools
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
        cells = [(i, column[t]) for i, c in enumerate(self.members) for t in c.topics]
        if cells:
            at = np.array(cells, dtype=np.int64)
            self.topics[at[:, 0], at[:, 1]] = 1.0
        self.topic_count = self.topics.sum(axis=1).astype(np.float64)
        self.topic_bits = _pack_bits(self.topics > 0)
        self.offset = np.array([c.utc_offset for c in self.members], dtype=np.float64)
        rng = np.random.default_rng(params.seed)
        self.jitter = rng.random(n)
        # Pair adjustments keyed by i * n + j (i < j): recent partners (the most recent
        # meeting counts), exclusions; the cooldown blocks, older meetings cost a penalty.
        cooldown = params.cooldown
        hkeys, hago = self._pair_keys([(p.a, p.b, p.ago) for p in history])
        if len(hkeys):
            order = np.lexsort((hago, hkeys))
            hkeys, hago = hkeys[order], hago[order]
            first = np.ones(len(hkeys), dtype=bool)
            first[1:] = hkeys[1:] != hkeys[:-1]
            hkeys, hago = hkeys[first], hago[first]
        ekeys, _ = self._pair_keys([(a, b, 1) for a, b in exclusions])
        self.excluded = np.unique(ekeys)
        keep = ~np.isin(hkeys, self.excluded)
        hkeys, hago = hkeys[keep], hago[keep]
        cooling = hago <= cooldown
        self.cool: dict[int, int] = dict(
            zip(hkeys[cooling].tolist(), hago[cooling].tolist(), strict=True)
        )
        self.cool_keys = hkeys[cooling]
        self.cool_agos = hago[cooling].astype(np.float64)
        self.pen_keys = hkeys[~cooling]
        self.pen_vals = PENALTY * DECAY ** (hago[~cooling] - cooldown - 1).astype(np.float64)
        self.blocked = np.union1d(self.excluded, self.cool_keys)
        # One sorted table of every adjusted pair, looked up once per batch of pairs.
        self.adj_keys = np.union1d(self.blocked, self.pen_keys)
        size = len(self.adj_keys)
        self.adj_pen = np.zeros(size)
        self.adj_pen[np.searchsorted(self.adj_keys, self.pen_keys)] = self.pen_vals
        self.adj_cool = np.zeros(size)
        self.adj_cool[np.searchsorted(self.adj_keys, self.cool_keys)] = self.cool_agos
        self.adj_excl = np.zeros(size, dtype=bool)
        self.adj_excl[np.searchsorted(self.adj_keys, self.excluded)] = True
        # Profile classes: members of one class differ only by topics, noise and history.
        mix_w, _ = self._mode_weights()
        parts = [self.offset]
        if mix_w:
            parts = [self.sector.astype(np.float64), self.level.astype(np.float64), *parts]
        if n:
            _, self.cls, self.class_rep = _classes(np.stack(parts, axis=1))
        else:
            self.cls = np.zeros(0, dtype=np.int64)
            self.class_rep = np.zeros(0, dtype=np.int64)
        reps = self.class_rep
        self.class_fit = self.profile_part(reps[:, None], reps[None, :])  # class x class

    def _pair_keys(self, rows: list[tuple[int, int, int]]) -> tuple[Int, Int]:
        """Keys of the (a, b, x) rows whose members both take part, with their x."""
        if not rows or not self.n:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        arr = np.array(rows, dtype=np.int64).reshape(-1, 3)
        pos = np.searchsorted(self.ids, arr[:, :2]).clip(0, self.n - 1)
        found = self.ids[pos] == arr[:, :2]
        ok = found[:, 0] & found[:, 1] & (pos[:, 0] != pos[:, 1]) & (arr[:, 2] >= 1)
        lo = np.minimum(pos[ok, 0], pos[ok, 1])
        hi = np.maximum(pos[ok, 0], pos[ok, 1])
        return lo * self.n + hi, arr[ok, 2]

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
        if self.n and i.ndim <= 1 and j.ndim <= 1:
            w = self.class_fit[self.cls[i], self.cls[j]]  # the same numbers, by class
        else:
            w = self.profile_part(i, j)
        if sim_w:
            w = w + sim_w * self._jaccard(i, j)
        noise = self.jitter[i] + self.jitter[j]
        noise -= noise >= 1.0  # (a + b) % 1.0, exactly, without the slow modulo
        result: Float = w + NOISE * noise
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
        w = np.array(self.base(i, j), dtype=np.float64)
        if len(self.adj_keys):
            keys = np.minimum(i, j) * self.n + np.maximum(i, j)
            pos = np.searchsorted(self.adj_keys, keys).clip(0, len(self.adj_keys) - 1)
            hit = self.adj_keys[pos] == keys
            at = pos[hit]
            wh = np.maximum(w[hit] - self.adj_pen[at], MIN_WEIGHT)
            agos = self.adj_cool[at]
            cooling = agos > 0
            if allow_repeats:
                wh[cooling] = REPEAT_WEIGHT * agos[cooling] / max(1, self.params.cooldown)
            else:
                wh[cooling] = -np.inf
            wh[self.adj_excl[at]] = -np.inf
            w[hit] = wh
        w[i == j] = -np.inf
        return w

    def block(self, rows: Int) -> Float:
        """Weights of ``rows`` (consecutive) against every member (no repeats); -inf where
        there is no edge. The dense reference (the benchmark's top-k), O(len(rows) * n)."""
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


def _pack_bits(has: NDArray[np.bool_]) -> NDArray[np.uint64]:
    """Rows of booleans as bitsets: column c is bit c % 64 of word c // 64."""
    n, width = has.shape
    words = max(1, math.ceil(width / 64))
    padded = np.zeros((n, words * 64), dtype=np.uint64)
    padded[:, :width] = has
    shifts = np.arange(64, dtype=np.uint64)
    packed: NDArray[np.uint64] = (padded.reshape(n, words, 64) << shifts).sum(
        axis=2, dtype=np.uint64
    )
    return packed


def _codes(values: Sequence[str | None]) -> Int:
    known = sorted({v for v in values if v})
    code = {v: k for k, v in enumerate(known)}
    return np.array([code[v] if v else -1 for v in values], dtype=np.int64)


def _classes(rows: Float) -> tuple[int, Int, Int]:
    """Distinct rows: their count, each row's class and a representative row per class."""
    _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
    return len(first), inverse.reshape(-1).astype(np.int64), first.astype(np.int64)


def _key(i: int, j: int, n: int) -> int:
    return min(i, j) * n + max(i, j)


# ---------------------------------------------------------------- candidate graphs


def candidate_edges(g: Graph, k: int, block: int = 512) -> tuple[Int, Int, Float, Float]:
    """Dense reference: each member's ``k`` best partners (no repeats, no exclusions) from
    every pair, as (i, j, w) with i < j, plus every member's best edge weight. O(n^2);
    the benchmark's yardstick for :func:`sparse_candidates`."""
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


TOPIC_BLOCK = 2048  # members compared with each other at most, per shared topic


def sparse_candidates(g: Graph, k: int, subset: Int | None = None) -> tuple[Int, Int, Float, Float]:
    """Each member's ``k`` best partners (no repeats, no exclusions) without comparing all
    pairs: the weight is a class part (sector, level, timezone) plus topic overlap, so a
    member's best partners either share a topic with it (found topic by topic, in dense
    blocks of the members holding that topic) or are the best of the classes that suit
    it (found class by class). Exact, up to the tie-breaking noise, while no topic is held
    by more than ``TOPIC_BLOCK`` members. Returns (i, j, w) with i < j and each member's
    best edge weight (-inf without any)."""
    n = g.n
    inside = np.ones(n, dtype=bool)
    if subset is not None:
        inside = np.zeros(n, dtype=bool)
        inside[subset] = True
    parts = (_class_candidates(g, k, inside), _topic_candidates(g, k, inside))
    src = np.concatenate([p[0] for p in parts])
    dst = np.concatenate([p[1] for p in parts])
    w = np.concatenate([p[2] for p in parts])
    best = np.full(n, -np.inf)
    if not len(src):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), best
    # One entry per (member, partner) ...
    order = np.argsort(src * n + dst, kind="stable")
    src, dst, w = src[order], dst[order], w[order]
    fresh = np.ones(len(src), dtype=bool)
    fresh[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    src, dst, w = src[fresh], dst[fresh], w[fresh]
    # ... and each member's k heaviest (``src`` stays grouped: one sort on src - w/4,
    # weights being below 4).
    order = np.argsort(src - w / 4.0, kind="stable")
    src, dst = src[order], dst[order]
    starts = np.flatnonzero(np.r_[True, src[1:] != src[:-1]])
    rank = np.arange(len(src)) - np.repeat(starts, np.diff(np.r_[starts, len(src)]))
    best[src[starts]] = g.pairs(src[starts], dst[starts])
    top = rank < k
    src, dst = src[top], dst[top]
    keys = np.unique(np.minimum(src, dst) * n + np.maximum(src, dst))
    i, j = keys // n, keys % n
    return i, j, g.pairs(i, j), best


def _top_k(w: NDArray[np.floating], k: int) -> tuple[Int, Int]:
    """(row, column) of each row's ``k`` largest finite entries (ties may add a few)."""
    width = w.shape[1]
    if width > k:
        threshold = np.partition(w, width - k, axis=1)[:, width - k]
        keep = (w >= threshold[:, None]) & np.isfinite(w)
    else:
        keep = np.isfinite(w)
    r, c = np.nonzero(keep)
    return r.astype(np.int64), c.astype(np.int64)


def _class_candidates(g: Graph, k: int, inside: NDArray[np.bool_]) -> tuple[Int, Int, Float]:
    """For every member, its best partners by class (as if no topic were shared): the
    classes that suit its class best, and in each the members whose noise suits it."""
    n = g.n
    members = np.flatnonzero(inside)
    if len(members) < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    # Enough partners that ``k`` remain after the blocked and penalised ones (and itself).
    ends = np.concatenate([g.adj_keys // max(n, 1), g.adj_keys % max(n, 1)])
    degree = np.bincount(ends[inside[ends]], minlength=n) if len(ends) else np.zeros(n, int)
    need = int(min(len(members), k + int(degree.max(initial=0)) + 1))
    by_class: list[Int] = []
    count = len(g.class_rep)
    for c in range(count):
        got = members[g.cls[members] == c]
        by_class.append(got[np.argsort(g.jitter[got], kind="stable")])
    row_sets: list[Int] = []
    heads: list[Int] = []
    tails: list[Int] = []
    for c in range(count):
        rows = by_class[c]
        if not len(rows):
            continue
        blocks: list[Int] = []
        taken = 0
        fits = g.class_fit[c]
        last = -np.inf
        for other in np.argsort(-fits, kind="stable").tolist():
            pool = by_class[other]
            if not len(pool):
                continue
            if taken >= need and fits[other] < last:
                break  # classes tied with the last one taken still count (for the noise)
            last = fits[other]
            size = min(len(pool), need - taken if taken < need else k)
            if size == len(pool):
                blocks.append(np.broadcast_to(pool, (len(rows), size)))
            else:
                # The partners with the largest (jitter + jitter) % 1: a circular window.
                start = np.searchsorted(g.jitter[pool], 1.0 - g.jitter[rows]) - 1
                window = (start[:, None] - np.arange(size)[None, :]) % len(pool)
                blocks.append(pool[window])
            taken += size
        cols = np.concatenate(blocks, axis=1)
        row_sets.append(rows)
        heads.append(np.repeat(rows, cols.shape[1]))
        tails.append(cols.reshape(-1))
    w = g.pairs(np.concatenate(heads), np.concatenate(tails))
    # Rows of one class share a width: select per class.
    out_src: list[Int] = []
    out_dst: list[Int] = []
    out_w: list[Float] = []
    at = 0
    for rows, cols in zip(row_sets, tails, strict=True):
        width = len(cols) // len(rows)
        part = w[at : at + len(cols)].reshape(len(rows), width)
        r, col = _top_k(part, k)
        out_src.append(rows[r])
        out_dst.append(cols.reshape(len(rows), width)[r, col])
        out_w.append(part[r, col])
        at += len(cols)
    return np.concatenate(out_src), np.concatenate(out_dst), np.concatenate(out_w)


def _topic_candidates(g: Graph, k: int, inside: NDArray[np.bool_]) -> tuple[Int, Int, Float]:
    """For every member, its best partners among the members sharing each of its topics."""
    _, sim_w = g._mode_weights()
    n = g.n
    empty = np.zeros(0, dtype=np.int64)
    if not sim_w or not g.topic_count.any():
        return empty, empty, np.zeros(0)
    has = g.topics > 0
    # Adjusted pairs sharing a topic, by topic.
    a, b = g.adj_keys // n, g.adj_keys % n
    pair_at, topic_of = np.nonzero(has[a] & has[b])
    order = np.argsort(topic_of, kind="stable")
    pair_at, topic_of = pair_at[order], topic_of[order]
    bounds = np.searchsorted(topic_of, np.arange(has.shape[1] + 1))
    blocked = (g.adj_cool > 0) | g.adj_excl
    fit = g.class_fit.astype(np.float32)
    count = fit.shape[0]
    jitter = g.jitter.astype(np.float32)
    counts = g.topic_count.astype(np.float32)
    where = np.full(n, -1, dtype=np.int64)
    heads: list[Int] = []
    tails: list[Int] = []
    weights: list[Float] = []
    for t in range(has.shape[1]):
        holders = np.flatnonzero(has[:, t] & inside)
        if len(holders) < 2:
            continue
        chunks = max(1, math.ceil(len(holders) / TOPIC_BLOCK))
        if chunks > 1:  # too many to compare all: compare within chunks (by noise order)
            holders = holders[np.argsort(g.jitter[holders], kind="stable")]
        adjusted = pair_at[bounds[t] : bounds[t + 1]]
        for part in np.array_split(holders, chunks):
            if len(part) < 2:
                continue
            vectors = g.topics[part]
            inter = vectors @ vectors.T
            union = counts[part][:, None] + counts[part][None, :] - inter
            cls = g.cls[part]
            w = fit.reshape(-1)[cls[:, None] * count + cls[None, :]]
            w += np.float32(sim_w) * (inter / union)
            noise = jitter[part][:, None] + jitter[part][None, :]
            noise -= noise >= 1.0
            w += np.float32(NOISE) * noise
            np.fill_diagonal(w, -np.inf)
            if len(adjusted):
                where[part] = np.arange(len(part))
                ra, rb = where[a[adjusted]], where[b[adjusted]]
                ok = (ra >= 0) & (rb >= 0)
                ra, rb, adj = ra[ok], rb[ok], adjusted[ok]
                lowered = np.maximum(w[ra, rb] - g.adj_pen[adj], np.float32(MIN_WEIGHT))
                lowered[blocked[adj]] = -np.inf
                w[ra, rb] = lowered
                w[rb, ra] = lowered
                where[part] = -1
            r, c = _top_k(w, k)
            heads.append(part[r])
            tails.append(part[c])
            weights.append(w[r, c].astype(np.float64))
    if not heads:
        return empty, empty, np.zeros(0)
    return np.concatenate(heads), np.concatenate(tails), np.concatenate(weights)


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


def _greedy(edges: Sequence[tuple[int, int, float]], mate: Int) -> None:
    for a, b, _w in sorted(edges, key=lambda e: (-e[2], e[0], e[1])):
        if mate[a] < 0 and mate[b] < 0:
            mate[a], mate[b] = b, a


def heuristic_pairs(g: Graph) -> tuple[Int, Float]:
    """Greedy on the sparse candidate graph, again on whoever it left (exactly once few
    remain), then rounds of vectorised 2-opt swaps and a repair of avoidable repeats."""
    n = g.n
    mate = np.full(n, -1, dtype=np.int64)
    i, j, w, best = sparse_candidates(g, g.params.k)
    mate = _greedy_arrays(i, j, w, mate)
    left = np.flatnonzero(mate < 0).astype(np.int64)
    all_i, all_j, all_w = [i], [j], [w]
    while len(left) > EXACT_LIMIT:
        li, lj, lw, _ = sparse_candidates(g, g.params.k, subset=left)
        if not len(li):
            break
        mate = _greedy_arrays(li, lj, lw, mate)
        all_i.append(li)
        all_j.append(lj)
        all_w.append(lw)
        still = np.flatnonzero(mate < 0).astype(np.int64)
        if len(still) == len(left):
            break
        left = still
    _match_subset(g, left, mate)
    i, j, w = np.concatenate(all_i), np.concatenate(all_j), np.concatenate(all_w)
    _two_opt(g, mate, i, j, w, best)
    _repair_repeats(g, mate)
    return mate, best


def _greedy_arrays(i: Int, j: Int, w: Float, mate: Int) -> Int:
    """Greedy by regret: an edge counts for its weight less the mean weight of the
    candidate edges of its two ends (what they would otherwise expect), so members with
    few good options are served before those with many (about 0.3% heavier than plain
    greedy once improved)."""
    total = np.bincount(i, w, len(mate)) + np.bincount(j, w, len(mate))
    count = np.bincount(i, minlength=len(mate)) + np.bincount(j, minlength=len(mate))
    expect = total / np.maximum(count, 1)
    score = w - (expect[i] + expect[j]) / 2.0
    order = np.lexsort((j, i, -score))
    m = mate.tolist()
    for a, b in zip(i[order].tolist(), j[order].tolist(), strict=True):
        if m[a] < 0 and m[b] < 0:
            m[a], m[b] = b, a
    return np.array(m, dtype=np.int64)


def _mate_weights(g: Graph, mate: Int) -> Float:
    """Each member's weight with its mate (repeats allowed); 0 for the unmatched."""
    out = np.zeros(g.n)
    on = np.flatnonzero(mate >= 0)
    if len(on):
        out[on] = g.pairs(on, mate[on], True)
    return out


def _two_opt(g: Graph, mate: Int, i: Int, j: Int, w: Float, best: Float, passes: int = 30) -> None:
    """Swap (a,b)+(c,d) into (a,c)+(b,d) when a candidate edge (a,c) makes that heavier.
    Only swaps whose optimistic gain (with (b,d) at the best edge of b or d) is positive
    are weighed exactly; each pass applies the best non-overlapping swaps."""
    a_all = np.concatenate([i, j])
    c_all = np.concatenate([j, i])
    w_all = np.concatenate([w, w])
    ceiling = np.where(np.isfinite(best), best, 0.0)
    for _ in range(passes):
        mine = _mate_weights(g, mate)
        b_all, d_all = mate[a_all], mate[c_all]
        ok = (b_all >= 0) & (d_all >= 0) & (b_all != c_all)
        hope = w_all + np.minimum(ceiling[b_all], ceiling[d_all]) - mine[a_all] - mine[c_all]
        sel = np.flatnonzero(ok & (hope > 1e-9))
        if not len(sel):
            return
        a, b, c, d = a_all[sel], b_all[sel], c_all[sel], d_all[sel]
        gain = w_all[sel] + g.pairs(b, d) - mine[a] - mine[c]
        good = np.flatnonzero(gain > 1e-9)
        if not len(good):
            return
        good = good[np.lexsort((a[good], -gain[good]))]
        touched = np.zeros(g.n, dtype=bool)
        changed = 0
        for p, q, r, s in zip(
            a[good].tolist(), b[good].tolist(), c[good].tolist(), d[good].tolist(), strict=True
        ):
            if touched[p] or touched[q] or touched[r] or touched[s]:
                continue
            mate[p], mate[r], mate[q], mate[s] = r, p, s, q
            touched[[p, q, r, s]] = True
            changed += 1
        if not changed:
            return


REPAIR_LIMIT = 200  # repeated pairs looked at for a swap with another pair


def _repair_repeats(g: Graph, mate: Int) -> None:
    """A pair inside the cooldown is swapped with another pair when that removes the
    repeat without making a new one (heaviest such swap): repeats stay only if needed."""
    if not g.cool:
        return
    a = np.flatnonzero(mate > np.arange(g.n))
    b = mate[a]
    keys = a * g.n + b
    repeated = np.flatnonzero(np.isin(keys, g.cool_keys))[:REPAIR_LIMIT]
    for x in repeated.tolist():
        p, q = int(a[x]), int(b[x])
        if mate[p] != q:
            continue
        others = np.flatnonzero(mate > np.arange(g.n))
        others = others[(others != p) & (others != q)]
        if not len(others):
            return
        partners = mate[others]
        ps = np.full(len(others), p)
        qs = np.full(len(others), q)
        here = g.pairs(others, partners, True)
        straight = g.pairs(ps, others) + g.pairs(qs, partners) - here
        crossed = g.pairs(ps, partners) + g.pairs(qs, others) - here
        options = np.concatenate([straight, crossed])
        pick = int(np.argmax(options))
        if not np.isfinite(options[pick]):
            continue
        r, s = int(others[pick % len(others)]), int(partners[pick % len(others)])
        if pick >= len(others):
            r, s = s, r
        mate[p], mate[r], mate[q], mate[s] = r, p, s, q


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
    if exact and not unplaced and n <= ODD_RETRY_LIMIT and _cooling_in(g, groups):
        better = _fewer_recent_repeats(g, groups)
        if better is not groups:
            groups = better
            weight = sum(_group_weight(g, grp) for grp in groups)
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


POLISH_TRIPLES_LIMIT = 9  # members in three groups regrouped at once, at most


def _repeat_cost(g: Graph, groups: Sequence[Sequence[int]]) -> int:
    """What a round's repeats inside the cooldown cost: a pair from ``ago`` rounds back
    costs ``2 ** (cooldown - ago)``, so a pair from the last round outweighs any number
    of pairs from the oldest round in the cooldown, and each extra repeat still counts."""
    cost = 0
    for grp in groups:
        for x, y in _combinations(grp):
            ago = g.cool.get(_key(x, y, g.n))
            if ago is not None:
                cost += 2 ** max(0, g.params.cooldown - ago)
    return cost


def _group_weight(g: Graph, group: Sequence[int]) -> float:
    pairs = _combinations(group)
    if not pairs:
        return 0.0
    w = g.pairs(
        np.array([a for a, _ in pairs], dtype=np.int64),
        np.array([b for _, b in pairs], dtype=np.int64),
        True,
    )
    return float(np.sum(w))


def _split(items: tuple[int, ...], sizes: tuple[int, ...]) -> Iterable[list[tuple[int, ...]]]:
    """Every way to cut ``items`` into groups of ``sizes`` (each partition once)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for size in sorted(set(sizes)):
        left = list(sizes)
        left.remove(size)
        for others in itertools.combinations(rest, size - 1):
            remaining = tuple(v for v in rest if v not in others)
            for tail in _split(remaining, tuple(left)):
                yield [(first, *others), *tail]


def _fewer_recent_repeats(g: Graph, groups: list[list[int]]) -> list[list[int]]:
    """Regroup two (or three small) groups at a time while that lowers the round's repeat
    cost (then makes it heavier): a pair inside the cooldown stays only when no regrouping
    avoids it, and the repeats left are the oldest ones. Exclusions are never crossed."""
    n = g.n
    a, b = np.triu_indices(n, k=1)
    flat = g.pairs(a.astype(np.int64), b.astype(np.int64), True)
    weight = np.full((n, n), -np.inf)
    weight[a, b] = flat
    weight[b, a] = flat
    w = weight.tolist()
    cooldown = g.params.cooldown
    cost = [[0] * n for _ in range(n)]
    for pair, ago in g.cool.items():
        x, y = divmod(pair, n)
        cost[x][y] = cost[y][x] = 2 ** max(0, cooldown - ago)

    def score(split: Sequence[Sequence[int]]) -> tuple[int, float]:
        c, total = 0, 0.0
        for grp in split:
            for x, y in _combinations(grp):
                c += cost[x][y]
                total += w[x][y]
        return c, -total

    current = [list(grp) for grp in groups]
    changed = False
    for _ in range(20):
        improved = False
        for k in (2, 3):
            for picked in itertools.combinations(range(len(current)), k):
                chosen = [current[x] for x in picked]
                if k == 3 and sum(len(grp) for grp in chosen) > POLISH_TRIPLES_LIMIT:
                    continue
                here = score(chosen)
                if not here[0]:
                    continue
                best: tuple[int, float] = here
                best_split: list[tuple[int, ...]] | None = None
                members = tuple(sorted(v for grp in chosen for v in grp))
                for split in _split(members, tuple(len(grp) for grp in chosen)):
                    found = score(split)
                    if found < best and math.isfinite(found[1]):
                        best, best_split = found, split
                if best_split is not None and best[0] <= here[0]:
                    for x, grp in zip(picked, best_split, strict=True):
                        current[x] = list(grp)
                    improved = changed = True
        if not improved:
            break
    return current if changed else groups


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
