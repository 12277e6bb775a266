"""The meetings feature's due work: reminders, host notices, after-meeting prompts and
extending series. Every handler re-reads the meeting: a row queued before a move or a
cancellation never acts on stale facts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.features.meetings import service as svc
from bot.features.meetings.records import CANCELLED, SCHEDULED, Meeting, repo
from bot.ports import Member, UnitOfWork
from bot.registry import forget, job, on
from bot.replies import Reply
from bot.scheduler import JobContext
from bot.text import Msg, Value


def _meeting(ctx: JobContext) -> Meeting | None:
    meeting_id = int(ctx.job.payload.get("meeting_id", 0))
    found = svc.meetings(ctx).get(meeting_id)
    if found is None or found.status != SCHEDULED or ctx.community is None:
        return None
    return found


@job(svc.REMINDER)
async def reminder(ctx: JobContext) -> None:
    meeting = _meeting(ctx)
    if meeting is None:
        return
    planned = ctx.job.payload.get("starts_at")
    if planned and datetime.fromisoformat(planned) != meeting.starts_at:
        return  # queued before a move; the move queued its own
    data: dict[str, Value] = {
        "id": meeting.id,
        "title": meeting.title,
        "when": svc.moment(ctx, meeting.starts_at),
    }
    card = svc.meeting_card(ctx, meeting, agenda=True)
    ctx.post(svc.channel("meetings.reminder_post", card, **data))
    svc.notify_rsvped(
        ctx,
        meeting,
        Reply(Msg("meetings.reminder_dm", data), card=svc.meeting_card(ctx, meeting, compact=True)),
    )
    svc.schedule_reminder(ctx, meeting)


@job(svc.HOST_ASK)
async def host_ask(ctx: JobContext) -> None:
    meeting = _meeting(ctx)
    if meeting is None or meeting.host_confirmed:
        return
    svc.assign_and_ask(ctx, meeting)


@job(svc.HOST_UNCONFIRMED)
async def host_unconfirmed(ctx: JobContext) -> None:
    """Tell the facilitators, once, that the meeting still has no confirmed host."""
    meeting = _meeting(ctx)
    if meeting is None or meeting.host_confirmed or meeting.starts_at <= ctx.now():
        return
    name = svc.member_name(ctx, meeting.host_member_id)
    if name is None and not svc.meetings(ctx).rota(ctx.c.id):
        return  # a community without a host rota does not use hosts: nothing to chase
    data: dict[str, Value] = {
        "id": meeting.id,
        "title": meeting.title,
        "when": svc.moment(ctx, meeting.starts_at),
    }
    if name is None:
        text = Msg("meetings.host_unconfirmed_nobody", data)
    else:
        text = Msg("meetings.host_unconfirmed_alert", {**data, "name": name})
    for member in ctx.uow.members.list(ctx.c.id):
        if member.is_facilitator:
            ctx.dm(member, Reply(text))


@job(svc.ENDED)
async def ended(ctx: JobContext) -> None:
    """Record attendance from RSVPs and ask the host (or facilitators) for notes."""
    meeting = _meeting(ctx)
    if meeting is None:
        return
    repository = svc.meetings(ctx)
    if not meeting.attendance_recorded:
        present = [m for m, a in repository.rsvps(meeting.id).items() if a == "yes"]
        if meeting.host_member_id is not None:
            present.append(meeting.host_member_id)
        repository.set_attendees(meeting.id, present)
    svc.refresh_announcement(ctx, meeting.id)  # the card loses its RSVP buttons
    if meeting.notes is not None:
        return
    chatham = Msg("meetings.chatham_notes_reminder") if meeting.chatham else Msg("common.empty")
    prompt = Reply(
        Msg(
            "meetings.notes_prompt",
            {"id": meeting.id, "title": meeting.title, "chatham": chatham},
        )
    )
    host = ctx.uow.members.by_id(meeting.host_member_id) if meeting.host_member_id else None
    recipients: list[Member] = (
        [host] if host else [m for m in ctx.uow.members.list(ctx.c.id) if m.is_facilitator]
    )
    for member in recipients:
        ctx.dm(member, prompt)


@job(svc.EXTEND)
async def extend(ctx: JobContext) -> None:
    """Keep six months of a series' occurrences materialised (each with an id)."""
    series_id = int(ctx.job.payload.get("series_id", 0))
    series = svc.meetings(ctx).get_series(series_id)
    if series is None or series.status == CANCELLED or ctx.community is None:
        return
    for meeting in svc.materialise(ctx, series):
        await ctx.core.emit("meeting.scheduled", ctx, meeting_id=meeting.id)
    svc.schedule_extend(ctx, series)


@on("community.settings_changed")
async def replan(scope: svc.Scope, payload: Mapping[str, Any]) -> None:
    """New reminder offsets or host notice apply to the meetings already scheduled."""
    keys = {str(k) for k in payload.get("keys", ())}
    if not keys & {"reminders", "host_notice"}:
        return
    for meeting in svc.meetings(scope).upcoming(scope.c.id, scope.now(), 500):
        if meeting.starts_at <= scope.now():
            continue
        if "reminders" in keys:
            scope.uow.jobs.cancel(svc.job_key(meeting.id, "reminder:"), scope.c.id)
            svc.schedule_reminder(scope, meeting)
        host_key = svc.job_key(meeting.id, "host")
        if "host_notice" in keys and scope.uow.jobs.pending(host_key, scope.c.id):
            svc.schedule_host_ask(scope, meeting)
        if "host_notice" in keys and not meeting.host_confirmed:
            svc.schedule_unconfirmed_check(scope, meeting)


@forget
def _forget_meetings(uow: UnitOfWork, member: Member) -> list[Msg]:
    # Meetings still to come that they were to host: once the host is cleared, ask the
    # rota's next at once (as `host away` does), or no one is ever asked and the meeting
    # goes ahead with "Host: not chosen yet".
    hosting = [
        m
        for m in repo(uow).upcoming(member.community_id, member.joined_at, 500)
        if m.host_member_id == member.id
        and uow.jobs.pending(svc.job_key(m.id, "ended"), member.community_id)
    ]
    counts = repo(uow).forget_member(member.id)
    for meeting in hosting:
        if not uow.jobs.pending(svc.job_key(meeting.id, "host"), member.community_id):
            uow.jobs.add(
                svc.HOST_ASK,
                member.joined_at,  # already past: due at the next tick
                {"meeting_id": meeting.id},
                community_id=member.community_id,
                key=svc.job_key(meeting.id, "host"),
                expires_at=meeting.starts_at,
            )
    said: list[Msg] = []
    if counts.get("rsvps") or counts.get("attendance"):
        said.append(Msg("meetings.forgot_rsvps"))
    if counts.get("agenda"):
        said.append(Msg("meetings.forgot_agenda", {"count": counts["agenda"]}))
    if counts.get("rota") or counts.get("hosting"):
        said.append(Msg("meetings.forgot_rota"))
    return said
