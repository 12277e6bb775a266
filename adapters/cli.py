"""The ``copbot`` command line: run on a platform, chat on the console, or watch the demo."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

ENVIRONMENT = """\
environment variables:
  DATABASE_URL          database (default sqlite:///copbot.db in the working directory;
                        postgresql+psycopg://user@host/db for PostgreSQL)
  SLACK_BOT_TOKEN       Slack bot token (xoxb-…); selects Slack for `copbot run`
  SLACK_APP_TOKEN       Slack app-level token (xapp-…); turns on Socket Mode
  SLACK_SIGNING_SECRET  Slack signing secret; verifies requests in HTTP mode
  SLACK_API_URL         Slack Web API base URL (default https://slack.com/api/)
  DISCORD_TOKEN         Discord bot token; selects Discord for `copbot run`
  DISCORD_GUILD_IDS     comma-separated guild ids to sync commands to (instant);
                        unset syncs globally
  COPBOT_TICK_SECONDS   how often the scheduler looks for due work (default 15)
  COPBOT_LOG_LEVEL      DEBUG, INFO (default), WARNING or ERROR
  COPBOT_TITLE_LOOKUP   off stops looking up the titles of suggested resources
  COPBOT_ALLOW_PRIVATE_URLS  tests only: 1 lets title look-ups reach loopback
  COPBOT_TEST_DATABASE_URL  tests only: also run storage tests on this PostgreSQL
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="copbot",
        description="copbot: a chat bot for communities of practice (meetings, resource of "
        "the month, rapid pairing, anonymous questions) on Slack, Discord or the console.",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run the bot: Slack if SLACK_BOT_TOKEN is set, Discord if DISCORD_TOKEN is set, "
        "else the console chat",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--platform", choices=("slack", "discord", "console"), default=None)
    run.add_argument("--port", type=int, default=3000, help="Slack HTTP mode port (default 3000)")
    run.add_argument(
        "--db", type=db_arg, help="SQLite file or database URL (overrides DATABASE_URL)"
    )

    console = sub.add_parser(
        "console", help="chat with the bot on standard input (no platform account needed)"
    )
    console.add_argument(
        "--db", type=db_arg, help="SQLite file or database URL (overrides DATABASE_URL)"
    )
    console.add_argument(
        "--start",
        type=start_arg,
        help="simulated start time, ISO 8601 (default: now); e.g. 2027-01-04T09:00Z",
    )

    sub.add_parser("demo", help="watch one community's month on the console, in seconds")
    migrate = sub.add_parser("migrate", help="apply database migrations and exit")
    migrate.add_argument(
        "--db", type=db_arg, help="SQLite file or database URL (overrides DATABASE_URL)"
    )
    return parser.parse_args(argv)


def db_url(value: str | None) -> str | None:
    """A database URL as given, or an SQLite file path (relative to here, ``~`` expanded)."""
    if value is None:
        return None
    return value if "://" in value else f"sqlite:///{Path(value).expanduser()}"


def db_arg(value: str) -> str:
    """``--db``: refuse a file in a folder that does not exist (SQLite cannot create it)."""
    if "://" not in value and not Path(value).expanduser().parent.is_dir():
        raise argparse.ArgumentTypeError(f"no folder {Path(value).parent} for {value}")
    return value


def start_arg(value: str) -> datetime:
    try:
        return parse_start(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO 8601 date-time, e.g. 2027-01-04T09:00Z"
        ) from None


def parse_start(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC).replace(second=0, microsecond=0)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def choose_platform(explicit: str | None) -> str:
    if explicit:
        return explicit
    if os.environ.get("SLACK_BOT_TOKEN"):
        return "slack"
    if os.environ.get("DISCORD_TOKEN"):
        return "discord"
    return "console"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from adapters.runtime import configure_logging

    if args.command in (None,):
        parse_args(["--help"])
        return 0
    if args.command == "migrate":
        from storage.db import make_engine, migrate

        migrate(make_engine(db_url(args.db)))
        return 0
    if args.command == "demo":
        from adapters.demo import run_demo

        return asyncio.run(run_demo(print))
    if args.command == "console":
        return run_console(db_url(args.db), args.start or parse_start(None))
    platform = choose_platform(args.platform)
    if platform == "console":
        print(
            "copbot: no SLACK_BOT_TOKEN or DISCORD_TOKEN set, so this is the console chat "
            "(see README 'Connect to Slack' / 'Connect to Discord'). Type `alice: /cop help`.",
            file=sys.stderr,
        )
        return run_console(db_url(args.db), parse_start(None))
    configure_logging()
    if platform == "slack":
        from adapters.slack.app import run_slack

        return asyncio.run(run_slack(port=args.port, database_url=db_url(args.db)))
    from adapters.discord.bot import run_discord

    return asyncio.run(run_discord(database_url=db_url(args.db)))


def run_console(database_url: str | None, start: datetime) -> int:
    from adapters.console.repl import run_repl

    return asyncio.run(run_repl(database_url, start))


if __name__ == "__main__":
    raise SystemExit(main())
