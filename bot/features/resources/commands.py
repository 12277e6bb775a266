"""``/cop resource …``: suggest, vote, pick, rate, the library and its export."""

from __future__ import annotations

from bot.commands import Arg, Kind
from bot.context import Context
from bot.errors import CommandError, NotAllowed, UsageError
from bot.features.meetings.api import MeetingInfo, get_meeting, next_meeting
from bot.features.resources import flow
from bot.features.resources.logic import (
    ExportRow,
    clean_tags,
    export_csv,
    export_markdown,
    matches,
    merge_tags,
    paginate,
)
from bot.features.resources.records import OPEN, Ballot, RatingSummary, Resource, repo
from bot.features.resources.urls import BadUrl, clean_url, fallback_title, url_key
from bot.registry import command
from bot.replies import Attachment, Button, Card, Field, Reply
from bot.text import Lines, Msg
from bot.timefmt import format_moment, local

ID = Arg("id", Kind.INT, help="resources.arg_id", required=True, positional=True)


def _resource(ctx: Context, resource_id: int) -> Resource:
    found = repo(ctx.uow).get(ctx.c.id, resource_id)
    if found is None:
        raise CommandError("resources.unknown_id", field="id", id=resource_id)
    return found


def _one_line(text: str | None) -> str | None:
    return " ".join(text.split()) if text and text.strip() else None


# ---------------------------------------------------------------- suggest


@command(
    "resource suggest",
    help="resources.help_suggest",
    args=(
        Arg("url", Kind.TEXT, help="resources.arg_url", positional=True, max_length=2000),
        Arg("title", Kind.TEXT, help="resources.arg_title", max_length=200),
        Arg("why", Kind.TEXT, help="resources.arg_why", max_length=500, multiline=True),
        Arg("tags", Kind.LIST, help="resources.arg_tags", max_length=500),
    ),
    form=("url", "title", "why", "tags"),
    form_title="resources.form_title",
    form_intro="resources.form_intro",
)
async def suggest(ctx: Context) -> Reply:
    raw = ctx.args.get("url")
    if not raw:
        raise UsageError("resources.url_needed", field="url")
    try:
        url, key = clean_url(raw), url_key(raw)
    except BadUrl as err:
        raise UsageError(f"resources.bad_url_{err.reason}", field="url", value=raw) from None
    title = _one_line(ctx.args.get("title"))
    why = _one_line(ctx.args.get("why"))
    try:
        tags = clean_tags(ctx.args.get("tags", ()))
    except ValueError as err:
        raise UsageError(f"resources.bad_tags_{err}", field="tags") from None
    store = repo(ctx.uow)
    existing = store.by_key(ctx.c.id, key)
    if existing is not None:
        return _duplicate(ctx, existing, why, tags)
    r = store.add(
        ctx.c.id,
        url,
        key,
        title or fallback_title(url),
        title_given=title is not None,
        why=why,
        tags=tags,
        suggested_by=ctx.me.id,
        now=ctx.now(),
    )
    if title is None:
        # Looked up by the scheduler after this reply has gone (never delays it).
        ctx.uow.jobs.add(
            flow.JOB_TITLE, ctx.now(), {"resource_id": r.id}, ctx.c.id, key=f"resource:title:{r.id}"
        )
    opened = flow.open_waiting_ballot(ctx, r)
    if opened:
        status = Msg("resources.status_on_ballot")
    elif any(b.status == OPEN for b in store.live_ballots(ctx.c.id)):
        status = Msg("resources.status_next_time")
    else:
        status = Msg("resources.status_candidate")
    looked = Msg("common.empty") if title else Msg("resources.title_lookup_note")
    return ctx.reply(
        "resources.suggested", id=r.id, link=flow.link(r), status=status, lookup=looked
    )


def _duplicate(ctx: Context, existing: Resource, why: str | None, tags: tuple[str, ...]) -> Reply:
    store = repo(ctx.uow)
    known = {existing.why or ""} | {w.text for w in store.whys(existing.id)}
    added = Msg("common.empty")
    if why and why not in known:
        store.add_why(existing.id, ctx.me.id, why, ctx.now())
        added = Msg("resources.duplicate_why_added")
    if tags:
        merged = merge_tags(existing.tags, tags)
        if merged != existing.tags:
            store.set_tags(existing.id, merged)
    if existing.picked and existing.meeting_at is not None:
        where = Msg(
            "resources.duplicate_in_library",
            {"date": flow.when(ctx.c, existing.meeting_at, "date")},
        )
    else:
        where = Msg("resources.duplicate_candidate")
    return ctx.reply(
        "resources.duplicate", id=existing.id, link=flow.link(existing), where=where, added=added
    )


# ---------------------------------------------------------------- vote


def _open_ballots(ctx: Context) -> list[Ballot]:
    now = ctx.now()
    return [
        b for b in repo(ctx.uow).live_ballots(ctx.c.id) if b.status == OPEN and b.closes_at > now
    ]


def _titles(ctx: Context, ids: set[int]) -> Lines:
    found = [repo(ctx.uow).get(ctx.c.id, i) for i in sorted(ids)]
    return Lines(
        tuple(Msg("resources.mine_line", {"id": r.id, "title": r.title}) for r in found if r),
        empty=Msg("resources.mine_none"),
    )


def _closed_refusal(ctx: Context, resource_id: int | None) -> CommandError:
    last = repo(ctx.uow).last_closed_ballot(ctx.c.id)
    if last is not None and (resource_id is None or resource_id in last.candidates):
        return CommandError(
            "resources.vote_is_closed", closed=flow.when(ctx.c, last.closed_at or last.closes_at)
        )
    return CommandError("resources.no_open_vote")


@command(
    "resource vote",
    help="resources.help_vote",
    args=(Arg("id", Kind.INT, help="resources.arg_id", positional=True),),
)
async def vote(ctx: Context) -> Reply:
    store = repo(ctx.uow)
    ballots = _open_ballots(ctx)
    resource_id: int | None = ctx.args.get("id")
    if resource_id is None:
        if not ballots:
            raise _closed_refusal(ctx, None)
        first = ballots[0]
        meeting = get_meeting(ctx.uow, ctx.c.id, first.meeting_id)
        card = flow.ballot_card(ctx.c, first, meeting, flow.ballot_resources(ctx.uow, ctx.c, first))
        mine = store.member_votes(first.id, ctx.me.id)
        return ctx.reply("resources.ballot_private", card=card, mine=_titles(ctx, mine))
    r = _resource(ctx, resource_id)
    ballot = next((b for b in ballots if r.id in b.candidates), None)
    if ballot is None:
        if ballots:
            raise CommandError("resources.not_on_ballot", field="id", id=r.id)
        raise _closed_refusal(ctx, r.id)
    if r.picked and r.picked_meeting_id != ballot.meeting_id:
        raise CommandError("resources.already_picked", id=r.id)
    if not store.add_vote(ballot.id, r.id, ctx.me.id, ctx.now()):
        raise CommandError("resources.already_voted", id=r.id, title=r.title)
    mine = store.member_votes(ballot.id, ctx.me.id)
    card = Card(
        title=Msg("resources.voted_card", {"title": r.title}),
        buttons=(Button(Msg("resources.unvote_button"), f"resource unvote {r.id}"),),
    )
    return ctx.reply(
        "resources.voted",
        card=card,
        id=r.id,
        title=r.title,
        mine=_titles(ctx, mine),
        closes=flow.when(ctx.c, ballot.closes_at),
    )


@command("resource unvote", help="resources.help_unvote", args=(ID,))
async def unvote(ctx: Context) -> Reply:
    store = repo(ctx.uow)
    r = _resource(ctx, ctx.args["id"])
    ballots = _open_ballots(ctx)
    ballot = next((b for b in ballots if r.id in b.candidates), None)
    if ballot is None:
        if ballots:
            raise CommandError("resources.not_on_ballot", field="id", id=r.id)
        raise _closed_refusal(ctx, r.id)
    if not store.remove_vote(ballot.id, r.id, ctx.me.id):
        raise CommandError("resources.not_voted", id=r.id, title=r.title)
    mine = store.member_votes(ballot.id, ctx.me.id)
    return ctx.reply("resources.unvoted", id=r.id, title=r.title, mine=_titles(ctx, mine))


# ---------------------------------------------------------------- pick


def _target_meeting(ctx: Context) -> MeetingInfo:
    meeting_id: int | None = ctx.args.get("meeting")
    if meeting_id is None:
        m = next_meeting(ctx.uow, ctx.c.id, ctx.now())
        if m is None:
            raise CommandError("resources.no_meeting")
        return m
    found = get_meeting(ctx.uow, ctx.c.id, meeting_id)
    if found is None or found.status != "scheduled":
        raise CommandError("resources.unknown_meeting", field="meeting", id=meeting_id)
    if found.starts_at <= ctx.now():
        raise CommandError("resources.meeting_started", field="meeting", id=meeting_id)
    return found


def _may_pick(ctx: Context, m: MeetingInfo) -> None:
    if ctx.me.is_facilitator:
        return
    mode = flow.pick_mode(ctx.settings)
    if mode == "host":
        if m.host_member_id == ctx.me.id:
            return
        host = ctx.uow.members.by_id(m.host_member_id) if m.host_member_id else None
        if host is None:
            raise NotAllowed("resources.pick_host_only_nobody")
        raise NotAllowed("resources.pick_host_only", host=host.display_name)
    if mode == "vote":
        raise NotAllowed("resources.pick_vote_mode")
    raise NotAllowed("resources.pick_facilitators_only")


@command(
    "resource pick",
    help="resources.help_pick",
    args=(ID, Arg("meeting", Kind.INT, help="resources.arg_meeting")),
)
async def pick(ctx: Context) -> Reply:
    r = _resource(ctx, ctx.args["id"])
    m = _target_meeting(ctx)
    _may_pick(ctx, m)
    store = repo(ctx.uow)
    if r.picked and r.picked_meeting_id != m.id:
        raise CommandError("resources.already_picked", id=r.id)
    previous = store.picked_for(ctx.c.id, m.id)
    if previous is not None and previous.id == r.id:
        return ctx.reply("resources.pick_unchanged", id=r.id, meeting=flow.meeting_msg(ctx.c, m))
    mode = "facilitator" if ctx.me.is_facilitator and m.host_member_id != ctx.me.id else "host"
    if flow.pick_mode(ctx.settings) == "facilitator":
        mode = "facilitator"
    flow.pick(ctx, r, m, mode, cancel_jobs=True)
    replaced = (
        Msg("resources.pick_replaced", {"title": previous.title})
        if previous is not None
        else Msg("common.empty")
    )
    return ctx.reply(
        "resources.picked",
        id=r.id,
        title=r.title,
        meeting=flow.meeting_msg(ctx.c, m),
        replaced=replaced,
    )


@command("resource candidates", help="resources.help_candidates")
async def candidates(ctx: Context) -> Reply:
    items = flow.candidates(ctx.uow, ctx.c, ctx.now())
    lines = tuple(
        Msg(
            "resources.candidate_line",
            {"id": r.id, "link": flow.link(r), "why": flow.why_part(r), "tags": flow.tags_part(r)},
        )
        for r in items
    )
    return ctx.reply(
        "resources.candidates", lines=Lines(lines, empty=Msg("resources.no_candidates"))
    )


# ---------------------------------------------------------------- rate


@command(
    "resource rate",
    help="resources.help_rate",
    args=(ID, Arg("stars", Kind.INT, help="resources.arg_stars", required=True, positional=True)),
)
async def rate(ctx: Context) -> Reply:
    stars: int = ctx.args["stars"]
    if not 1 <= stars <= 5:
        raise UsageError("resources.bad_stars", field="stars", value=stars)
    r = _resource(ctx, ctx.args["id"])
    if not r.picked or r.meeting_at is None:
        raise CommandError("resources.rate_not_picked", id=r.id)
    if r.meeting_at > ctx.now():
        raise CommandError("resources.rate_too_early", id=r.id, date=flow.when(ctx.c, r.meeting_at))
    store = repo(ctx.uow)
    new = store.rate(r.id, ctx.me.id, stars, ctx.now())
    summary = store.ratings([r.id])[r.id]
    return ctx.reply(
        "resources.rated" if new else "resources.rerated",
        title=r.title,
        stars=stars,
        average=summary.average,
        count=summary.count,
    )


# ---------------------------------------------------------------- library


def _rating_msg(summary: RatingSummary | None) -> Msg:
    if summary is None:
        return Msg("resources.not_rated")
    return Msg("resources.rating", {"average": summary.average, "count": summary.count})


def _filtered(ctx: Context) -> list[Resource]:
    store = repo(ctx.uow)
    tag, q = ctx.args.get("tag"), ctx.args.get("q")
    found = []
    for r in store.library(ctx.c.id):
        whys = [w.text for w in store.whys(r.id)] if q else []
        if matches(r, tag, q, whys):
            found.append(r)
    return found


@command(
    "resource library",
    help="resources.help_library",
    args=(
        Arg("tag", Kind.TEXT, help="resources.arg_tag", max_length=40),
        Arg("q", Kind.TEXT, help="resources.arg_q", max_length=200),
        Arg("page", Kind.INT, help="resources.arg_page"),
    ),
)
async def library(ctx: Context) -> Reply:
    page = paginate(_filtered(ctx), ctx.args.get("page", 1))
    ratings = repo(ctx.uow).ratings([r.id for r in page.items])
    lines = []
    for r in page.items:
        rating = _rating_msg(ratings.get(r.id))
        lines.append(
            Msg(
                "resources.library_line",
                {
                    "id": r.id,
                    "link": flow.link(r),
                    "date": flow.when(ctx.c, r.meeting_at or r.created_at, "date"),
                    "rating": rating,
                    "tags": flow.tags_part(r),
                    "meeting_id": r.picked_meeting_id or 0,
                },
            )
        )
    filters = []
    if ctx.args.get("tag"):
        filters.append(Msg("resources.filter_tag", {"tag": ctx.args["tag"]}))
    if ctx.args.get("q"):
        filters.append(Msg("resources.filter_q", {"q": ctx.args["q"]}))
    return ctx.reply(
        "resources.library",
        name=ctx.c.name,
        total=page.total,
        page=page.page,
        pages=page.pages,
        filters=Lines(tuple(filters), sep=""),
        lines=Lines(tuple(lines), empty=Msg("resources.library_empty")),
    )


@command("resource show", help="resources.help_show", args=(ID,))
async def show(ctx: Context) -> Reply:
    store = repo(ctx.uow)
    r = _resource(ctx, ctx.args["id"])
    on_open_ballot = any(
        b.status == OPEN and r.id in b.candidates for b in store.live_ballots(ctx.c.id)
    )
    meeting = get_meeting(ctx.uow, ctx.c.id, r.picked_meeting_id) if r.picked_meeting_id else None
    fields: list[Field] = []
    if r.why:
        fields.append(Field(Msg("resources.field_why"), Msg.plain(r.why), inline=False))
    for w in store.whys(r.id):
        fields.append(Field(Msg("resources.field_also_why"), Msg.plain(w.text), inline=False))
    if r.tags:
        fields.append(Field(Msg("resources.field_tags"), Msg.plain(", ".join(r.tags))))
    hide_name = on_open_ballot or bool(meeting and meeting.chatham)
    name = None if hide_name else flow.suggester_name(ctx.uow, r)
    if name:
        fields.append(Field(Msg("resources.field_suggested_by"), Msg.plain(name)))
    fields.append(
        Field(
            Msg("resources.field_suggested_on"), Msg.plain(flow.when(ctx.c, r.created_at, "date"))
        )
    )
    if r.picked and r.meeting_at is not None:
        status = Msg(
            "resources.status_picked",
            {
                "date": flow.when(ctx.c, r.meeting_at, "date"),
                "meeting_id": r.picked_meeting_id or 0,
            },
        )
        rating = _rating_msg(store.ratings([r.id]).get(r.id))
        fields.append(Field(Msg("resources.field_rating"), rating))
    elif on_open_ballot:
        status = Msg("resources.status_on_open_ballot")
    else:
        status = Msg("resources.status_candidate_short")
    fields.append(Field(Msg("resources.field_status"), status, inline=False))
    last = store.last_closed_ballot(ctx.c.id)
    if last is not None and r.id in last.candidates and not on_open_ballot:
        votes = store.tally(last.id).get(r.id, 0)
        fields.append(Field(Msg("resources.field_votes"), Msg.plain(votes)))
    card = Card(title=Msg.plain(flow.label(r)), url=r.url, fields=tuple(fields))
    return ctx.reply("resources.shown", card=card, id=r.id)


@command("resource remove", help="resources.help_remove", args=(ID,))
async def remove(ctx: Context) -> Reply:
    store = repo(ctx.uow)
    r = _resource(ctx, ctx.args["id"])
    if r.suggested_by != ctx.me.id and not ctx.me.is_facilitator:
        raise NotAllowed("resources.remove_not_yours", id=r.id)
    if r.picked:
        raise CommandError("resources.remove_picked", id=r.id)
    live = [b for b in store.live_ballots(ctx.c.id) if r.id in b.candidates]
    for ballot in live:
        store.update_ballot(ballot.id, candidates=tuple(i for i in ballot.candidates if i != r.id))
    store.delete(r.id)
    for ballot in live:  # the channel's ballot loses the removed candidate's button
        flow.refresh_ballot_post(ctx, ballot.id)
    ctx.uow.jobs.cancel(f"resource:title:{r.id}", ctx.c.id)
    return ctx.reply("resources.removed", id=r.id, title=r.title)


@command("resource export", help="resources.help_export")
async def export(ctx: Context) -> Reply:
    store = repo(ctx.uow)
    items = store.library(ctx.c.id)
    ratings = store.ratings([r.id for r in items])
    rows = []
    for r in items:
        m = get_meeting(ctx.uow, ctx.c.id, r.picked_meeting_id) if r.picked_meeting_id else None
        at = r.meeting_at or r.created_at
        rows.append(
            ExportRow(
                resource=r,
                meeting_date=local(at, ctx.c.timezone).date().isoformat(),
                meeting_title=m.title if m else "",
                rating=ratings.get(r.id),
            )
        )
    generated = format_moment(flow.when(ctx.c, ctx.now(), "date"))
    markdown = export_markdown(ctx.c.name, rows, generated)
    table = export_csv(rows)
    slug = "resource-library"
    return Reply(
        Msg("resources.exported", {"count": len(rows)}),
        attachments=(
            Attachment(f"{slug}.md", markdown.encode("utf-8"), "text/markdown"),
            Attachment(f"{slug}.csv", table.encode("utf-8"), "text/csv"),
        ),
    )
