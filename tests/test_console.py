"""The console chat, driven the way a newcomer uses it: a script piped into `copbot`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from adapters.console.session import ConsoleSession
from tests.conftest import START

ROOT = Path(__file__).resolve().parents[1]
CLI = (sys.executable, "-m", "adapters.cli")


def run_cli(args: list[str], script: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        input=script,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_piped_console_session_shows_setup_profile_and_directory(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SLACK_BOT_TOKEN", None)
    env.pop("DISCORD_TOKEN", None)
    script = (
        'alice: /cop setup name="North" timezone=Europe/London\n'
        'bob: /cop profile sector=commissioner topics="SPVs"\n'
        "bob: /cop members\n"
    )
    out = run_cli(["run"], script, tmp_path, env)
    assert "[#general] North is now a copbot community (timezone Europe/London)." in out
    assert "[only bob] Profile saved:" in out
    assert "[only bob] │ Sector: commissioner" in out
    assert "• bob · commissioner · topics: SPVs" in out
    assert (tmp_path / "copbot.db").exists()  # the default database, in the working directory


def test_console_file_script_with_db_and_start_options(tmp_path: Path) -> None:
    script_file = ROOT / "tests" / "scripts" / "foundation.txt"
    db = tmp_path / "club.db"
    out = run_cli(
        ["console", "--db", str(db), "--start", "2027-01-04T09:00:00+00:00"],
        script_file.read_text(),
        tmp_path,
    )
    assert "(console) now 2027-01-04T09:00+00:00" in out
    assert "(console) now 2027-01-07T09:00+00:00" in out
    assert "[only carol] Only facilitators can use /cop setup." in out
    assert "[DM dave] I only understand commands here" in out
    assert "[only dave] `nonsense` is not a valid `level`" not in out  # markup converted
    assert "[only dave] nonsense is not a valid level: choose one of new, experienced." in out
    assert "Usage: /cop profile" in out
    assert db.exists()


async def test_console_prefixes_channel_private_and_dm_output(tmp_path: Path) -> None:
    lines: list[str] = []
    session = ConsoleSession(lines.append, START, f"sqlite:///{tmp_path}/c.db")
    await session.feed('alice: /cop setup name="North" timezone=Europe/London')
    await session.feed("bob: /cop profile")
    await session.feed("bob (dm): hello there")
    await session.feed("just chatting")
    await session.feed("!bogus")
    assert lines[0].startswith("[#general] North is now")
    assert any(line.startswith("[only bob] Your profile") for line in lines)
    assert any(line.startswith("[DM bob]") for line in lines)
    assert any(line.startswith("(console) write `name: /cop") for line in lines)
    assert lines[-1] == "(console) unknown: try !advance 3d or !now"


def test_help_documents_every_subcommand_and_environment_variable() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "--help"], capture_output=True, text=True, cwd=ROOT
    )
    for word in (
        "run",
        "console",
        "demo",
        "DATABASE_URL",
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_API_URL",
        "DISCORD_TOKEN",
        "DISCORD_GUILD_IDS",
    ):
        assert word in result.stdout


async def test_advance_refuses_bad_zero_and_enormous_steps_and_keeps_going(
    tmp_path: Path,
) -> None:
    lines: list[str] = []
    session = ConsoleSession(lines.append, START, f"sqlite:///{tmp_path}/c.db")
    for bad in ("!advance", "!advance 3x", "!advance -1d", "!advance 0d", "!advance 53w"):
        await session.feed(bad)
    await session.feed("!advance 99999999999w")  # once overflowed timedelta: a traceback
    assert lines == ["(console) usage: !advance 3d (also 2h, 45m, 1w; up to 52w at a time)"] * 6
    await session.feed("!advance 45m")
    assert lines[-1] == "(console) now 2027-01-04T09:45+00:00"


def test_console_db_option_takes_a_path_relative_to_the_working_directory(
    tmp_path: Path,
) -> None:
    (tmp_path / "data").mkdir()
    out = run_cli(
        ["console", "--db", "data/club.db", "--start", "2027-01-04T09:00Z"],
        'alice: /cop setup name="North" timezone=UTC\n',
        tmp_path,
    )
    assert "[#general] North is now a copbot community" in out
    assert (tmp_path / "data" / "club.db").exists()
    again = run_cli(["console", "--db", "data/club.db"], "alice: /cop setup\n", tmp_path)
    assert "North" in again  # the same file, opened again


def test_console_refuses_a_bad_start_or_a_missing_folder_in_one_line(tmp_path: Path) -> None:
    for args, said in (
        (["--start", "tomorrow"], "argument --start: 'tomorrow' is not an ISO 8601 date-time"),
        (["--db", "nowhere/club.db"], "argument --db: no folder nowhere for nowhere/club.db"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "adapters.cli", "console", *args],
            input="",
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=120,
        )
        assert result.returncode == 2 and said in result.stderr
        assert "Traceback" not in result.stderr
    assert not list(tmp_path.iterdir())


def test_console_at_a_terminal_prompts_and_recalls_history(tmp_path: Path) -> None:
    """Standard input a terminal: a prompt, readline line editing, arrow-up history."""
    import pty
    import select

    main_fd, term_fd = pty.openpty()
    proc = subprocess.Popen(
        [*CLI, "console", "--db", "t.db", "--start", "2027-01-04T09:00Z"],
        stdin=term_fd,
        stdout=term_fd,
        stderr=term_fd,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TERM": "dumb"},
    )
    os.close(term_fd)
    seen = b""

    def read_until(marker: bytes) -> None:
        """Read until ``marker`` and the prompt after it (input is read from the prompt on)."""
        nonlocal seen
        while marker not in seen or b"> " not in seen.split(marker, 1)[1]:
            ready, _, _ = select.select([main_fd], [], [], 60)
            assert ready, f"no {marker!r} in {seen!r}"
            seen += os.read(main_fd, 4096)

    try:
        read_until(b"Ctrl-D quits.")
        os.write(main_fd, b"!advance 1d\r")
        read_until(b"now 2027-01-05T09:00")
        os.write(main_fd, b"\x1b[A\r")  # arrow up: the same line again
        read_until(b"now 2027-01-06T09:00")
        os.write(main_fd, b"\x04")  # Ctrl-D at an empty prompt ends the session
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main_fd)
    assert b"copbot console." in seen


def test_make_run_prints_only_the_bot_and_reinstalls_after_pyproject_changes(
    tmp_path: Path,
) -> None:
    """`make run` lines are silent (piped output stays clean); a newer pyproject reinstalls."""
    for name in ("Makefile", "pyproject.toml"):
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    (tmp_path / ".venv").mkdir()
    stamp = tmp_path / ".venv" / ".installed"
    stamp.touch()
    os.utime(tmp_path / "pyproject.toml", (1_000_000, 1_000_000))

    def dry_run() -> str:
        # Run as a user would, not as a sub-make of `make test` (which would add
        # "Entering directory" lines and inherit the outer make's flags).
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
        return subprocess.run(
            ["make", "-n", "run"], cwd=tmp_path, capture_output=True, text=True, check=True, env=env
        ).stdout

    assert dry_run() == ".venv/bin/copbot run\n"
    os.utime(stamp, (500_000, 500_000))  # pyproject.toml changed since the install
    assert "pip install --quiet -e '.[dev]'" in dry_run()
    recipe = (ROOT / "Makefile").read_text().split("\nrun:")[1].split("\n\n")[0]
    assert all(line.startswith("\t@") for line in recipe.splitlines()[1:])
