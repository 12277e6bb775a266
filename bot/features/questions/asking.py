"""Asking, withdrawing and checking a question; direct-message drafts.

The author's identity never reaches storage: ``submit`` takes the platform user id only to
compute a keyed token (see privacy.py) and forgets it. Every reply here is private, and
these commands are ``sensitive``, so the core never logs who ran them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.commands import Arg, Kind, Role
from bot.context import Actor, Context
from bot.core import Core
from bot.errors import CommandError, UsageError
from bot.features.questions.drafts import drafts_for
from bot.features.questions.privacy import code_hash, current_key, new_code, token
from bot.features.questions.records import (
    ANSWERED,
    APPROVED,
    HIDDEN,
    OPEN,
    REJECTED,
    REVIEW,
    WAITING,
    WITHDRAWN,
    Question,
    post_key,
    repo,
)
from bot.features.questions.timing import next_slot, release_times, slot_at_or_after
from bot.ports import Community, UnitOfWork
from bot.registry import REGISTRY, command
from bot.replies import Button, Card, Place, Reply
from bot.settings import Settings
from bot.text import Moment, Msg

MAX_LENGTH = 1000
TOPIC_LENGTH = 100
RELEASE_JOB = "questions-release"


def release_job_key(community_id: int) -> str:
    return f"questions:release:{community_id}:"


def ensure_release_job(uow: UnitOfWork, community: Community, now: datetime) -> None:
    """The community's release job runs at every release time once questions are in use."""
    if uow.jobs.pending(release_job_key(community.id), community.id):
        return
    times = release_times(Settings(uow.communities.settings(community.id)))
    uow.jobs.add(
        RELEASE_JOB,
        next_slot(now, times, community.timezone),
        community_id=community.id,
        key=release_job_key(community.id),
    )


@dataclass(frozen=True)
class Receipt:
    code: str
    next_release: datetime
    release_by: datetime
    moderated: bool


def release_day(now: datetime, times: tuple[time, ...], tz: str) -> tuple[str, datetime]:
    """The daily limit's day, and when it ends.

    A day runs from one day's last release time to the next day's and is labelled with
    the date of the release time a question asked now would first reach, so the label
    stored beside a keyed token says no more about when someone asked than the batch does.
    """
    zone = ZoneInfo(tz)
    label = next_slot(now, times, tz).astimezone(zone).date()
    ends = datetime.combine(label, times[-1], tzinfo=zone).astimezone(UTC)
    return label.isoformat(), ends


def check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise UsageError("questions.empty", field="question", limit=MAX_LENGTH, about="")
    if len(text) > MAX_LENGTH:
        raise UsageError("common.too_long", field="question", arg="question", limit=MAX_LENGTH)
    return text


def submit(
    uow: UnitOfWork,
    community: Community,
    user_id: str,
    text: str,
    topic: str | None,
    now: datetime,
) -> Receipt:
    """Queue a question. ``user_id`` only feeds the keyed token; it is never stored."""
    text = check_text(text)
    settings = Settings(uow.communities.settings(community.id))
    questions = repo(uow)
    key = current_key(uow, community.id, now)
    tok = token(key, user_id)
    until = questions.blocked_until(community.id, tok, now)
    if until is not None:
        raise CommandError("questions.blocked", until=Moment(until, community.timezone))
    times = release_times(settings)
    day, resets = release_day(now, times, community.timezone)
    limit: int = settings.get("questions_per_day")
    if questions.asked_today(community.id, tok, day) >= limit:
        raise CommandError(
            "questions.rate_limited", limit=limit, reset=Moment(resets, community.timezone)
        )
    questions.count_ask(community.id, key.epoch, tok, day)
    max_wait: timedelta = settings.get("questions_max_wait")
    release_by = slot_at_or_after(now + max_wait, times, community.timezone)
    code = new_code()
    question = questions.add(community.id, text, topic, code_hash(code), release_by)
    questions.set_blockable(question.id, key.epoch, tok)
    ensure_release_job(uow, community, now)
    return Receipt(
        code=code,
        next_release=next_slot(now, times, community.timezone),
        release_by=release_by,
        moderated=settings.raw("questions_moderation") == "on",
    )


def receipt_reply(community: Community, receipt: Receipt) -> Reply:
    tz = community.timezone
    return Reply(
        Msg(
            "questions.receipt",
            {
                "community": community.name,
                "next": Moment(receipt.next_release, tz),
                "latest": Moment(receipt.release_by, tz),
                "review": Msg("questions.receipt_review" if receipt.moderated else "common.empty"),
                "code": receipt.code,
            },
        )
    )


# ---------------------------------------------------------------- commands


@command(
    "ask",
    help="questions.help_ask",
    role=Role.ANYONE,
    sensitive=True,
    args=(
        Arg(
            "question",
            Kind.TEXT,
            help="questions.arg_question",
            positional=True,
            rest=True,
            max_length=MAX_LENGTH,
            multiline=True,
        ),
        Arg("topic", Kind.TEXT, help="questions.arg_topic", max_length=TOPIC_LENGTH),
    ),
    form=("question", "topic"),
    form_title="questions.form_title",
    form_intro="questions.form_intro",
)
async def ask(ctx: Context) -> Reply:
    text = ctx.args.get("question")
    if ctx.community is None:
        if text:
            # Typed in a direct message: treat it like a draft, one button per community.
            return await draft_preview(ctx.core, ctx.place, ctx.actor, str(text))
        return ctx.reply("questions.ask_where")
    if text is None:
        # Typed with no words (forms open before this, in the core): say what is stored.
        raise UsageError(
            "questions.empty", field="question", limit=MAX_LENGTH, about=Msg("questions.form_intro")
        )
    topic = ctx.args.get("topic")
    receipt = submit(ctx.uow, ctx.c, ctx.actor.user_id, str(text), topic, ctx.now())
    return receipt_reply(ctx.c, receipt)


@command(
    "ask send",
    help="questions.help_ask_send",
    role=Role.ANYONE,
    sensitive=True,
    args=(Arg("draft", Kind.TEXT, help="questions.arg_draft", required=True, positional=True),),
)
async def ask_send(ctx: Context) -> Reply:
    tok = str(ctx.args["draft"])
    drafts = drafts_for(ctx.core)
    draft = drafts.take(tok, ctx.now())
    if draft is None:
        raise CommandError("questions.draft_expired")
    community = ctx.uow.communities.by_id(draft.community_id)
    if community is None or ctx.uow.members.get(community.id, ctx.actor.user_id) is None:
        raise CommandError("questions.draft_not_member")
    try:
        receipt = submit(ctx.uow, community, ctx.actor.user_id, draft.text, None, ctx.now())
    except CommandError:
        drafts.put_back(tok, draft)
        raise
    return receipt_reply(community, receipt)


def _by_code(ctx: Context) -> Question:
    found = repo(ctx.uow).by_code(code_hash(str(ctx.args["code"])))
    if found is None:
        raise CommandError("questions.no_such_code")
    return found


@command(
    "ask withdraw",
    help="questions.help_ask_withdraw",
    role=Role.ANYONE,
    sensitive=True,
    args=(Arg("code", Kind.TEXT, help="questions.arg_code", required=True, positional=True),),
)
async def ask_withdraw(ctx: Context) -> Reply:
    question = _by_code(ctx)
    if question.status in (WITHDRAWN, HIDDEN):
        return ctx.reply("questions.already_gone")
    repo(ctx.uow).erase(question.id, WITHDRAWN)
    if question.number is not None and question.status in (OPEN, ANSWERED):
        community = ctx.uow.communities.by_id(question.community_id)
        if community is not None:  # the code may be used anywhere: remove the post there
            ctx.outbox.delete(community.place, post_key(community.id, question.number))
        return ctx.reply("questions.withdrawn_released", number=question.number)
    return ctx.reply("questions.withdrawn")


@command(
    "ask status",
    help="questions.help_ask_status",
    role=Role.ANYONE,
    sensitive=True,
    args=(Arg("code", Kind.TEXT, help="questions.arg_code", required=True, positional=True),),
)
async def ask_status(ctx: Context) -> Reply:
    q = _by_code(ctx)
    community = ctx.uow.communities.by_id(q.community_id)
    tz = community.timezone if community else "UTC"
    if q.status in (WAITING, APPROVED):
        assert community is not None
        times = release_times(Settings(ctx.uow.communities.settings(q.community_id)))
        latest = q.release_by or ctx.now()
        return ctx.reply(
            "questions.status_waiting" if q.status == WAITING else "questions.status_approved",
            next=Moment(next_slot(ctx.now(), times, tz), tz),
            latest=Moment(max(latest, ctx.now()), tz),
        )
    if q.status == REVIEW:
        return ctx.reply("questions.status_review")
    if q.status == REJECTED:
        reason = q.reason or Msg("questions.no_reason")
        return ctx.reply("questions.status_rejected", reason=reason)
    if q.status == OPEN:
        return ctx.reply("questions.status_open", number=q.number or 0, votes=q.votes)
    if q.status == ANSWERED:
        return ctx.reply("questions.status_answered", number=q.number or 0)
    if q.status == HIDDEN:
        return ctx.reply("questions.status_hidden")
    return ctx.reply("questions.status_withdrawn")


# ---------------------------------------------------------------- direct-message drafts


async def draft_preview(core: Core, place: Place, actor: Actor, text: str) -> Reply:
    """A direct message that is not a command: offer to send it to each of the writer's
    communities. Held in memory for 10 minutes; nothing is written or logged."""
    text = check_text(text)
    now = core.clock.now()
    with core.uow_factory() as uow:
        communities = [c for c, _m in uow.members.memberships(place.platform, actor.user_id)]
    if not communities:
        return Reply(Msg("common.dm_not_command"))  # not in any community: nothing to draft
    buttons = tuple(
        Button(
            Msg("questions.draft_send_button", {"name": c.name}),
            f"ask send {drafts_for(core).hold(text, c.id, now)}",
            style="primary",
        )
        for c in communities
    )
    card = Card(
        title=Msg("questions.draft_title"),
        body=Msg.plain(text),
        buttons=buttons,
        footer=Msg("questions.draft_footer"),
    )
    return Reply(Msg("questions.draft_preview"), card=card)


REGISTRY.dm_text_handler = draft_preview
