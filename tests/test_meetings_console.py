"""Meetings on the console: a piped script, checked line by line as a newcomer sees it."""

from __future__ import annotations

from adapters.console.session import ConsoleSession
from adapters.demo import run_demo
from adapters.demo_parts import meetings as demo_meetings
from tests.conftest import START

SCRIPT = [
    'alice: /cop setup name="North" timezone=Europe/London',
    "bob: /cop host volunteer",
    'alice: /cop meeting schedule when="12 Jan 2pm" title="Knowledge club" every=month '
    'where="https://meet.example.org/north"',
    "bob: /cop host confirm 1",
    "bob: /cop meeting rsvp 1 yes",
    "carol: /cop meeting rsvp 1 maybe",
    "dave: /cop meeting rsvp 1 no",
    'carol: /cop meeting agenda 1 add "Rate cards"',
    "!advance 8d",
    "!advance 8h",
    'bob: /cop meeting notes 1 "We agreed a template"',
    "alice: /cop meeting ics 1",
]


async def run(script: list[str], tmp_path: object) -> list[str]:
    out: list[str] = []
    session = ConsoleSession(out.append, START, f"sqlite:///{tmp_path}/console.db")
    try:
        for line in script:
            await session.feed(line)
    finally:
        session.app.engine.dispose()
    return out


async def test_a_month_of_meetings_on_the_console(tmp_path: object) -> None:
    out = await run(SCRIPT, tmp_path)
    text = "\n".join(out)
    assert (
        "[#general] New meeting: Knowledge club on Tue 12 Jan 2027, 14:00 GMT. Will you come?"
        in out
    )
    assert "[#general] │ [Yes, I'll come]  → /cop meeting rsvp 1 yes" in out
    assert "[DM bob] You're next to host Knowledge club on Tue 12 Jan 2027, 14:00 GMT." in text
    reminders = [line for line in out if line.startswith("[#general] Reminder: Knowledge club")]
    assert len(reminders) == 2  # 7 days and 1 day before
    assert "[DM bob] Reminder: Knowledge club" in text and "[DM carol] Reminder:" in text
    assert "[DM dave] Reminder:" not in text
    assert (
        '[DM bob] Please write the notes of #1 Knowledge club: /cop meeting notes 1 "summary".'
        in (text)
    )
    assert "[#general] │ We agreed a template" in out
    for absent in ("carol", "dave"):
        assert f"[DM {absent}] You couldn't make Knowledge club" in text
    assert "[DM bob] You couldn't make" not in text
    assert "[only alice]     RRULE:FREQ=MONTHLY" in out
    assert "[only alice]     TZID:Europe/London" in out


async def test_a_bad_date_on_the_console_is_refused_with_an_example(tmp_path: object) -> None:
    out = await run(
        [
            'alice: /cop setup name="North" timezone=Europe/London',
            'alice: /cop meeting schedule when="the day after never" title=X',
        ],
        tmp_path,
    )
    assert out[-2].startswith("[only alice] I could not read the day after never")
    assert "next Tuesday 14:00" in out[-2]
    assert out[-1].startswith("[only alice] Usage: /cop meeting schedule when=when title=text")


async def test_the_demo_walks_through_a_meeting_month_with_no_input() -> None:
    out: list[str] = []
    await run_demo(out.append)
    text = "\n".join(out)
    assert demo_meetings.LINES[0] in out
    assert "[#general] Reminder: Knowledge club" in text
    assert "[DM dave] You couldn't make Knowledge club" in text
    assert "went wrong" not in text
