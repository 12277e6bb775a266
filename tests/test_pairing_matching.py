"""The pure matcher: determinism, cooldown, trios, exclusions, modes, large communities."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from bot.features.pairing.matching import (
    DEFAULT_COOLDOWN,
    MODES,
    Candidate,
    Graph,
    Params,
    Past,
    candidate_edges,
    match,
    sparse_candidates,
)


def people(n: int) -> list[Candidate]:
    sectors = ("commissioner", "provider", "investor")
    return [
        Candidate(
            member_id=k + 1,
            sector=sectors[k % 3],
            level="new" if k % 2 else "experienced",
            topics=frozenset({f"t{k % 4}"}),
        )
        for k in range(n)
    ]


def pairs_of(groups: tuple[tuple[int, ...], ...]) -> set[tuple[int, int]]:
    return {p for g in groups for p in combinations(sorted(g), 2)}


def test_same_inputs_and_seed_give_the_same_groups() -> None:
    first = match(people(11), (), (), Params(seed=5))
    again = match(list(reversed(people(11))), (), (), Params(seed=5))
    assert first.groups == again.groups


def test_twelve_rounds_of_nine_members_never_repeat_inside_the_cooldown() -> None:
    members = people(9)
    made: list[tuple[int, int, int]] = []
    for r in range(1, 13):
        out = match(
            members, [Past(a, b, r - k) for a, b, k in made], (), Params(seed=r, cooldown=3)
        )
        assert sorted(m for g in out.groups for m in g) == list(range(1, 10))  # nobody dropped
        assert out.trios == 1 and not out.repeats
        for a, b in pairs_of(out.groups):
            assert all(not (x == a and y == b and r - k <= 3) for x, y, k in made)
            made.append((a, b, r))


def test_oldest_repeats_are_allowed_and_reported_when_unavoidable() -> None:
    members = people(4)
    history = [
        Past(1, 2, 1),
        Past(3, 4, 1),
        Past(1, 3, 2),
        Past(2, 4, 2),
        Past(1, 4, 3),
        Past(2, 3, 3),
    ]
    out = match(members, history, (), Params(cooldown=6))
    assert len(out.groups) == 2 and out.repeats
    assert {p.ago for p in out.repeats} == {3}  # the oldest ones


def test_exclusions_are_never_matched() -> None:
    members = people(6)
    for seed in range(10):
        out = match(members, (), [(1, 2), (3, 4), (5, 6)], Params(seed=seed))
        assert not pairs_of(out.groups) & {(1, 2), (3, 4), (5, 6)}


def test_mix_pairs_across_sectors_and_similar_pairs_shared_topics() -> None:
    members = [
        Candidate(1, "commissioner", "new", frozenset({"spv"})),
        Candidate(2, "commissioner", "new", frozenset({"spv"})),
        Candidate(3, "provider", "experienced", frozenset({"data"})),
        Candidate(4, "provider", "experienced", frozenset({"data"})),
    ]
    mix = pairs_of(match(members, (), (), Params(mode="mix")).groups)
    similar = pairs_of(match(members, (), (), Params(mode="similar")).groups)
    assert similar == {(1, 2), (3, 4)}
    assert mix.isdisjoint({(1, 2), (3, 4)})


def test_groups_of_three_and_four_cover_everyone() -> None:
    for size in (3, 4):
        for n in (6, 7, 10, 13):
            out = match(people(n), (), (), Params(size=size))
            assert sorted(m for g in out.groups for m in g) == list(range(1, n + 1))
            assert all(size - 1 <= len(g) <= size + 1 for g in out.groups)


def test_large_communities_use_the_heuristic_and_match_everyone() -> None:
    out = match(people(801), (), (), Params(exact_limit=100))
    assert not out.exact and out.trios == 1
    assert sorted(m for g in out.groups for m in g) == list(range(1, 802))


def test_fewer_than_two_members_make_no_groups() -> None:
    assert match(people(1)).groups == ()


def community(n: int, seed: int = 1) -> list[Candidate]:
    """Varied profiles: sectors (some missing), levels, 1-3 of 12 topics, timezones."""
    rng = np.random.default_rng(seed)
    sectors = ("commissioner", "provider", "investor", "researcher")
    return [
        Candidate(
            member_id=m + 1,
            sector=sectors[int(rng.integers(4))] if rng.random() > 0.1 else None,
            level="new" if rng.random() < 0.4 else "experienced",
            topics=frozenset(
                f"t{int(t)}" for t in rng.choice(12, int(rng.integers(1, 4)), replace=False)
            ),
            utc_offset=float(rng.choice([-5.0, 0.0, 1.0, 5.5])),
        )
        for m in range(n)
    ]


def random_history(n: int, rounds: int, seed: int = 2) -> list[Past]:
    rng = np.random.default_rng(seed)
    past = []
    for ago in range(1, rounds + 1):
        order = rng.permutation(n) + 1
        past += [Past(int(order[x]), int(order[x + 1]), ago) for x in range(0, n - 1, 2)]
    return past


def test_sparse_candidates_find_every_members_best_partner_like_the_dense_search() -> None:
    for mode in MODES:
        g = Graph(community(500), random_history(500, 8), [(1, 2), (3, 4)], Params(mode=mode))
        i, j, w, best = sparse_candidates(g, 8)
        di, dj, _dw, dense_best = candidate_edges(g, 8)
        assert np.allclose(best, dense_best)
        assert np.all(np.isfinite(w)) and np.all(i < j)
        found, dense = set((i * g.n + j).tolist()), set((di * g.n + dj).tolist())
        assert len(found & dense) >= 0.97 * len(dense)  # the rest: ties in the noise


def test_large_rounds_keep_exclusions_and_the_cooldown_and_are_deterministic() -> None:
    members = community(1201)
    history = random_history(1201, 6)
    excluded = [(m, m + 1) for m in range(1, 1200, 3)]
    params = Params(seed=3, cooldown=4, exact_limit=100)
    out = match(members, history, excluded, params)
    assert not out.exact and out.trios == 1 and not out.repeats and not out.unplaced
    assert sorted(m for g in out.groups for m in g) == list(range(1, 1202))
    made = pairs_of(out.groups)
    assert not made & set(excluded)
    assert not made & {(min(p.a, p.b), max(p.a, p.b)) for p in history if p.ago <= 4}
    again = match(list(reversed(members)), list(reversed(history)), excluded, params)
    assert again.groups == out.groups
    assert match(members, history, excluded, Params(seed=4, cooldown=4, exact_limit=100)).groups
    assert 0 < out.weight <= out.stats["bound"]


def test_heuristic_rounds_made_one_after_another_never_repeat_inside_the_cooldown() -> None:
    members = community(240, seed=5)
    made: list[tuple[int, int, int]] = []
    for r in range(1, 9):
        past = [Past(a, b, r - k) for a, b, k in made]
        out = match(members, past, (), Params(seed=r, cooldown=4, exact_limit=50, k=6))
        assert not out.repeats and len(out.groups) == 120
        made += [(a, b, r) for a, b in pairs_of(out.groups)]


def test_heuristic_is_close_to_the_exact_optimum() -> None:
    members = community(400, seed=7)
    history = random_history(400, 4)
    exact = match(members, history, (), Params(exact_limit=1000))
    quick = match(members, history, (), Params(exact_limit=100))
    assert exact.exact and not quick.exact
    assert quick.weight >= 0.97 * exact.weight


def _partitions(ids: tuple[int, ...]) -> list[list[tuple[int, ...]]]:
    """Every way to seat an odd number of members in pairs and one trio."""

    def pairings(rest: tuple[int, ...]) -> list[list[tuple[int, ...]]]:
        if not rest:
            return [[]]
        first, others = rest[0], rest[1:]
        return [
            [(first, b), *tail]
            for b in others
            for tail in pairings(tuple(x for x in others if x != b))
        ]

    return [
        [trio, *tail]
        for trio in combinations(ids, 3)
        for tail in pairings(tuple(x for x in ids if x not in trio))
    ]


def _repeat_cost(
    groups: Sequence[tuple[int, ...]], last: dict[tuple[int, int], int], cooldown: int
) -> int:
    agos = [last[p] for p in pairs_of(tuple(groups)) if last.get(p, 99) <= cooldown]
    return sum(2 ** (cooldown - ago) for ago in agos)


def test_twelve_rounds_of_nine_with_the_default_cooldown_repeat_only_when_unavoidable() -> None:
    """Cooldown 6 with 9 members cannot hold for 12 rounds (36 pairs, 6 new ones a round):
    while a round without repeats exists the matcher finds one; after that it repeats
    only the oldest pairs it must (the least costly seating, checked by brute force)."""
    cooldown = DEFAULT_COOLDOWN
    members = people(9)
    seatings = _partitions(tuple(range(1, 10)))
    made: list[tuple[int, int, int]] = []
    repeated_rounds = 0
    for r in range(1, 13):
        last = {(a, b): r - k for a, b, k in made}  # the latest meeting wins

        out = match(members, [Past(a, b, r - k) for a, b, k in made], (), Params(seed=r))
        assert sorted(m for g in out.groups for m in g) == list(range(1, 10))
        best = min(_repeat_cost(s, last, cooldown) for s in seatings)
        assert _repeat_cost(out.groups, last, cooldown) == best, r
        if best == 0:
            assert not out.repeats, r
        else:
            repeated_rounds += 1
            assert out.repeats and all(p.ago > 1 for p in out.repeats)  # never last round's
        made += [(a, b, r) for a, b in pairs_of(out.groups)]
    assert 0 < repeated_rounds < 12  # the early rounds were clean, the later ones could not be
