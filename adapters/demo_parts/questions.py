"""The questions part of `copbot demo`: console lines, exactly as a user would type them."""

LINES: list[str] = [
    "# Anonymous questions: asked privately, released in a batch, upvoted, put on the agenda",
    'bob: /cop ask "How do other councils set outcome prices without a baseline?" '
    'topic="outcome pricing"',
    "carol (dm): Is it normal to feel out of my depth at these meetings?",
    "# (a button press sends a draft; here dave types his instead)",
    'dave: /cop ask "Is it normal to feel out of my depth at these meetings?"',
    "carol: /cop questions",
    "!advance 1d",
    "dave: /cop questions upvote Q1",
    "bob: /cop questions upvote Q2",
    "carol: /cop questions upvote Q2",
    "alice: /cop questions",
    'alice: /cop meeting schedule when="in 2 weeks 18:00" title="Questions café"',
    "# the top questions by votes fill the meeting's agenda slot",
    "alice: /cop meeting agenda {meeting:Questions café}",
]
