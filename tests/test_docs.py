"""The README and docs/ stay true: commands, settings, environment, links, benchmarks.

Each test reads the real source of truth (the command registry, the settings, the code that
reads the environment, ``copbot --help``, the Makefile, the Slack manifest) and checks the
documentation against it, so a change that forgets its docs fails here.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import discord
import pytest

from adapters.cli import parse_args
from adapters.discord.tree import plan_tree
from bot.features import load_registry
from bot.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PRIVACY = (ROOT / "docs" / "privacy.md").read_text(encoding="utf-8")

# Code whose environment variables an operator may set, and code that only tests read.
ENV_SOURCES = ("bot", "adapters", "storage")
ENV_SOURCES_FOR_TESTS = ("bench", "tests/conftest.py")

SPAN = re.compile(r"`([^`]+)`")
NAME_WORD = re.compile(r"^[a-z][a-z-]*$")


# ---------------------------------------------------------------- helpers


def section(title: str) -> str:
    """The text of the README's ``## title`` section, up to the next ``## ``."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def table_rows(text: str, header: tuple[str, ...]) -> Iterator[list[str]]:
    """The rows of every Markdown table in ``text`` whose first columns are ``header``."""
    in_table = False
    for line in text.splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        if tuple(cells[: len(header)]) == header:
            in_table = True
            continue
        if in_table and not set("".join(cells)) <= set("-: "):
            yield cells


def unquote(cell: str) -> str:
    return cell.strip().strip("`")


def command_names() -> set[str]:
    return {spec.name for spec in load_registry().specs()}


def discord_names() -> set[str]:
    return {" ".join(plan.path) for plan in plan_tree(load_registry()).commands}


def name_words(span: str) -> list[str]:
    """The leading words of a command as typed (``meeting rsvp ID yes`` -> meeting, rsvp)."""
    words = []
    for word in span.split():
        if not NAME_WORD.match(word):
            break
        words.append(word)
    return words


def longest_known(words: list[str], known: set[str]) -> str | None:
    for end in range(len(words), 0, -1):
        name = " ".join(words[:end])
        if name in known:
            return name
    return None


def documented_commands(text: str) -> set[str]:
    """Command names the text mentions as ``/cop <name> …``.

    Also understands the shorthand of the command tables, where a ``/cop`` command is
    followed by more actions of the same group: ```/cop facilitator add @name` / `remove
    @name` / `list``` documents ``facilitator add``, ``facilitator remove`` and
    ``facilitator list``; ```/cop ask status CODE` / `ask withdraw CODE``` both ``ask``
    commands.
    """
    known = command_names()
    found: set[str] = set()
    for line in text.splitlines():
        group: str | None = None
        previous_end = -1
        for match in SPAN.finditer(line):
            span = match.group(1)
            joined_to_previous = line[previous_end : match.start()] == " / "
            previous_end = match.end()
            if span.startswith("/cop "):
                name = longest_known(name_words(span[5:]), known)
                if name:
                    found.add(name)
                    group = name.split()[0]
                else:
                    group = None
            elif group and joined_to_previous:
                words = name_words(span)
                name = longest_known(words, known) or longest_known([group, *words], known)
                if name:
                    found.add(name)
            else:
                group = None
    return found


def env_reads(*sources: str) -> set[str]:
    """Environment variables read with ``os.environ.get``, ``os.environ[…]``, ``os.getenv``."""
    names: set[str] = set()
    for source in sources:
        path = ROOT / source
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                key: ast.expr | None = None
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    target = ast.unparse(node.func)
                    if target in ("os.environ.get", "os.getenv", "environ.get", "getenv"):
                        key = node.args[0] if node.args else None
                elif isinstance(node, ast.Subscript) and ast.unparse(node.value) in (
                    "os.environ",
                    "environ",
                ):
                    key = node.slice
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    names.add(key.value)
    return names


def help_text(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """What ``copbot [argv] --help`` prints."""
    with pytest.raises(SystemExit) as exited:
        parse_args([*argv, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def subcommands(capsys: pytest.CaptureFixture[str]) -> list[str]:
    text = help_text(capsys)
    return re.findall(r"^    ([a-z]+)\s{2,}", text, re.M)


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):", text, re.M))


# ---------------------------------------------------------------- commands


def test_every_registered_command_is_documented_in_the_readme() -> None:
    missing = command_names() - documented_commands(README)
    assert not missing, f"README documents no `/cop <name>` for: {sorted(missing)}"


def test_every_command_the_readme_shows_exists() -> None:
    """A renamed or removed command must leave the README too (Discord names count)."""
    known = command_names()
    spellings = known | discord_names()
    groups = {name.split()[0] for name in spellings}
    takes_words = {
        spec.name for spec in load_registry().specs() if any(a.positional for a in spec.arguments)
    }
    stale = []
    for match in re.finditer(r"`/cop ([^`]*)`", README):
        words = name_words(match.group(1))
        if not words:
            continue  # a placeholder such as `/cop <group> <action>`
        name = longest_known(words, spellings)
        leftover = words[len(name.split()) :] if name else words
        if name is None and words[0] not in groups:
            stale.append(match.group(0))
        elif name is None and leftover:
            stale.append(match.group(0))  # a group with an action it does not have
        elif name is not None and leftover and name not in takes_words:
            stale.append(match.group(0))
    assert not stale, f"README shows commands that do not exist: {stale}"


def test_shorthand_in_command_tables_is_understood() -> None:
    text = "| `/cop facilitator add @name` / `remove @name` / `list` | x |\n"
    text += "| `/cop ask status CODE` / `ask withdraw CODE` | x |\n"
    text += "| `/cop pairing live here` / `live next` | x |\n"
    assert documented_commands(text) == {
        "facilitator add",
        "facilitator remove",
        "facilitator list",
        "ask status",
        "ask withdraw",
        "pairing live here",
        "pairing live next",
    }


def test_readme_explains_the_discord_names_it_uses() -> None:
    discord_section = section("Connect to Discord")
    for example in ("/cop ask", "/cop ask-withdraw", "/cop pairing live-start"):
        assert f"`{example}`" in discord_section
    # The examples are what the tree really generates.
    assert {"ask", "ask-withdraw", "pairing live-start"} <= discord_names()


# ---------------------------------------------------------------- settings


def test_every_setting_is_in_a_readme_settings_table_with_its_real_default() -> None:
    rows = [row for row in table_rows(README, ("setting", "default"))]
    documented = {unquote(row[0]): unquote(row[1]) for row in rows}
    assert len(documented) == len(rows), "a setting is documented twice"
    assert set(documented) == set(SETTINGS), (
        f"undocumented: {sorted(set(SETTINGS) - set(documented))}; "
        f"not a setting: {sorted(set(documented) - set(SETTINGS))}"
    )
    wrong = {k: (v, SETTINGS[k].default) for k, v in documented.items() if v != SETTINGS[k].default}
    assert not wrong, f"README default differs from the code (README, code): {wrong}"


# ---------------------------------------------------------------- environment and CLI


def configuration_variables() -> set[str]:
    rows = table_rows(section("Configuration"), ("variable", "meaning"))
    return {unquote(row[0]) for row in rows}


def test_every_environment_variable_the_code_reads_is_in_the_configuration_table() -> None:
    read = env_reads(*ENV_SOURCES, *ENV_SOURCES_FOR_TESTS)
    assert read, "found no environment reads: has the scan broken?"
    missing = read - configuration_variables()
    assert not missing, f"README Configuration lacks: {sorted(missing)}"


def test_every_documented_environment_variable_is_read_somewhere() -> None:
    stale = configuration_variables() - env_reads(*ENV_SOURCES, *ENV_SOURCES_FOR_TESTS)
    assert not stale, f"README documents variables nothing reads: {sorted(stale)}"


def test_copbot_help_lists_every_environment_variable(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_text(capsys)
    missing = {v for v in env_reads(*ENV_SOURCES, *ENV_SOURCES_FOR_TESTS) if v not in text}
    assert not missing, f"`copbot --help` lacks: {sorted(missing)}"


def test_readme_documents_every_copbot_subcommand_and_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    names = subcommands(capsys)
    assert {"run", "console", "demo", "migrate"} <= set(names)
    for name in names:
        assert f"copbot {name}" in README, f"README never shows `copbot {name}`"
        options = set(re.findall(r"(--[a-z][a-z-]+)", help_text(capsys, name))) - {"--help"}
        for option in options:
            assert option in README, f"README never mentions `copbot {name} {option}`"


def test_every_make_target_the_readme_names_exists() -> None:
    targets = makefile_targets()
    named = set(re.findall(r"\bmake ([a-z][a-z-]*)", README))
    assert named <= targets, f"README names make targets the Makefile lacks: {named - targets}"


def test_quick_start_is_make_run_and_make_test() -> None:
    quick = section("Quick start")
    assert "make run" in quick and "make test" in quick
    assert {"run", "test"} <= makefile_targets()


def test_readme_shows_the_console_conventions() -> None:
    from adapters.console import session

    conventions = re.findall(r"``([^`]+)``", session.__doc__ or "")
    assert conventions
    for convention in conventions:
        assert convention in README, f"README does not show the console's `{convention}`"


# ---------------------------------------------------------------- links, platforms, benchmarks


def test_relative_links_in_the_docs_point_at_files_that_exist() -> None:
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
            if "://" in target:
                continue
            assert (path.parent / target).exists(), f"{path.name} links to missing {target}"


def test_readme_links_the_privacy_page() -> None:
    assert "(docs/privacy.md)" in README
    assert "(docs/privacy.md)" in section("Privacy")


def test_readme_names_exactly_the_slack_scopes_and_events_of_the_manifest() -> None:
    manifest = (ROOT / "adapters" / "slack" / "manifest.yml").read_text(encoding="utf-8")
    bot_scopes = re.search(r"^    bot:\n((?:      - .*\n)+)", manifest, re.M)
    events = re.search(r"^    bot_events:\n((?:      - .*\n)+)", manifest, re.M)
    assert bot_scopes and events
    scopes = re.findall(r"- ([a-z:._]+)", bot_scopes.group(1))
    slack = section("Connect to Slack")
    for name in [*scopes, *re.findall(r"- ([a-z:._]+)", events.group(1))]:
        assert f"`{name}`" in slack, f"README 'Connect to Slack' does not name `{name}`"
    asks = re.search(r"asks\s+for the scopes(.*?)nothing else", slack, re.S)
    assert asks, "README 'Connect to Slack' should say which scopes the app asks for"
    named = set(re.findall(r"`([a-z]+:?[a-z_]*)`", asks.group(1))) - {"message.im"}
    assert named == set(scopes), f"README scopes {sorted(named)} != manifest {sorted(scopes)}"


def test_discord_invite_permissions_are_exactly_the_ones_listed() -> None:
    permissions = discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        create_private_threads=True,
        embed_links=True,
        attach_files=True,
    )
    discord_section = section("Connect to Discord")
    assert f"permissions={permissions.value}" in discord_section
    for label in (
        "View Channels",
        "Send Messages",
        "Send Messages in Threads",
        "Create Private Threads",
        "Embed Links",
        "Attach Files",
    ):
        assert label in discord_section


def test_every_benchmark_script_is_in_the_benchmarks_section() -> None:
    bench = section("Benchmarks")
    assert "make bench" in bench
    for script in sorted((ROOT / "bench").glob("*.py")):
        assert f"bench/{script.name}" in bench, f"README Benchmarks lacks bench/{script.name}"


# ---------------------------------------------------------------- privacy page


def test_privacy_page_names_every_question_table() -> None:
    from storage import questions

    tables = {
        str(getattr(obj, "__tablename__", ""))
        for obj in vars(questions).values()
        if isinstance(obj, type) and obj.__module__ == questions.__name__
    } - {""}
    assert tables >= {"question", "question_key", "question_vote"}
    for table in tables:
        assert f"`{table}`" in PRIVACY, f"docs/privacy.md does not say what `{table}` holds"


def test_privacy_page_lists_every_sensitive_command() -> None:
    sensitive = {spec.name for spec in load_registry().specs() if spec.sensitive}
    assert sensitive
    for name in sensitive:
        assert f"`{name}`" in PRIVACY, f"docs/privacy.md does not list `{name}` as sensitive"


def test_privacy_page_defaults_match_the_settings() -> None:
    assert "default 7 days" in PRIVACY and SETTINGS["questions_key_rotation"].default == "7d"
    assert "(30 days)" in PRIVACY and SETTINGS["questions_block"].default == "30d"
    assert "default 09:00" in PRIVACY and SETTINGS["questions_release"].default == "09:00"
