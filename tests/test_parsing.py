from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (every table, for the snapshot)
from bot.commands import Kind, parse_duration, tokenize
from bot.core import Outcome
from bot.errors import CommandError, UsageError
from bot.features import load_registry
from bot.replies import Reply
from storage.db import make_engine
from tests.conftest import START
from tests.fakes import Harness, text_of

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


@pytest.mark.parametrize("text", ["99999999999w", "999999999999999999999m", "-1d", "3x", ""])
def test_durations_too_large_or_malformed_are_value_errors(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_durations_read_every_unit() -> None:
    assert [parse_duration(t).total_seconds() for t in ("45m", "2 h", "3days", "1w")] == [
        2700,
        7200,
        259200,
        604800,
    ]


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


# ---------------------------------------------------------------- the whole dispatcher

# Per kind: values that pass, values just outside what passes, and hostile text.
VALUES: dict[Kind, tuple[str, ...]] = {
    Kind.TEXT: ("hello", "*bold* _it_", "<!channel> @here", "<script>", "x" * 300, " "),
    Kind.INT: ("1", "2", "#1", "Q1", "0", "-1", "99999999999", "one"),
    Kind.CHOICE: ("bogus",),
    Kind.BOOL: ("yes", "no", "maybe"),
    Kind.DURATION: ("30m", "2h", "3d", "0m", "99999999999w", "soon"),
    Kind.DATE: ("2027-01-10", "2027-02-30", "2020-01-01", "9999-12-31", "tomorrow"),
    Kind.TIME: ("14:00", "2pm", "25:00", "noon"),
    Kind.WHEN: ("next Tuesday 14:00", "tomorrow 10:00", "2027-01-12T14:00", "yesterday 9am",
                "9999-12-31 23:59", "next blursday"),
    Kind.MEMBER: ("@bob", "@alice", "@nobody", "<@U9|mallory>", "<@!42>", "@"),
    Kind.MEMBERS: ("@bob @alice", "@nobody", "<@U9|mallory>"),
    Kind.URL: ("https://example.org/x", "http://10.0.0.1/", "ftp://x", "javascript:alert(1)"),
    Kind.TIMEZONE: ("Europe/London", "utc", "Mars/Olympus"),
    Kind.LIST: ("a, b", ",", "x" * 300),
}  # fmt: skip


@st.composite
def typed_commands(draw: st.DrawFn) -> str:
    """A registered command with some of its arguments (typed, awkward or random) and noise."""
    spec = draw(st.sampled_from(REG.specs()))
    parts = [spec.name]
    for arg in spec.arguments:
        if not draw(st.booleans()):
            continue
        pool = VALUES[arg.kind] + arg.choices
        value = draw(st.one_of(st.sampled_from(pool), st.text(max_size=12)))
        quoted = '"' + value.replace('"', "") + '"'
        parts.append(quoted if arg.positional and draw(st.booleans()) else f"{arg.name}={quoted}")
    if draw(st.integers(0, 4)) == 0:
        parts.insert(draw(st.integers(1, len(parts))), draw(st.text(max_size=10)))
    return " ".join(parts)


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table.name: sorted(map(tuple, conn.execute(select(table))), key=repr)
            for table in SQLModel.metadata.sorted_tables
        }


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    user=st.sampled_from(["alice", "bob", "carol"]),
    line=st.one_of(typed_commands(), st.text(max_size=60)),
    via=st.sampled_from(["typed", "button"]),
    is_dm=st.booleans(),
)
def test_no_input_makes_the_core_raise_or_half_write(
    dispatcher: tuple[Harness, asyncio.AbstractEventLoop],
    user: str,
    line: str,
    via: str,
    is_dm: bool,
) -> None:
    """Core.handle always answers with a reply; a refusal leaves the data and chat as they were."""
    _check_invocation(dispatcher, user, line, via=via, is_dm=is_dm)


@st.composite
def structured_commands(draw: st.DrawFn) -> dict[str, Any]:
    """What a form or Discord's options send: a command name and raw strings by argument."""
    spec = draw(st.sampled_from(REG.specs()))
    raw = {
        arg.name: draw(st.one_of(st.sampled_from(VALUES[arg.kind] + arg.choices), st.text()))
        for arg in spec.arguments
        if draw(st.booleans())
    }
    if draw(st.integers(0, 5)) == 0:
        raw[draw(st.text(min_size=1, max_size=8))] = draw(st.text(max_size=8))
    return {"command": spec.name, "raw": raw, "supports_forms": draw(st.booleans())}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(user=st.sampled_from(["alice", "bob", "carol"]), structured=structured_commands())
def test_no_form_or_option_values_make_the_core_raise_or_half_write(
    dispatcher: tuple[Harness, asyncio.AbstractEventLoop], user: str, structured: dict[str, Any]
) -> None:
    _check_invocation(dispatcher, user, "", **structured)


def _check_invocation(
    dispatcher: tuple[Harness, asyncio.AbstractEventLoop], user: str, line: str, **kw: Any
) -> None:
    bot, loop = dispatcher
    before, sent = _snapshot(bot.engine), len(bot.chat.sent)
    outcome = loop.run_until_complete(bot.run(user, line, **kw))
    assert isinstance(outcome, Outcome) and isinstance(outcome.reply, Reply)
    text = text_of(outcome.reply)
    assert outcome.reply.text is None or outcome.reply.text.key != "common.internal_error"
    if not outcome.ok:
        assert outcome.reply.private and text
        assert _snapshot(bot.engine) == before
        assert len(bot.chat.sent) == sent


PRIMING = (  # something for ids 1 and 2 to refer to
    ("bob", "/cop profile sector=provider level=new"),
    ("alice", '/cop meeting schedule when="next Tuesday 14:00" title="Kick-off" every=month'),
    ("bob", '/cop resource suggest url=https://example.org/guide title="Guide"'),
    ("bob", "/cop pairing join"),
    ("alice", "/cop pairing join"),
    ("bob", '/cop ask "How do SPVs work?"'),
    ("alice", "/cop host volunteer"),
)


@pytest.fixture(scope="module")
def dispatcher(
    tmp_path_factory: pytest.TempPathFactory,
) -> Any:
    """One community (alice facilitates, bob has a profile) shared by every fuzz example."""
    path: Path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    engine = make_engine(f"sqlite:///{path}")
    bot = Harness(engine, START)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(bot.setup())
    for user, line in PRIMING:
        loop.run_until_complete(bot.say(user, line))
    yield bot, loop
    loop.close()
    engine.dispose()
