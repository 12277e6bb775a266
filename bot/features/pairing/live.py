"""Live rapid pairing during a meeting: gather, post each round's groups, switch, stop.

State is rows (session, participants, rounds); each step (end of the gathering window, end
of each round) is one durable job keyed ``pairing:{community}:live:{session}``, so a restart
mid-session carries on where it was.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.commands import Arg, Kind
from bot.context import Context
from bot.errors import CommandError, NotAllowed, UsageError
from bot.features.pairing import common
from bot.features.pairing.matching import MODES
from bot.features.pairing.records import LiveSession, repo
from bot.ports import Community, UnitOfWork
from bot.registry import command, job
from bot.replies import Button, Card, Outbox, Reply, Visibility
from bot.scheduler import JobContext
from bot.text import Lines, Moment, Msg

GATHER = timedelta(minutes=2)


def step_key(community_id: int, live_id: int) -> str:
    return f"pairing:{community_id}:live:{live_id}"


def _meeting_host(uow: UnitOfWork, community_id: int, meeting_id: int) -> int | None:
    from bot.features.meetings import api

    info = api.get_meeting(uow, community_id, meeting_id)
    if info is None:
        raise UsageError("pairing.live_no_meeting", field="meeting", id=meeting_id)
    return info.host_member_id


def _meeting_yes(uow: UnitOfWork, meeting_id: int) -> list[int]:
    from bot.features.meetings import api

    return sorted(m for m, answer in api.rsvps(uow, meeting_id).items() if answer == "yes")


def _may_steer(ctx: Context, session: LiveSession) -> None:
    if ctx.me.is_facilitator or session.started_by == ctx.me.id:
        return
    if session.meeting_id is not None and (
        _meeting_host(ctx.uow, ctx.c.id, session.meeting_id) == ctx.me.id
    ):
        return
    raise NotAllowed("pairing.live_not_allowed")


@command(
    "pairing live start",
    help="pairing.help_live_start",
    args=(
        Arg("rounds", Kind.INT, help="pairing.arg_rounds"),
        Arg("minutes", Kind.INT, help="pairing.arg_minutes"),
        Arg("mode", Kind.CHOICE, help="pairing.arg_mode", choices=MODES),
        Arg("size", Kind.INT, help="pairing.arg_size"),
        Arg("meeting", Kind.INT, help="pairing.arg_meeting"),
    ),
)
async def live_start(ctx: Context) -> Reply:
    rounds = int(ctx.args.get("rounds", 3))
    minutes = int(ctx.args.get("minutes", 7))
    size = int(ctx.args.get("size", 2))
    meeting_id = ctx.args.get("meeting")
    if not ctx.me.is_facilitator:
        host = _meeting_host(ctx.uow, ctx.c.id, meeting_id) if meeting_id is not None else None
        if host is None or host != ctx.me.id:
            raise NotAllowed("pairing.live_not_allowed")
    elif meeting_id is not None:
        _meeting_host(ctx.uow, ctx.c.id, meeting_id)  # refuses an unknown meeting
    if not 1 <= rounds <= 12:
        raise UsageError("pairing.bad_rounds", field="rounds", value=rounds)
    if not 1 <= minutes <= 60:
        raise UsageError("pairing.bad_minutes", field="minutes", value=minutes)
    if not 2 <= size <= 4:
        raise UsageError("pairing.bad_size", field="size", size=size)
    r = repo(ctx.uow)
    if r.active_live(ctx.c.id) is not None:
        raise CommandError("pairing.live_already")
    now = ctx.now()
    session = r.start_live(
        LiveSession(
            id=0,
            community_id=ctx.c.id,
            started_by=ctx.me.id,
            rounds=rounds,
            minutes=minutes,
            mode=ctx.args.get("mode", "balanced"),
            size=size,
            meeting_id=meeting_id,
            status="gathering",
            current=0,
            started_at=now,
            ends_at=now + GATHER,
        )
    )
    joined = 0
    if meeting_id is not None:
        for member_id in _meeting_yes(ctx.uow, meeting_id):
            joined += 1 if r.join_live(session.id, member_id, 1) else 0
    card = Card(
        title=Msg("pairing.live_card_title"),
        body=Msg(
            "pairing.live_card",
            {"rounds": rounds, "minutes": minutes, "at": Moment(now + GATHER, ctx.c.timezone)},
        ),
        buttons=(Button(Msg("pairing.button_here"), "pairing live here", style="primary"),),
    )
    ctx.post(Reply(Msg("pairing.live_card_intro"), card=card, visibility=Visibility.CHANNEL))
    ctx.uow.jobs.add(
        "pairing-live",
        now + GATHER,
        {"live_id": session.id, "next": 1},
        community_id=ctx.c.id,
        key=step_key(ctx.c.id, session.id),
    )
    if joined:
        return ctx.reply(
            "pairing.live_started_rsvps",
            rounds=rounds,
            minutes=minutes,
            count=joined,
            meeting=int(meeting_id or 0),
        )
    return ctx.reply("pairing.live_started", rounds=rounds, minutes=minutes)


@command("pairing live here", help="pairing.help_live_here")
async def live_here(ctx: Context) -> Reply:
    session = repo(ctx.uow).active_live(ctx.c.id)
    if session is None:
        raise CommandError("pairing.live_none")
    start = 1 if session.status == "gathering" else session.current + 1
    if not repo(ctx.uow).join_live(session.id, ctx.me.id, start):
        meeting_id = session.meeting_id
        if meeting_id is not None and ctx.me.id in _meeting_yes(ctx.uow, meeting_id):
            return ctx.reply("pairing.live_already_here_rsvp", meeting=meeting_id)
        return ctx.reply("pairing.live_already_here")
    if start > session.rounds:
        return ctx.reply("pairing.live_last_round")
    if start == 1:
        return ctx.reply("pairing.live_here")
    return ctx.reply("pairing.live_here_late", round=start)


@command("pairing live next", help="pairing.help_live_next")
async def live_next(ctx: Context) -> Reply:
    session = repo(ctx.uow).active_live(ctx.c.id)
    if session is None:
        raise CommandError("pairing.live_none")
    _may_steer(ctx, session)
    ctx.uow.jobs.cancel(step_key(ctx.c.id, session.id), ctx.c.id)
    advance(ctx.uow, ctx.c, ctx.outbox, ctx.now(), session)
    return ctx.reply("pairing.live_advanced")


@command("pairing live stop", help="pairing.help_live_stop")
async def live_stop(ctx: Context) -> Reply:
    session = repo(ctx.uow).active_live(ctx.c.id)
    if session is None:
        raise CommandError("pairing.live_none")
    _may_steer(ctx, session)
    ctx.uow.jobs.cancel(step_key(ctx.c.id, session.id), ctx.c.id)
    repo(ctx.uow).update_live(session.id, status="done", ends_at=None)
    ctx.post(Reply(Msg("pairing.live_stopped"), visibility=Visibility.CHANNEL))
    return ctx.reply("pairing.live_stopped_private")


@job("pairing-live")
async def _live_job(ctx: JobContext) -> None:
    session = repo(ctx.uow).live(int(ctx.job.payload["live_id"]))
    if session is None or session.status == "done":
        return
    if int(ctx.job.payload.get("next", 0)) != session.current + 1:
        return  # already advanced by hand
    advance(ctx.uow, ctx.c, ctx.outbox, ctx.now(), session)


def advance(
    uow: UnitOfWork, community: Community, outbox: Outbox, now: datetime, session: LiveSession
) -> None:
    """Post the next round (or the end): the one place a live session moves forward."""
    r = repo(uow)
    number = session.current + 1
    if number > session.rounds:
        r.update_live(session.id, status="done", ends_at=None)
        outbox.post(
            community.place,
            Reply(
                Msg("pairing.live_done", {"rounds": session.rounds}), visibility=Visibility.CHANNEL
            ),
        )
        return
    everyone = common.people(uow, community)
    present = sorted(m for m, start in r.live_members(session.id).items() if start <= number)
    outcome, seed = common.compute(
        uow,
        community,
        present,
        everyone,
        number,
        session.mode,
        session.size,
        cooldown=session.rounds,  # nobody meets twice in a session while avoidable
        at=now,
        live_id=session.id,
    )
    if not outcome.groups:
        r.update_live(session.id, status="done", ends_at=None)
        outbox.post(
            community.place,
            Reply(
                Msg(
                    "pairing.live_too_few"
                    if len(present) < 2
                    else "pairing.live_too_few_unmatched",
                    {"count": len(present)},
                ),
                visibility=Visibility.CHANNEL,
            ),
        )
        return
    r.add_round(
        community.id,
        number,
        seed,
        session.mode,
        session.size,
        now,
        outcome.groups,
        len(outcome.repeats),
        live_id=session.id,
    )
    ends = now + timedelta(minutes=session.minutes)
    r.update_live(session.id, status="running", current=number, ends_at=ends)
    lines = tuple(
        Msg("pairing.live_group", {"names": common.names([everyone[m] for m in g])})
        for g in outcome.groups
    )
    mentions = tuple(everyone[m].member.user_id for g in outcome.groups for m in g)
    key = "pairing.live_round" if number == 1 else "pairing.live_switch"
    outbox.post(
        community.place,
        Reply(
            Msg(
                key,
                {
                    "number": number,
                    "rounds": session.rounds,
                    "groups": Lines(lines),
                    "ends": Moment(ends, community.timezone, "time"),
                    "minutes": session.minutes,
                },
            ),
            visibility=Visibility.CHANNEL,
        ),
        mentions=mentions,
    )
    uow.jobs.add(
        "pairing-live",
        ends,
        {"live_id": session.id, "next": number + 1},
        community_id=community.id,
        key=step_key(community.id, session.id),
    )
