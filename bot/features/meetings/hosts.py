"""``/cop host …``: the host rota (volunteer, away, back, leave, rota) and confirm/pass."""

from __future__ import annotations

from datetime import date

from bot.commands import Arg, Kind
from bot.context import Context
from bot.errors import CommandError, UsageError
from bot.features.meetings import service as svc
from bot.registry import command
from bot.replies import Reply
from bot.text import Lines, Msg

ID = Arg("id", Kind.INT, help="meetings.arg_id", required=True, positional=True)


@command("host volunteer", help="meetings.help_host_volunteer")
async def volunteer(ctx: Context) -> Reply:
    if not svc.meetings(ctx).join_rota(ctx.c.id, ctx.me.id, ctx.now()):
        return ctx.reply("meetings.host_already_on_rota")
    return ctx.reply("meetings.host_joined", count=len(svc.meetings(ctx).rota(ctx.c.id)))


def _hand_back(ctx: Context, until: date | None = None) -> int:
    """Give the member's upcoming meetings (up to ``until``, local date) back to the rota:
    the host is cleared, they count as having passed, and the next host is asked."""
    repository = svc.meetings(ctx)
    handed = 0
    for meeting in repository.upcoming(ctx.c.id, ctx.now(), 500):
        if meeting.host_member_id != ctx.me.id or meeting.starts_at <= ctx.now():
            continue
        if until is not None and svc.local_date(ctx, meeting.starts_at).date() > until:
            continue
        repository.update(
            meeting.id,
            host_member_id=None,
            host_confirmed=False,
            passed=(*meeting.passed, ctx.me.id),
        )
        handed += 1
        svc.refresh_announcement(ctx, meeting.id)
        if not ctx.uow.jobs.pending(svc.job_key(meeting.id, "host"), ctx.c.id):
            svc.assign_and_ask(ctx, svc.load(ctx, meeting.id))
        if not ctx.uow.jobs.pending(svc.unconfirmed_key(meeting.id), ctx.c.id):
            # Confirmed hosts had no pending check: the new host has yet to confirm.
            svc.schedule_unconfirmed_check(ctx, svc.load(ctx, meeting.id))
    return handed


@command("host leave", help="meetings.help_host_leave")
async def leave(ctx: Context) -> Reply:
    if not svc.meetings(ctx).leave_rota(ctx.me.id):
        return ctx.reply("meetings.host_not_on_rota")
    return ctx.reply("meetings.host_left", count=_hand_back(ctx))


@command(
    "host away",
    help="meetings.help_host_away",
    args=(Arg("until", Kind.DATE, help="meetings.arg_until", required=True),),
)
async def away(ctx: Context) -> Reply:
    until: date = ctx.args["until"]
    if until < svc.local_date(ctx, ctx.now()).date():
        raise UsageError("meetings.away_past", field="until")
    repository = svc.meetings(ctx)
    if repository.rota_entry(ctx.me.id) is None:
        raise CommandError("meetings.host_not_on_rota")
    repository.set_away(ctx.me.id, until)
    # Hand back meetings they were due to host while away: the rota picks someone else.
    handed = _hand_back(ctx, until)
    return ctx.reply("meetings.host_away", until=until.isoformat(), count=handed)


@command("host back", help="meetings.help_host_back")
async def back(ctx: Context) -> Reply:
    repository = svc.meetings(ctx)
    if repository.rota_entry(ctx.me.id) is None:
        raise CommandError("meetings.host_not_on_rota")
    repository.set_away(ctx.me.id, None)
    return ctx.reply("meetings.host_back")


@command("host rota", help="meetings.help_host_rota")
async def rota(ctx: Context) -> Reply:
    entries = svc.meetings(ctx).rota(ctx.c.id)
    ordered = sorted(
        entries,
        key=lambda e: (
            e.last_assigned_at is not None,
            e.last_assigned_at or e.joined_at,
            e.joined_at,
            e.member_id,
        ),
    )
    lines = []
    for entry in ordered:
        name = svc.member_name(ctx, entry.member_id)
        if name is None:
            continue
        away_note = (
            Msg("meetings.rota_away", {"until": entry.away_until.isoformat()})
            if entry.away_until and entry.away_until >= svc.local_date(ctx, ctx.now()).date()
            else Msg("common.empty")
        )
        lines.append(
            Msg(
                "meetings.rota_line",
                {"name": name, "count": entry.times_assigned, "away": away_note},
            )
        )
    return ctx.reply("meetings.rota", lines=Lines(tuple(lines), empty=Msg("meetings.rota_empty")))


@command("host confirm", help="meetings.help_host_confirm", args=(ID,))
async def confirm(ctx: Context) -> Reply:
    meeting = svc.load_scheduled(ctx, ctx.args["id"])
    if meeting.host_member_id != ctx.me.id:
        raise CommandError("meetings.not_your_meeting", id=meeting.id, title=meeting.title)
    if meeting.host_confirmed:
        return ctx.reply("meetings.host_already_confirmed", title=meeting.title)
    svc.meetings(ctx).update(meeting.id, host_confirmed=True)
    svc.refresh_announcement(ctx, meeting.id)
    ctx.uow.jobs.cancel(svc.job_key(meeting.id, "host"), ctx.c.id)
    ctx.uow.jobs.cancel(svc.unconfirmed_key(meeting.id), ctx.c.id)
    when = svc.moment(ctx, meeting.starts_at)
    ctx.post(
        svc.channel(
            "meetings.host_confirmed_post", name=ctx.me.display_name, title=meeting.title, when=when
        )
    )
    await ctx.core.emit("meeting.host_confirmed", ctx, meeting_id=meeting.id, member_id=ctx.me.id)
    return ctx.reply("meetings.host_thanks", title=meeting.title, when=when, id=meeting.id)


@command("host pass", help="meetings.help_host_pass", args=(ID,))
async def pass_(ctx: Context) -> Reply:
    meeting = svc.load_scheduled(ctx, ctx.args["id"])
    if meeting.host_member_id != ctx.me.id:
        raise CommandError("meetings.not_your_meeting", id=meeting.id, title=meeting.title)
    if meeting.starts_at <= ctx.now():
        raise CommandError("meetings.already_started", id=meeting.id, title=meeting.title)
    repository = svc.meetings(ctx)
    repository.update(
        meeting.id,
        host_member_id=None,
        host_confirmed=False,
        passed=(*meeting.passed, ctx.me.id),
    )
    ctx.uow.jobs.cancel(svc.job_key(meeting.id, "host"), ctx.c.id)
    svc.refresh_announcement(ctx, meeting.id)
    nxt = svc.assign_and_ask(ctx, svc.load(ctx, meeting.id))
    if meeting.host_confirmed:  # its check was cancelled on confirming: the next must confirm
        svc.schedule_unconfirmed_check(ctx, meeting)
    if nxt is None:
        return ctx.reply("meetings.host_passed_nobody", title=meeting.title)
    return ctx.reply("meetings.host_passed", title=meeting.title)
