"""Plural words in prompts: ``{count} {count:member|members}`` agrees with the count."""

from __future__ import annotations

import pytest

from adapters.console.render import ConsoleRenderer
from adapters.discord.render import RENDERER as DISCORD
from adapters.slack.render import FALLBACK, MRKDWN
from bot.prompts import PLAIN, PromptError, Renderer, catalogue, placeholders, pluralize
from bot.text import Msg

KEY = "test.plural_votes"
TEMPLATE = "**{title}**: {count} {count:vote|votes} from {voters} {voters:member|members}."

RENDERERS: list[Renderer] = [PLAIN, ConsoleRenderer(), MRKDWN, FALLBACK, DISCORD]


@pytest.fixture
def plural_prompt(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(catalogue(), KEY, TEMPLATE)
    return KEY


@pytest.mark.parametrize(
    ("count", "word"),
    [(0, "members"), (1, "member"), (2, "members"), (-1, "member"), (1.0, "member")],
)
def test_the_word_is_singular_only_for_a_count_of_one(count: float, word: str) -> None:
    assert pluralize("{n:member|members}", {"n": count}) == word


def test_a_count_given_as_text_is_read_as_a_number() -> None:
    assert pluralize("{n:vote|votes}", {"n": "1"}) == "vote"
    assert pluralize("{n:vote|votes}", {"n": "3"}) == "votes"
    assert pluralize("{n:vote|votes}", {"n": "<n>"}) == "votes"


def test_a_boolean_is_not_a_count_of_one() -> None:
    assert pluralize("{n:vote|votes}", {"n": True}) == "votes"


def test_words_may_contain_spaces_and_ordinary_fields_are_untouched() -> None:
    tmpl = "{count} {count:agenda item|agenda items} by {name}"
    assert pluralize(tmpl, {"count": 1, "name": "Ann"}) == "{count} agenda item by {name}"


def test_escaped_braces_are_never_a_plural_field() -> None:
    assert pluralize("{{n:a|b}}", {"n": 1}) == "{{n:a|b}}"


def test_the_plural_field_declares_the_count_as_its_placeholder() -> None:
    assert placeholders(TEMPLATE) == ["title", "count", "count", "voters", "voters"]


@pytest.mark.parametrize("renderer", RENDERERS, ids=lambda r: type(r).__name__)
def test_every_renderer_agrees_the_word_with_the_count(
    renderer: Renderer, plural_prompt: str
) -> None:
    one = renderer.render(Msg(plural_prompt, {"title": "Books", "count": 1, "voters": 1}))
    many = renderer.render(Msg(plural_prompt, {"title": "Books", "count": 3, "voters": 0}))
    assert "1 vote from 1 member." in one
    assert "3 votes from 0 members." in many
    assert "Books" in one and "|" not in one + many


def test_a_missing_count_is_still_reported_as_missing(plural_prompt: str) -> None:
    with pytest.raises(PromptError, match="voters"):
        PLAIN.render(Msg(plural_prompt, {"title": "Books", "count": 1}))


def test_user_text_that_looks_like_a_plural_field_stays_text(plural_prompt: str) -> None:
    rendered = PLAIN.render(Msg(plural_prompt, {"title": "{count:a|b}", "count": 1, "voters": 2}))
    assert rendered == "{count:a|b}: 1 vote from 2 members."


def test_shipped_prompts_say_one_vote_and_one_member() -> None:
    assert PLAIN.render(Msg("resources.rating", {"average": 4.0, "count": 1})) == "★ 4.0 (1 rating)"
    assert (
        PLAIN.render(Msg("resources.rating", {"average": 4.0, "count": 2})) == "★ 4.0 (2 ratings)"
    )
    for key, tmpl in catalogue().items():
        assert "(s)" not in tmpl, key
