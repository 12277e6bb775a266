"""Rapid pairing at scale: time and quality of one round on synthetic communities.

For 100, 1,000, 2,000 and 10,000 members (sectors, levels, topics, timezones, 12 rounds of
history made by the matcher itself) prints, per size: the time of one round (``match``,
the whole thing: graph, candidates, matching, groups), its pair-matching weight as a share
of the exact optimum (rustworkx Blossom on the same full graph, up to ``--exact-up-to``
members; about 12 s at 1,000) and beyond that of the upper bound "half the sum of each
member's best edge" (computed outside the timed round); repeats inside the cooldown;
trio count. Exits 0; no thresholds enforced (see the targets in the pairing issue).

    .venv/bin/python bench/pairing.py [--sizes 100,1000,2000,10000] [--rounds 12]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.features.pairing.matching import (
    Candidate,
    Graph,
    Params,
    Past,
    candidate_edges,
    exact_pairs,
    match,
)

SECTORS = ("commissioner", "provider", "investor", "intermediary", "researcher", "government")
TOPICS = tuple(f"topic {k}" for k in range(40))
OFFSETS = (-5.0, 0.0, 0.0, 1.0, 1.0, 2.0, 5.5, 10.0)  # a mostly European community
EXACT_FULL_LIMIT = 1000  # rustworkx Blossom on the full graph up to this size (about 12 s)


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
    """12 rounds made by the matcher itself: (a, b, round number)."""
    made: list[tuple[int, int, int]] = []
    for r in range(1, rounds + 1):
        past = [Past(a, b, r - k) for a, b, k in made]
        out = match(members, past, (), Params(mode=mode, seed=r))
        for grp in out.groups:
            for x in range(len(grp)):
                for y in range(x + 1, len(grp)):
                    made.append((grp[x], grp[y], r))
    return made


def exact_weight(g: Graph, sparse: bool) -> float:
    """The optimum of the same graph: full below the exact limit, sparse candidates above."""
    if sparse:
        i, j, w, _ = candidate_edges(g, g.params.k)
        edges = list(zip(i.tolist(), j.tolist(), w.tolist(), strict=True))
    else:
        a, b = np.triu_indices(g.n, k=1)
        w = g.pairs(a.astype(np.int64), b.astype(np.int64))
        ok = np.isfinite(w)
        edges = list(zip(a[ok].tolist(), b[ok].tolist(), w[ok].tolist(), strict=True))
    found = exact_pairs(g.n, edges)
    return sum(g.weight(a, b) for a, b in found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,2000,10000")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--history-rounds-up-to", type=int, default=2000)
    parser.add_argument("--exact-up-to", type=int, default=EXACT_FULL_LIMIT)
    args = parser.parse_args()
    mode = "balanced"
    print(f"rapid pairing, mode={mode}, cooldown 6, {args.rounds} rounds of history")
    print(
        f"{'members':>8} {'round s':>8} {'method':>9} {'weight':>11} {'share':>7} "
        f"{'vs':>14} {'repeats':>8} {'trios':>6} {'unplaced':>8}"
    )
    for n in [int(s) for s in args.sizes.split(",")]:
        members = community(n, seed=n)
        started = time.perf_counter()
        if n <= args.history_rounds_up_to:
            made = history_of(members, args.rounds, mode)
        else:
            # Synthetic history for the largest size (making it round by round is slow to
            # wait for, not part of the measured round): 12 random perfect matchings.
            rng = np.random.default_rng(7)
            made = []
            for r in range(1, args.rounds + 1):
                order = rng.permutation(n) + 1
                made += [(int(order[x]), int(order[x + 1]), r) for x in range(0, n - 1, 2)]
        prep = time.perf_counter() - started
        current = args.rounds + 1
        past = [Past(a, b, current - r) for a, b, r in made]
        params = Params(mode=mode, seed=current)
        t0 = time.perf_counter()
        out = match(members, past, (), params)
        elapsed = time.perf_counter() - t0
        g = Graph(members, past, (), params)
        if out.exact:
            optimum, versus = out.weight, "exact (itself)"
        elif n <= args.exact_up_to:
            optimum, versus = exact_weight(g, sparse=False), "exact"
        else:
            _, _, _, best = candidate_edges(g, 1)
            optimum, versus = float(np.sum(best[np.isfinite(best)]) / 2), "upper bound"
        share = out.weight / optimum if optimum else 1.0
        if versus == "exact":
            _, _, _, best = candidate_edges(g, 1)
            bound = float(np.sum(best[np.isfinite(best)]) / 2)
            versus += f" (bound {out.weight / bound:.1%})"
        print(
            f"{n:>8} {elapsed:>8.3f} {'exact' if out.exact else 'heuristic':>9} "
            f"{out.weight:>11.2f} {share:>7.2%} {versus:>14} {len(out.repeats):>8} "
            f"{out.trios:>6} {len(out.unplaced):>8}   (history built in {prep:.1f} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
