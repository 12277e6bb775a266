"""Rapid pairing at scale: time and quality of one round on synthetic communities.

For 100, 1,000, 2,000 and 10,000 members (sectors, levels, topics, timezones, 12 rounds of
history made by the matcher itself) prints, per size: the time of one round (``match``,
the whole thing: graph, candidates, matching, groups; the median of ``--repeat`` runs), its
pair-matching weight, and that weight as a share of three yardsticks, all computed outside
the timed round:

* ``full``: the exact optimum (rustworkx Blossom on every allowed pair), up to
  ``--exact-up-to`` members (about 10 s at 1,000);
* ``sparse``: the exact optimum on a sparse graph made independently of the matcher's own
  candidate search: every member's ``k`` best partners from the dense O(n^2) reference
  (:func:`candidate_edges`), plus the pairs the matcher chose (so the yardstick is never
  below the matcher); a lower bound of the full optimum (about 20 s at 10,000);
* ``bound``: half the sum of each member's best edge, an upper bound of the optimum that is
  loose (the full optimum at 1,000 is about 96.5% of it).

Also: repeats inside the cooldown, trios, unplaced members. Exits 0; no thresholds
enforced (see the targets in the pairing issue).

    .venv/bin/python bench/pairing.py [--sizes 100,1000,2000,10000] [--rounds 12]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.features.pairing.matching import (
    Candidate,
    Graph,
    Outcome,
    Params,
    Past,
    candidate_edges,
    exact_pairs,
    match,
)

SECTORS = ("commissioner", "provider", "investor", "intermediary", "researcher", "government")
TOPICS = tuple(f"topic {k}" for k in range(40))
OFFSETS = (-5.0, 0.0, 0.0, 1.0, 1.0, 2.0, 5.5, 10.0)  # a mostly European community
EXACT_FULL_LIMIT = 1000  # rustworkx Blossom on the full graph up to this size


def community(n: int, seed: int) -> list[Candidate]:
    rng = np.random.default_rng(seed)
    members = []
    for m in range(n):
        count = int(rng.integers(1, 4))
        topics = frozenset(TOPICS[int(t)] for t in rng.choice(len(TOPICS), count, replace=False))
        members.append(
            Candidate(
                member_id=m + 1,
                sector=SECTORS[int(rng.integers(len(SECTORS)))] if rng.random() > 0.05 else None,
                level="new" if rng.random() < 0.4 else "experienced",
                topics=topics,
                utc_offset=float(OFFSETS[int(rng.integers(len(OFFSETS)))]),
            )
        )
    return members


def history_of(members: list[Candidate], rounds: int, mode: str) -> list[tuple[int, int, int]]:
    """Rounds made by the matcher itself: (a, b, round number)."""
    made: list[tuple[int, int, int]] = []
    for r in range(1, rounds + 1):
        past = [Past(a, b, r - k) for a, b, k in made]
        out = match(members, past, (), Params(mode=mode, seed=r))
        for grp in out.groups:
            for x in range(len(grp)):
                for y in range(x + 1, len(grp)):
                    made.append((grp[x], grp[y], r))
    return made


def chosen_pairs(g: Graph, out: Outcome) -> list[tuple[int, int]]:
    """The pair matching behind ``out`` (groups of two; the heaviest pair of a trio)."""
    chosen = []
    for grp in out.groups:
        idx = [g.index[m] for m in grp]
        options = [(g.weight(a, b), a, b) for x, a in enumerate(idx) for b in idx[x + 1 :]]
        _, a, b = max(options)
        chosen.append((a, b))
    return chosen


def exact_full(g: Graph) -> float:
    a, b = np.triu_indices(g.n, k=1)
    i, j = a.astype(np.int64), b.astype(np.int64)
    w = g.pairs(i, j)
    ok = np.isfinite(w)
    found = exact_pairs(g.n, list(zip(i[ok].tolist(), j[ok].tolist(), w[ok].tolist(), strict=True)))
    return sum(g.weight(x, y) for x, y in found)


def exact_sparse(g: Graph, own: list[tuple[int, int]]) -> tuple[float, float]:
    """(exact optimum on dense top-k + own pairs, upper bound)."""
    i, j, w, best = candidate_edges(g, g.params.k)
    edges = {(int(a), int(b)): float(x) for a, b, x in zip(i, j, w, strict=True)}
    for a, b in own:
        lo, hi = min(a, b), max(a, b)
        edges.setdefault((lo, hi), g.weight(lo, hi))
    found = exact_pairs(g.n, [(a, b, x) for (a, b), x in edges.items()])
    bound = float(np.sum(best[np.isfinite(best)]) / 2)
    return sum(g.weight(x, y) for x, y in found), bound


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,2000,10000")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--mode", default="balanced")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (median)")
    parser.add_argument("--history-rounds-up-to", type=int, default=10000)
    parser.add_argument("--exact-up-to", type=int, default=EXACT_FULL_LIMIT)
    parser.add_argument("--no-sparse-exact", action="store_true")
    args = parser.parse_args()
    mode = args.mode
    print(f"rapid pairing, mode={mode}, cooldown 6, {args.rounds} rounds of history")
    print(
        f"{'members':>8} {'round s':>8} {'method':>9} {'weight':>10} {'full':>8} "
        f"{'sparse':>8} {'bound':>8} {'repeats':>8} {'trios':>6} {'unplaced':>8}"
    )
    for n in [int(s) for s in args.sizes.split(",")]:
        members = community(n, seed=n)
        started = time.perf_counter()
        if n <= args.history_rounds_up_to:
            made = history_of(members, args.rounds, mode)
        else:
            # Synthetic history: random perfect matchings.
            rng = np.random.default_rng(7)
            made = []
            for r in range(1, args.rounds + 1):
                order = rng.permutation(n) + 1
                made += [(int(order[x]), int(order[x + 1]), r) for x in range(0, n - 1, 2)]
        prep = time.perf_counter() - started
        current = args.rounds + 1
        past = [Past(a, b, current - r) for a, b, r in made]
        params = Params(mode=mode, seed=current)
        times = []
        for _ in range(max(1, args.repeat)):
            t0 = time.perf_counter()
            out = match(members, past, (), params)
            times.append(time.perf_counter() - t0)
        elapsed = statistics.median(times)
        started = time.perf_counter()
        g = Graph(members, past, (), params)
        full = exact_full(g) if n <= args.exact_up_to else None
        sparse, bound = (
            (None, None) if args.no_sparse_exact else exact_sparse(g, chosen_pairs(g, out))
        )

        def share(of: float | None, weight: float = out.weight) -> str:
            return f"{weight / of:.2%}" if of else "-"

        print(
            f"{n:>8} {elapsed:>8.3f} {'exact' if out.exact else 'heuristic':>9} "
            f"{out.weight:>10.2f} {share(full):>8} {share(sparse):>8} {share(bound):>8} "
            f"{len(out.repeats):>8} {out.trios:>6} {len(out.unplaced):>8}"
            f"   (history {prep:.0f} s, yardsticks {time.perf_counter() - started:.0f} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
