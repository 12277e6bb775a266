"""The console chat, driven the way a newcomer uses it: a script piped into `copbot`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from adapters.console.session import ConsoleSession
from tests.conftest import START

ROOT = Path(__file__).resolve().parents[1]


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
    import os

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
