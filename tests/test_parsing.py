from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands import Kind, tokenize
from bot.errors import CommandError, UsageError
from bot.features import load_registry

REG = load_registry()


def test_quoted_values_and_key_values_are_split_like_a_shell() -> None:
    toks = tokenize('profile organisation="Leeds City Council" topics=“a, b” level=new')
    assert [(t.key, t.text) for t in toks] == [
        (None, "profile"),
        ("organisation", "Leeds City Council"),
        ("topics", "a, b"),
        ("level", "new"),
    ]


def test_longest_command_path_wins_and_values_are_typed() -> None:
    parsed = REG.parse('profile sector=Provider topics="outcome measurement, procurement"')
    assert parsed.spec.name == "profile"
    assert parsed.values == {
        "sector": "provider",
        "topics": ("outcome measurement", "procurement"),
    }


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("nonsense here", "common.unknown_command"),
        ('profile organisation="unclosed', "common.unclosed_quote"),
        ("profile sector=pirate", "common.bad_choice"),
        ("profile colour=blue", "common.unknown_arg"),
        ("profile level=new level=new", "common.repeated_arg"),
        ("profile timezone=Mars/Olympus", "common.bad_value"),
        ("facilitator add", "common.missing_arg"),
    ],
)
def test_bad_input_is_a_usage_error_naming_the_problem(line: str, key: str) -> None:
    with pytest.raises(UsageError) as caught:
        REG.parse(line)
    assert caught.value.msg.key == key


def test_empty_line_is_help() -> None:
    assert REG.parse("   ").spec.name == "help"


def test_every_registered_argument_kind_has_a_description() -> None:
    from bot.prompts import template

    for kind in Kind:
        assert template(f"common.arg_{kind.value}")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_parser_never_raises_anything_but_a_command_error(line: str) -> None:
    try:
        REG.parse(line)
    except CommandError:
        pass


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["profile", "setup", "help", "=", '"', "“", "a=b", "sector=", "x y", "@a"]),
        max_size=8,
    )
)
def test_parser_survives_adversarial_token_soup(parts: list[str]) -> None:
    try:
        REG.parse(" ".join(parts))
    except CommandError:
        pass
