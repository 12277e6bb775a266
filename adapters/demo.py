"""``copbot demo``: one community's month on the console with a simulated clock."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from adapters.console.session import ConsoleSession
from adapters.demo_parts import meetings, pairing, questions, resources
from storage.meetings import MeetingRow

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


_MEETING_REF = re.compile(r"\{meeting:([^}]+)\}")


def resolve_meeting_refs(session: ConsoleSession, line: str) -> str:
    """Replace ``{meeting:Title}`` with the id of the first meeting so titled.

    Ids depend on how many occurrences earlier parts of the story created, so the demo's
    lines name meetings by title and show the id they resolved to.
    """

    def lookup(match: re.Match[str]) -> str:
        with Session(session.app.engine) as db:
            found = db.exec(
                select(MeetingRow.id)
                .where(MeetingRow.title == match.group(1))
                .order_by(col(MeetingRow.starts_at))
            ).first()
        return str(found) if found is not None else "0"

    return _MEETING_REF.sub(lookup, line)


async def run_demo(write: Callable[[str], None], script: list[str] | None = None) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        session = ConsoleSession(write, START, url)
        for raw in script or SCRIPT:
            line = resolve_meeting_refs(session, raw)
            if line.startswith("#"):
                write("")
                write(line)
            else:
                write(f"> {line}")
            await session.feed(line)
        session.app.engine.dispose()
    return 0
