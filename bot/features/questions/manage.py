"""Released questions: list, upvote, answer, hide, block, moderation, agenda and notes.

Under the Chatham House Rule nothing here names anyone: answers are posted without the
answerer's name, lists show numbers, words and vote counts only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.commands import Arg, Kind, Role
from bot.context import Context
from bot.errors import CommandError, NotAllowed
from bot.features.questions.privacy import current_key, token
from bot.features.questions.records import (
    ANSWERED,
    APPROVED,
    HIDDEN,
    OPEN,
    REJECTED,
    REVIEW,
    Question,
    post_key,
    repo,
)
from bot.features.questions.release import question_post
from bot.ports import Community, Member, UnitOfWork
from bot.registry import agenda_slot, command, forget, on
from bot.replies import Card, Reply, Visibility
from bot.scheduler import JobContext
from bot.text import Lines, Moment, Msg

AGENDA_SIZE = 3
LISTS = {"open": (OPEN,), "answered": (ANSWERED,), "all": (OPEN, ANSWERED)}
_REF_RE = re.compile(r"(?:^|[\s,;])[#Qq]?(\d{1,6})(?=$|[\s,;.])")
_NOTES_RE = re.compile(r"\b(?:answered|discussed)\s*:?\s*((?:[#Qq]\d{1,6}[\s,;and]*)+)", re.I)

_NUMBER = Arg("number", Kind.INT, help="questions.arg_number", required=True, positional=True)


def _released(ctx: Context, number: int) -> Question:
    q = repo(ctx.uow).by_number(ctx.c.id, number)
    if q is None or q.status not in (OPEN, ANSWERED):
        raise CommandError("questions.no_such_question", number=number)
    return q


def _line(q: Question) -> Msg:
    key = "questions.list_line_answered" if q.status == ANSWERED else "questions.list_line"
    return Msg(key, {"number": q.number or 0, "votes": q.votes, "text": q.text})


def _is_host(uow: UnitOfWork, community: Community, member: Member, now: datetime) -> bool:
    """Whether the member hosts a meeting that has not ended (or ended in the last day)."""
    try:
        from bot.features.meetings.api import upcoming_meetings

        meetings = upcoming_meetings(uow, community.id, now - timedelta(days=1), limit=5)
    except Exception:  # the meetings feature may be absent: facilitators only then
        return False
    return any(m.host_member_id == member.id for m in meetings)


def _require_facilitator_or_host(ctx: Context) -> None:
    if not (ctx.me.is_facilitator or _is_host(ctx.uow, ctx.c, ctx.me, ctx.now())):
        raise NotAllowed("questions.facilitator_or_host", command=ctx.spec.name)


@command(
    "questions",
    help="questions.help_questions",
    args=(
        Arg(
            "which",
            Kind.CHOICE,
            help="questions.arg_which",
            positional=True,
            choices=tuple(LISTS),
        ),
    ),
)
async def list_questions(ctx: Context) -> Reply:
    which = str(ctx.args.get("which", "open"))
    found = repo(ctx.uow).top(ctx.c.id, LISTS[which], limit=50)
    lines = Lines(tuple(_line(q) for q in found), empty=Msg("questions.list_empty"))
    return ctx.reply(f"questions.list_{which}", lines=lines, count=len(found))


@command(
    "questions upvote",
    help="questions.help_upvote",
    sensitive=True,  # who pressed +1 is exactly what must not be logged
    args=(_NUMBER,),
)
async def upvote(ctx: Context) -> Reply:
    q = _released(ctx, int(ctx.args["number"]))
    if q.status != OPEN:
        raise CommandError("questions.upvote_answered", number=q.number or 0)
    key = current_key(ctx.uow, ctx.c.id, ctx.now())
    if not repo(ctx.uow).add_vote(q.id, key.epoch, token(key, ctx.actor.user_id)):
        raise CommandError("questions.already_upvoted", number=q.number or 0)
    now_votes = q.votes + 1
    number = q.number or 0
    # The channel post's "+1 (n)" button shows the new count (edited after commit).
    ctx.edit_post(post_key(ctx.c.id, number), question_post(replace(q, votes=now_votes), number))
    return ctx.reply("questions.upvoted", number=number, votes=now_votes)


@command(
    "questions answer",
    help="questions.help_answer",
    args=(
        _NUMBER,
        Arg(
            "answer",
            Kind.TEXT,
            help="questions.arg_answer",
            required=True,
            positional=True,
            rest=True,
            max_length=2000,
            multiline=True,
        ),
    ),
)
async def answer(ctx: Context) -> Reply:
    _require_facilitator_or_host(ctx)
    q = _released(ctx, int(ctx.args["number"]))
    text = str(ctx.args["answer"])
    repo(ctx.uow).set_status(q.id, ANSWERED, answer=text)
    card = Card(
        title=Msg("questions.answer_title", {"number": q.number or 0}),
        body=Msg.plain(text),
        footer=Msg("questions.answer_footer", {"question": q.text}),
    )
    # Chatham House: the answer carries no name.
    ctx.post(Reply(Msg("questions.answer_post", {"number": q.number or 0}), card=card))
    return ctx.reply("questions.answered_ok", number=q.number or 0)


@command(
    "questions discussed",
    help="questions.help_discussed",
    args=(
        Arg(
            "numbers",
            Kind.TEXT,
            help="questions.arg_numbers",
            required=True,
            positional=True,
            rest=True,
        ),
    ),
)
async def mark_answered(ctx: Context) -> Reply:
    _require_facilitator_or_host(ctx)
    numbers = [int(n) for n in _REF_RE.findall(" " + str(ctx.args["numbers"]))]
    if not numbers:
        raise CommandError("questions.no_numbers")
    marked = _mark(ctx.uow, ctx.c, numbers)
    if not marked:
        raise CommandError("questions.none_marked")
    return ctx.reply("questions.marked", numbers=", ".join(f"Q{n}" for n in marked))


def _mark(uow: UnitOfWork, community: Community, numbers: list[int]) -> list[int]:
    marked: list[int] = []
    for n in numbers:
        q = repo(uow).by_number(community.id, n)
        if q is not None and q.status == OPEN:
            repo(uow).set_status(q.id, ANSWERED)
            marked.append(n)
    return marked


@command(
    "questions hide",
    help="questions.help_hide",
    role=Role.FACILITATOR,
    args=(_NUMBER,),
)
async def hide(ctx: Context) -> Reply:
    number = int(ctx.args["number"])
    q = _released(ctx, number)
    repo(ctx.uow).erase(q.id, HIDDEN)
    ctx.delete_post(post_key(ctx.c.id, number))  # the question's own post leaves the channel
    ctx.post(Reply(Msg("questions.hidden_post", {"number": number}), visibility=Visibility.CHANNEL))
    return ctx.reply("questions.hidden", number=number)


def _block(ctx: Context, q: Question, label: Msg) -> Msg:
    """Block the unknown author of ``q`` while its token is from the current key."""
    now = ctx.now()
    key = current_key(ctx.uow, ctx.c.id, now)
    found = repo(ctx.uow).blockable(q.id)
    if found is None or found[0] != key.epoch:
        return Msg("questions.block_too_late", {"question": label})
    length: timedelta = ctx.settings.get("questions_block")
    until = min(now + length, key.rotates_at)
    repo(ctx.uow).block(ctx.c.id, key.epoch, found[1], until)
    tz = ctx.c.timezone
    if until < now + length:
        return Msg(
            "questions.blocked_until_rotation",
            {"question": label, "until": Moment(until, tz)},
        )
    return Msg("questions.blocked_ok", {"question": label, "until": Moment(until, tz)})


@command(
    "questions block",
    help="questions.help_block",
    role=Role.FACILITATOR,
    args=(_NUMBER,),
)
async def block(ctx: Context) -> Reply:
    number = int(ctx.args["number"])
    q = repo(ctx.uow).by_number(ctx.c.id, number)
    if q is None:
        raise CommandError("questions.no_such_question", number=number)
    return Reply(_block(ctx, q, Msg("questions.label_number", {"number": number})))


@command(
    "questions review",
    help="questions.help_review",
    role=Role.FACILITATOR,
)
async def review(ctx: Context) -> Reply:
    found = repo(ctx.uow).with_status(ctx.c.id, (REVIEW,))
    lines = Lines(
        tuple(
            Msg("questions.review_line", {"review": q.review_no or 0, "text": q.text})
            for q in sorted(found, key=lambda q: q.review_no or 0)
        ),
        empty=Msg("questions.review_empty"),
    )
    return ctx.reply("questions.review_list", lines=lines)


_REVIEW_NO = Arg("review", Kind.INT, help="questions.arg_review", required=True, positional=True)


def _in_review(ctx: Context) -> Question:
    review_no = int(ctx.args["review"])
    q = repo(ctx.uow).by_review(ctx.c.id, review_no)
    if q is None:
        raise CommandError("questions.no_such_review", review=review_no)
    return q


@command(
    "questions approve",
    help="questions.help_approve",
    role=Role.FACILITATOR,
    args=(_REVIEW_NO,),
)
async def approve(ctx: Context) -> Reply:
    q = _in_review(ctx)
    repo(ctx.uow).set_status(q.id, APPROVED)
    return ctx.reply("questions.approved", review=q.review_no or 0)


@command(
    "questions reject",
    help="questions.help_reject",
    role=Role.FACILITATOR,
    args=(
        _REVIEW_NO,
        Arg("reason", Kind.TEXT, help="questions.arg_reason", max_length=500),
        Arg("block", Kind.BOOL, help="questions.arg_block"),
    ),
)
async def reject(ctx: Context) -> Reply:
    q = _in_review(ctx)
    review_no = q.review_no or 0
    label = Msg("questions.label_review", {"review": review_no})
    blocked = _block(ctx, q, label) if ctx.args.get("block") else Msg("common.empty")
    reason = str(ctx.args.get("reason") or "")
    repo(ctx.uow).erase(q.id, REJECTED)
    repo(ctx.uow).set_status(q.id, REJECTED, reason=reason)
    return ctx.reply("questions.rejected", review=review_no, blocked=blocked)


@forget
def _forget_tokens(uow: UnitOfWork, member: Member) -> list[Msg]:
    """Forget-me deletes nothing here: no question, vote or block names anyone.

    The keyed tokens stay until the key rotates (for everyone at once). Deleting only this
    member's would make exactly their questions impossible to block (so a facilitator
    could tell which questions were theirs) and would reset their daily limit, block and
    upvotes (leave, come back, vote again)."""
    key = repo(uow).key(member.community_id)
    if key is None:
        return []  # questions never used here: there is nothing to say
    community = uow.communities.by_id(member.community_id)
    tz = community.timezone if community else "UTC"
    return [Msg("questions.forgot", {"until": Moment(key.rotates_at, tz)})]


# ---------------------------------------------------------------- meetings


@agenda_slot("questions")
def agenda(uow: UnitOfWork, community: Community, meeting_id: int) -> list[Msg]:
    """The top open questions by votes, for the next meeting's agenda."""
    return [
        Msg(
            "questions.agenda_line",
            {"number": q.number or 0, "votes": q.votes, "text": q.text},
        )
        for q in repo(uow).top(community.id, (OPEN,), AGENDA_SIZE)
    ]


def _notes_text(uow: UnitOfWork, payload: Mapping[str, Any]) -> str:
    for name in ("notes", "text"):
        if isinstance(payload.get(name), str):
            return str(payload[name])
    try:
        from bot.features.meetings.records import repo as meetings_repo

        meeting = meetings_repo(uow).get(int(payload["meeting_id"]))
    except Exception:  # meetings absent or changed: the typed path still works
        return ""
    return str(getattr(meeting, "notes", None) or "")


@on("meeting.notes")
async def notes_mark_answered(scope: Context | JobContext, payload: Mapping[str, Any]) -> None:
    """Notes that say "discussed: Q7, Q9" (or "answered Q7") mark those answered."""
    community = scope.community
    if community is None:
        return
    numbers: list[int] = []
    for refs in _NOTES_RE.findall(_notes_text(scope.uow, payload)):
        numbers += [int(n) for n in re.findall(r"\d+", refs)]
    marked = _mark(scope.uow, community, numbers)
    if marked:
        scope.outbox.post(
            community.place,
            Reply(
                Msg("questions.marked_from_notes", {"numbers": ", ".join(f"Q{n}" for n in marked)}),
                visibility=Visibility.CHANNEL,
            ),
        )
