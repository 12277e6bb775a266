"""The resources part of `copbot demo`: console lines, exactly as a user would type them.

A resource is suggested (a duplicate address is recognised, a `javascript:` one refused),
voted for when the ballot opens two weeks before the meeting, announced when the vote
closes, shown in the agenda, rated after the notes, and lands in the library. Titles are
given, so the demo never looks anything up on the web.
"""

MEETING = "{meeting:Resource café}"  # resolved by adapters/demo.py

LINES: list[str] = [
    "# Resource of the month: members suggest, the group votes, the meeting discusses it",
    'alice: /cop meeting schedule when="in 3 weeks 18:00" title="Resource café"',
    "bob: /cop resource suggest url=https://example.org/guides/rate-cards?utm_source=newsletter "
    'title="Rate cards explained" why="Clear on payment rules for outcomes contracts" '
    'tags="payment rules, SIB"',
    "carol: /cop resource suggest url=https://EXAMPLE.org/guides/rate-cards/ "
    'why="We are writing our first rate card"',
    "dave: /cop resource suggest url=https://example.org/evaluation-primer "
    'title="Evaluating outcomes: a primer" tags=evaluation',
    "dave: /cop resource suggest url=javascript:alert(1)",
    "# A week later the ballot opens in the channel (two weeks before the meeting)",
    "!advance 8d",
    "bob: /cop resource vote 1",
    "carol: /cop resource vote 2",
    "carol: /cop resource vote 1",
    "carol: /cop resource vote 1",
    "carol: /cop resource unvote 2",
    "dave: /cop resource vote",
    "# The vote closes three days before the meeting: counts, then the pick is announced",
    "!advance 11d",
    f"alice: /cop meeting agenda {MEETING}",
    "# After the meeting: notes, then everyone rates the resource",
    "!advance 3d",
    f'alice: /cop meeting notes {MEETING} "We compared our rate cards and agreed a template"',
    "bob: /cop resource rate 1 4",
    "carol: /cop resource rate 1 5",
    "carol: /cop resource library",
    "alice: /cop resource export",
]
