"""``/cop meeting …``: schedule, list, show, move, cancel, rsvp, agenda, notes, attended, ics."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.commands import Arg, Kind, Role
from bot.context import Context
from bot.errors import CommandError, NotAllowed, UsageError
from bot.features.meetings import service as svc
from bot.features.meetings.ics import calendar_for
from bot.features.meetings.records import CANCELLED, RSVP_ANSWERS, Meeting
from bot.features.meetings.recurrence import RecurrenceError, first_local, rule_for
from bot.features.meetings.settings import LONGEST, MEETING_DURATION, SHORTEST
from bot.features.meetings.when import WhenError, parse_when
from bot.ports import Member
from bot.registry import command
from bot.replies import Attachment, Card, Field, Reply
from bot.text import Lines, Msg, Value

ID = Arg("id", Kind.INT, help="meetings.arg_id", required=True, positional=True)


def read_when(ctx: Context, text: str) -> datetime:
    """The instant a phrase means in the community's timezone; refuses past or unclear ones."""
    try:
        at = parse_when(text, ctx.c.timezone, ctx.now())
    except (WhenError, ValueError, OverflowError):
        raise UsageError("meetings.when_unknown", field="when", value=text) from None
    if at <= ctx.now():
        raise UsageError("meetings.when_past", field="when", value=text, when=svc.moment(ctx, at))
    return at


def _is_host_or_facilitator(ctx: Context, meeting: Meeting) -> bool:
    return ctx.me.is_facilitator or meeting.host_member_id == ctx.me.id


# ---------------------------------------------------------------- schedule


@command(
    "meeting schedule",
    help="meetings.help_schedule",
    role=Role.FACILITATOR,
    args=(
        Arg("when", Kind.WHEN, required=True, max_length=100),
        Arg("title", Kind.TEXT, help="meetings.arg_title", required=True, max_length=200),
        Arg("every", Kind.TEXT, help="meetings.arg_every", max_length=100),
        Arg("duration", Kind.DURATION),
        Arg("where", Kind.TEXT, help="meetings.arg_where", max_length=500),
        Arg("host", Kind.MEMBER, help="meetings.arg_host"),
        Arg("chatham", Kind.BOOL, help="meetings.arg_chatham"),
    ),
    form=("when", "title", "every", "duration", "where"),
    form_title="meetings.form_title",
    form_intro="meetings.form_intro",
)
async def schedule(ctx: Context) -> Reply:
    at = read_when(ctx, ctx.args["when"])
    duration: timedelta | None = ctx.args.get("duration")
    if duration is None:
        duration = ctx.settings.get(MEETING_DURATION.key)
    if not SHORTEST <= duration <= LONGEST:
        raise UsageError("meetings.bad_duration", field="duration")
    title: str = ctx.args["title"]
    where: str | None = ctx.args.get("where")
    chatham = bool(ctx.args.get("chatham", False))
    host: Member | None = ctx.args.get("host")
    repository = svc.meetings(ctx)
    every: str | None = ctx.args.get("every")
    if every:
        try:
            rule = rule_for(every)
            local = first_local(rule, svc.local_date(ctx, at).replace(tzinfo=None))
        except RecurrenceError:
            raise UsageError("meetings.every_unknown", field="every", value=every) from None
        series = repository.add_series(
            ctx.c.id,
            title,
            local,
            ctx.c.timezone,
            rule,
            every.strip(),
            int(duration.total_seconds() // 60),
            where,
            chatham,
            ctx.now(),
        )
        created = svc.materialise(ctx, series)
        if not created:
            raise UsageError("meetings.every_unknown", field="every", value=every)
        svc.schedule_extend(ctx, series)
        first = created[0]
        if host is not None:
            repository.update(first.id, host_member_id=host.id)
            first = svc.load(ctx, first.id)
        for meeting in created:
            await ctx.core.emit("meeting.scheduled", ctx, meeting_id=meeting.id)
        reply_key = "meetings.scheduled_series"
    else:
        first = repository.add(
            ctx.c.id,
            title,
            at,
            at + duration,
            where,
            chatham,
            ctx.now(),
            host_member_id=host.id if host else None,
        )
        svc.schedule_jobs(ctx, first)
        await ctx.core.emit("meeting.scheduled", ctx, meeting_id=first.id)
        reply_key = "meetings.scheduled"
    if host is not None:
        repository.mark_assigned(host.id, ctx.now())  # a turn on the rota, if they are on it
    # Tracked: RSVPs, moves, host changes and cancellation update this card in place.
    ctx.post(svc.announcement(ctx, first), track=svc.announcement_key(first.id))
    return ctx.reply(
        reply_key,
        id=first.id,
        title=first.title,
        when=svc.moment(ctx, first.starts_at),
        every=every or "",
    )


# ---------------------------------------------------------------- list and show


@command("meeting list", help="meetings.help_list")
async def list_meetings(ctx: Context) -> Reply:
    found = svc.meetings(ctx).upcoming(ctx.c.id, ctx.now(), 10)
    lines = tuple(
        Msg(
            "meetings.list_line",
            {
                "id": m.id,
                "title": m.title,
                "when": svc.moment(ctx, m.starts_at),
                "counts": svc.rsvp_summary(ctx, m, names=False),
                "repeats": Msg("meetings.list_repeats") if m.series_id else Msg("common.empty"),
            },
        )
        for m in found
    )
    return ctx.reply("meetings.list", lines=Lines(lines, empty=Msg("meetings.list_empty")))


@command("meeting show", help="meetings.help_show", args=(ID,))
async def show(ctx: Context) -> Reply:
    meeting = svc.load(ctx, ctx.args["id"])
    card = svc.meeting_card(ctx, meeting, agenda=True, notes=True)
    return ctx.reply("meetings.shown", card=card)


# ---------------------------------------------------------------- move and cancel


@command(
    "meeting move",
    help="meetings.help_move",
    role=Role.FACILITATOR,
    args=(ID, Arg("when", Kind.WHEN, required=True, max_length=100)),
)
async def move(ctx: Context) -> Reply:
    meeting = svc.load_scheduled(ctx, ctx.args["id"])
    if meeting.starts_at <= ctx.now():
        raise CommandError("meetings.already_started", id=meeting.id, title=meeting.title)
    at = read_when(ctx, ctx.args["when"])
    old = meeting.starts_at
    svc.meetings(ctx).update(
        meeting.id, starts_at=at, ends_at=at + (meeting.ends_at - meeting.starts_at)
    )
    meeting = svc.load(ctx, meeting.id)
    svc.schedule_jobs(ctx, meeting)
    data: dict[str, Value] = {
        "id": meeting.id,
        "title": meeting.title,
        "old": svc.moment(ctx, old),
        "when": svc.moment(ctx, at),
    }
    ctx.post(svc.channel("meetings.moved_post", svc.meeting_card(ctx, meeting), **data))
    svc.refresh_announcement(ctx, meeting.id)
    svc.notify_rsvped(ctx, meeting, Reply(Msg("meetings.moved_dm", data)))
    await ctx.core.emit("meeting.moved", ctx, meeting_id=meeting.id)
    return Reply(Msg("meetings.moved", data))


@command(
    "meeting cancel",
    help="meetings.help_cancel",
    role=Role.FACILITATOR,
    args=(
        ID,
        Arg("series", Kind.BOOL, help="meetings.arg_series"),
    ),
)
async def cancel(ctx: Context) -> Reply:
    whole = bool(ctx.args.get("series", False))
    meeting = svc.load(ctx, ctx.args["id"]) if whole else svc.load_scheduled(ctx, ctx.args["id"])
    if whole and meeting.series_id is None:
        raise UsageError("meetings.not_a_series", field="series", id=meeting.id)
    if meeting.starts_at <= ctx.now() and not whole:
        raise CommandError("meetings.already_started", id=meeting.id, title=meeting.title)
    repository = svc.meetings(ctx)
    targets = [meeting]
    if whole and meeting.series_id is not None:
        # Any occurrence names its series: an earlier (even past) one cancels what is left.
        series = repository.get_series(meeting.series_id)
        if series is None or series.status == CANCELLED:
            raise CommandError("meetings.series_is_cancelled", title=meeting.title)
        since = max(meeting.starts_at, ctx.now())
        targets = [
            m
            for m in repository.in_series(meeting.series_id, since=since)
            if m.status != CANCELLED and m.starts_at > ctx.now()
        ]
        repository.update_series(meeting.series_id, status=CANCELLED)
        ctx.uow.jobs.cancel(f"series:{meeting.series_id}:", ctx.c.id)
    for target in targets:
        repository.update(target.id, status=CANCELLED)
        svc.cancel_jobs(ctx, target)
        svc.refresh_announcement(ctx, target.id)
        data: dict[str, Value] = {"title": target.title, "when": svc.moment(ctx, target.starts_at)}
        svc.notify_rsvped(ctx, target, Reply(Msg("meetings.cancelled_dm", data)))
        await ctx.core.emit("meeting.cancelled", ctx, meeting_id=target.id)
    when = svc.moment(ctx, targets[0].starts_at if targets else meeting.starts_at)
    if whole:
        ctx.post(svc.channel("meetings.series_cancelled_post", title=meeting.title, when=when))
        return ctx.reply(
            "meetings.series_cancelled", title=meeting.title, when=when, count=len(targets)
        )
    ctx.post(svc.channel("meetings.cancelled_post", title=meeting.title, when=when))
    return ctx.reply("meetings.cancelled", id=meeting.id, title=meeting.title, when=when)


# ---------------------------------------------------------------- RSVP


@command(
    "meeting rsvp",
    help="meetings.help_rsvp",
    args=(
        ID,
        Arg(
            "answer",
            Kind.CHOICE,
            help="meetings.arg_answer",
            choices=RSVP_ANSWERS,
            required=True,
            positional=True,
        ),
    ),
)
async def rsvp(ctx: Context) -> Reply:
    meeting = svc.load_scheduled(ctx, ctx.args["id"])
    if meeting.ends_at <= ctx.now():
        raise CommandError("meetings.rsvp_closed", id=meeting.id, title=meeting.title)
    answer: str = ctx.args["answer"]
    svc.meetings(ctx).set_rsvp(meeting.id, ctx.me.id, answer, ctx.now())
    svc.refresh_announcement(ctx, meeting.id)  # "Coming: …" on the channel card
    return ctx.reply(
        f"meetings.rsvp_{answer}",
        title=meeting.title,
        when=svc.moment(ctx, meeting.starts_at),
        counts=svc.rsvp_summary(ctx, meeting, names=False),
        id=meeting.id,
    )


# ---------------------------------------------------------------- agenda


@command(
    "meeting agenda",
    help="meetings.help_agenda",
    args=(
        ID,
        Arg("op", Kind.CHOICE, help="meetings.arg_op", choices=("add", "remove"), positional=True),
        Arg(
            "item",
            Kind.TEXT,
            help="meetings.arg_item",
            positional=True,
            rest=True,
            max_length=500,
        ),
    ),
)
async def agenda(ctx: Context) -> Reply:
    meeting = svc.load(ctx, ctx.args["id"])
    op = ctx.args.get("op")
    item: str | None = ctx.args.get("item")
    if op is None and item is None:
        return ctx.reply(
            "meetings.agenda",
            id=meeting.id,
            title=meeting.title,
            when=svc.moment(ctx, meeting.starts_at),
            lines=svc.agenda_lines(ctx, meeting),
        )
    if op is None or not item:
        raise UsageError("meetings.agenda_usage", field="item", id=meeting.id)
    if meeting.status == CANCELLED:
        raise CommandError("meetings.is_cancelled", id=meeting.id, title=meeting.title)
    repository = svc.meetings(ctx)
    if op == "add":
        added = repository.add_agenda(meeting.id, ctx.me.id, item, ctx.now())
        return ctx.reply(
            "meetings.agenda_added", n=added.position, text=item, id=meeting.id, title=meeting.title
        )
    try:
        position = int(item.strip().lstrip("#"))
    except ValueError:
        raise UsageError("meetings.agenda_usage", field="item", id=meeting.id) from None
    items = repository.agenda(meeting.id)
    target = next((i for i in items if i.position == position), None)
    if target is None:
        raise CommandError("meetings.agenda_no_item", n=position, id=meeting.id)
    if target.member_id != ctx.me.id and not _is_host_or_facilitator(ctx, meeting):
        raise NotAllowed("meetings.agenda_not_yours", n=position)
    repository.remove_agenda(meeting.id, position)
    return ctx.reply("meetings.agenda_removed", n=position, text=target.text, id=meeting.id)


# ---------------------------------------------------------------- after the meeting


def _record_default_attendance(ctx: Context, meeting: Meeting) -> list[int]:
    repository = svc.meetings(ctx)
    if meeting.attendance_recorded:
        return repository.attendees(meeting.id)
    present = [m for m, a in repository.rsvps(meeting.id).items() if a == "yes"]
    if meeting.host_member_id is not None:
        present.append(meeting.host_member_id)
    repository.set_attendees(meeting.id, present)
    return repository.attendees(meeting.id)


def _notes_key(meeting_id: int) -> str:
    """The tracking key of a meeting's notes post in the channel."""
    return f"meeting:{meeting_id}:notes"


def _notes_card(ctx: Context, meeting: Meeting, summary: str, present: int) -> Card:
    return Card(
        title=Msg("meetings.notes_title", {"title": meeting.title}),
        body=Msg.plain(summary),
        fields=(
            Field(Msg("meetings.field_when"), Msg.plain(svc.moment(ctx, meeting.starts_at))),
            Field(Msg("meetings.field_attended"), Msg("meetings.count", {"count": present})),
        ),
        footer=Msg("meetings.chatham_footer") if meeting.chatham else None,
    )


@command(
    "meeting notes",
    help="meetings.help_notes",
    args=(
        ID,
        Arg(
            "summary",
            Kind.TEXT,
            help="meetings.arg_summary",
            positional=True,
            rest=True,
            max_length=4000,
            multiline=True,
        ),
    ),
)
async def notes(ctx: Context) -> Reply:
    meeting = svc.load_scheduled(ctx, ctx.args["id"])
    if not _is_host_or_facilitator(ctx, meeting):
        raise NotAllowed("meetings.notes_not_allowed", id=meeting.id)
    chatham = Msg("meetings.chatham_notes_reminder") if meeting.chatham else Msg("common.empty")
    summary: str | None = ctx.args.get("summary")
    if not summary:
        return ctx.reply(
            "meetings.notes_prompt", id=meeting.id, title=meeting.title, chatham=chatham
        )
    if meeting.starts_at > ctx.now():
        raise CommandError("meetings.notes_too_early", id=meeting.id, title=meeting.title)
    repository = svc.meetings(ctx)
    correcting = meeting.notes is not None
    present = set(_record_default_attendance(ctx, meeting))
    if correcting:
        repository.update(meeting.id, notes=summary)
    else:
        repository.update(meeting.id, notes=summary, notes_at=ctx.now())
    card = _notes_card(ctx, meeting, summary, len(present))
    if correcting:
        # Edit the channel post in place; DMs are not sent again. Notes posted before
        # posts were tracked get a new (tracked) post instead.
        post = svc.channel("meetings.notes_post", card, title=meeting.title)
        if ctx.uow.posts.ref(ctx.c.id, _notes_key(meeting.id)) is not None:
            ctx.edit_post(_notes_key(meeting.id), post)
        else:
            ctx.post(post, track=_notes_key(meeting.id))
        return ctx.reply(
            "meetings.notes_corrected", id=meeting.id, title=meeting.title, chatham=chatham
        )
    ctx.post(
        svc.channel("meetings.notes_post", card, title=meeting.title), track=_notes_key(meeting.id)
    )
    absent = [
        m for m in ctx.uow.members.list(ctx.c.id) if m.id not in present and m.id != ctx.me.id
    ]
    for member in absent:
        ctx.dm(
            member,
            Reply(
                Msg(
                    "meetings.notes_dm",
                    {"title": meeting.title, "when": svc.moment(ctx, meeting.starts_at)},
                ),
                card=card,
            ),
        )
    await ctx.core.emit("meeting.notes", ctx, meeting_id=meeting.id, notes=summary)
    return ctx.reply("meetings.notes_sent", title=meeting.title, count=len(absent), chatham=chatham)


@command(
    "meeting attended",
    help="meetings.help_attended",
    args=(ID, Arg("members", Kind.MEMBERS, help="meetings.arg_members", positional=True)),
)
async def attended(ctx: Context) -> Reply:
    meeting = svc.load_scheduled(ctx, ctx.args["id"])
    if not _is_host_or_facilitator(ctx, meeting):
        raise NotAllowed("meetings.attended_not_allowed", id=meeting.id)
    if meeting.starts_at > ctx.now():
        raise CommandError("meetings.attended_too_early", id=meeting.id, title=meeting.title)
    people: tuple[Member, ...] = ctx.args.get("members", ())
    if not people:
        names = [svc.member_name(ctx, m) for m in svc.meetings(ctx).attendees(meeting.id)]
        return ctx.reply(
            "meetings.attended_list",
            title=meeting.title,
            count=len(names),
            names=", ".join(n for n in names if n) or "-",
        )
    svc.meetings(ctx).set_attendees(meeting.id, [m.id for m in people])
    return ctx.reply(
        "meetings.attended_saved",
        title=meeting.title,
        count=len({m.id for m in people}),
        names=", ".join(dict.fromkeys(m.display_name for m in people)),
    )


# ---------------------------------------------------------------- calendar


@command(
    "meeting ics",
    help="meetings.help_ics",
    args=(ID, Arg("series", Kind.BOOL, help="meetings.arg_ics_series")),
)
async def ics(ctx: Context) -> Reply:
    meeting = svc.load(ctx, ctx.args["id"])
    whole = meeting.series_id is not None and ctx.args.get("series", True)
    live = [meeting]
    if whole and meeting.series_id is not None:
        live = svc.meetings(ctx).in_series(meeting.series_id)
    if all(m.status == CANCELLED for m in live):
        # Nothing left to add to a calendar (a cancelled series with past meetings still is).
        raise CommandError("meetings.ics_cancelled", id=meeting.id, title=meeting.title)
    content = calendar_for(ctx, meeting, whole_series=bool(whole))
    name = f"meeting-{meeting.id}.ics" if not whole else f"meeting-series-{meeting.series_id}.ics"
    reply = ctx.reply("meetings.ics", title=meeting.title, filename=name)
    return Reply(
        reply.text,
        visibility=reply.visibility,
        attachments=(Attachment(name, content, "text/calendar"),),
    )
