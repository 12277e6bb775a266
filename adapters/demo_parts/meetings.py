"""The meetings part of `copbot demo`: console lines, exactly as a user would type them.

A monthly series is scheduled from an English phrase, members answer (the lines stand in
for the announcement's RSVP buttons), the host rota picks bob, who confirms, the clock
moves so the 7-day and 1-day reminders fire (in the channel, and by DM to those coming),
and after the meeting the host's notes reach everyone who could not come.
"""

FIRST_MEETING = "{meeting:Knowledge club}"  # resolved by adapters/demo.py

LINES: list[str] = [
    "# Meetings: a monthly rhythm with RSVPs, reminders, a host rota and notes for absentees",
    "bob: /cop host volunteer",
    "carol: /cop host volunteer",
    'alice: /cop meeting schedule when="12 Jan 2pm" title="Knowledge club" every=month '
    'duration=90m where="https://meet.example.org/north"',
    "# (each line below is what pressing a button on the announcement does)",
    f"bob: /cop host confirm {FIRST_MEETING}",
    f"bob: /cop meeting rsvp {FIRST_MEETING} yes",
    f"carol: /cop meeting rsvp {FIRST_MEETING} maybe",
    f"dave: /cop meeting rsvp {FIRST_MEETING} no",
    f'carol: /cop meeting agenda {FIRST_MEETING} add "Sharing our outcome rate cards"',
    "# Time passes: the 7-day reminder, then the 1-day reminder",
    "!advance 5d",
    "!advance 3d",
    f"dave: /cop meeting agenda {FIRST_MEETING}",
    "# The meeting ends; bob is asked for notes and sends them",
    "!advance 8h",
    f'bob: /cop meeting notes {FIRST_MEETING} "We compared rate cards and agreed to share '
    'a template by February."',
    "# The notes stay with the meeting for anyone who looks later",
    f"dave: /cop meeting show {FIRST_MEETING}",
    "alice: /cop meeting list",
]
