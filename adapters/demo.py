"""``copbot demo``: one community's month on the console with a simulated clock."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from adapters.console.session import ConsoleSession
from adapters.demo_parts import meetings, pairing, questions, resources

START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)

# Each feature appends its part of the story; lines are exactly what a user would type.
SCRIPT: list[str] = [
    "# A facilitator sets up the community and members introduce themselves",
    'alice: /cop setup name="North Knowledge Club" timezone=Europe/London',
    'bob: /cop profile sector=commissioner organisation="Leeds City Council" '
    'topics="outcome measurement, SPVs" level=experienced',
    'carol: /cop profile sector=provider topics="outcome measurement" level=new',
    "bob: /cop members",
    *meetings.LINES,
    *resources.LINES,
    *pairing.LINES,
    *questions.LINES,
]


async def run_demo(write: Callable[[str], None], script: list[str] | None = None) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        session = ConsoleSession(write, START, url)
        for line in script or SCRIPT:
            if line.startswith("#"):
                write("")
                write(line)
            else:
                write(f"> {line}")
            await session.feed(line)
        session.app.engine.dispose()
    return 0
