"""Reading the console chat from a pipe or a terminal (with a prompt and history)."""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import datetime

from adapters.console.session import ConsoleSession


def _write(line: str) -> None:
    print(line, flush=True)


async def run_repl(database_url: str | None, start: datetime) -> int:
    # Keep the console readable: library chatter (Alembic, APScheduler) stays quiet.
    logging.basicConfig(level=logging.WARNING)
    session = ConsoleSession(_write, start, database_url)
    interactive = sys.stdin.isatty()
    if interactive:
        try:
            import readline  # noqa: F401  (history and line editing for input())
        except ImportError:
            pass
        _write("copbot console. Type `alice: /cop help`, `!advance 1d`, `!now`; Ctrl-D quits.")
    loop = asyncio.get_running_loop()
    while True:
        try:
            if interactive:
                line = await loop.run_in_executor(None, input, "> ")
            else:
                line = await loop.run_in_executor(None, sys.stdin.readline)
                if not line:
                    break
        except (EOFError, KeyboardInterrupt):
            break
        await session.feed(line)
    return 0
