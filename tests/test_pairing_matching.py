"""The pure matcher: determinism, cooldown, trios, exclusions, modes, large communities."""

from __future__ import annotations

from itertools import combinations

from bot.features.pairing.matching import Candidate, Params, Past, match


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
