"""The pairing part of `copbot demo`: console lines, exactly as a user would type them.

Members opt in, a facilitator previews and schedules fortnightly rounds, the clock moves so
a round posts its group introductions (`[DM …, …]`) and a counts-only channel summary.
"""

LINES: list[str] = [
    "# Rapid pairing: members opt in, a facilitator schedules rounds, groups are introduced",
    "bob: /cop pairing join",
    "carol: /cop pairing join",
    "dave: /cop pairing join",
    "alice: /cop pairing join",
    "alice: /cop pairing schedule every=2w day=monday time=09:00 mode=mix",
    "alice: /cop pairing preview",
    "!advance 7d",
    "bob: /cop pairing status",
]
