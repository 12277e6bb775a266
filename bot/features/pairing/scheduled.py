"""Scheduled rapid pairing: opt in, rhythm, rounds with group introductions, check-ins, stats.

Jobs (durable rows): ``pairing.round`` (key ``pairing:{community}:round``) runs a round and
schedules the next; ``pairing.checkin`` (``pairing:{community}:checkin:{round}``) asks each
group "did you meet?" halfway to the next round.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.commands import Arg, Kind, Role, format_duration
from bot.context import Context
from bot.errors import CommandError, UsageError
from bot.features.meetings.api import upcoming_meetings
from bot.features.pairing import common
from bot.features.pairing.common import MET_ANSWERS, Person
from bot.features.pairing.matching import DEFAULT_COOLDOWN, MODES, Outcome
from bot.features.pairing.records import Schedule, repo
from bot.ports import Community, Member, UnitOfWork
from bot.registry import command, forget, job
from bot.replies import Button, Card, Outbox, Reply, Visibility
from bot.scheduler import JobContext
from bot.settings import Setting, Settings, register_setting
from bot.text import Lines, Moment, Msg

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

register_setting(
    Setting(
        "pairing_show_pairs",
        default="off",
        help="pairing.setting_show_pairs",
        choices=("on", "off"),
    )
)


def round_key(community_id: int) -> str:
    return f"pairing:{community_id}:round"


def next_occurrence(after: datetime, weekday: int, at: str, tz: str) -> datetime:
    """The first ``weekday`` at ``at`` (local wall clock in ``tz``) strictly after ``after``."""
    zone = ZoneInfo(tz)
    local = after.astimezone(zone)
    hour, minute = (int(x) for x in at.split(":"))
    day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
    candidate = datetime.combine(day, time(hour, minute), zone)
    if candidate.astimezone(UTC) <= after:
        candidate = datetime.combine(day + timedelta(days=7), time(hour, minute), zone)
    return candidate.astimezone(UTC)


def following(previous: datetime, schedule: Schedule, tz: str) -> datetime:
    """``every_days`` later on the local calendar (a DST change keeps 09:00 at 09:00)."""
    zone = ZoneInfo(tz)
    local = previous.astimezone(zone)
    hour, minute = (int(x) for x in schedule.at.split(":"))
    day = local.date() + timedelta(days=schedule.every_days)
    return datetime.combine(day, time(hour, minute), zone).astimezone(UTC)


# ---------------------------------------------------------------- planning a round


@dataclass(frozen=True)
class Plan:
    number: int
    seed: int
    outcome: Outcome
    everyone: dict[int, Person]
    eligible: tuple[int, ...]


def eligible_members(uow: UnitOfWork, community: Community, now: datetime) -> list[int]:
    """Opted-in members not paused on the round's local date; a pause that ended is cleared."""
    today = now.astimezone(ZoneInfo(community.timezone)).date()
    r = repo(uow)
    found: list[int] = []
    for o in r.opted_in(community.id):
        if o.paused_until is not None and o.paused_until > today:
            continue
        found.append(o.member_id)
    return found


def plan(uow: UnitOfWork, community: Community, schedule: Schedule, now: datetime) -> Plan:
    r = repo(uow)
    done = r.rounds(community.id)
    number = (done[-1].number if done else 0) + 1
    everyone = common.people(uow, community)
    eligible = tuple(m for m in eligible_members(uow, community, now) if m in everyone)
    outcome, seed = common.compute(
        uow,
        community,
        eligible,
        everyone,
        number,
        schedule.mode,
        schedule.size,
        schedule.cooldown,
        now,
    )
    return Plan(number, seed, outcome, everyone, eligible)


def run_round(
    uow: UnitOfWork, community: Community, settings: Settings, outbox: Outbox, now: datetime
) -> None:
    schedule = repo(uow).schedule(community.id)
    if schedule is None:
        return
    p = plan(uow, community, schedule, now)
    # Clear pauses that have ended: they rejoin automatically.
    today = now.astimezone(ZoneInfo(community.timezone)).date()
    for o in repo(uow).opted_in(community.id):
        if o.paused_until is not None and o.paused_until <= today:
            repo(uow).set_opt_in(community.id, o.member_id, True, None)
    if not p.outcome.groups:
        for f in uow.members.list(community.id):
            if f.is_facilitator:
                outbox.dm(
                    community.place,
                    f.user_id,
                    Reply(_too_few("pairing.round_skipped", len(p.eligible))),
                )
        return
    saved = repo(uow).add_round(
        community.id,
        p.number,
        p.seed,
        schedule.mode,
        schedule.size,
        now,
        p.outcome.groups,
        len(p.outcome.repeats),
    )
    # Suggested times keep clear of the community's own meetings.
    busy = [(m.starts_at, m.ends_at) for m in upcoming_meetings(uow, community.id, now)]
    for group in p.outcome.groups:
        members = [p.everyone[m] for m in group]
        outbox.group(
            community.place,
            tuple(x.member.user_id for x in members),
            intro(community, members, now, busy),
            mentions=tuple(x.member.user_id for x in members),
        )
    pairs = Lines(
        tuple(
            Msg("pairing.live_group", {"names": common.plain_names([p.everyone[m] for m in g])})
            for g in p.outcome.groups
        )
    )
    participants = sum(len(g) for g in p.outcome.groups)
    summary = Msg(
        "pairing.round_summary",
        {"number": p.number, "members": participants, "groups": len(p.outcome.groups)},
    )
    if settings.raw("pairing_show_pairs") == "on":
        summary = Msg("pairing.round_summary_pairs", {"summary": summary, "pairs": pairs})
    outbox.post(community.place, Reply(summary, visibility=Visibility.CHANNEL))
    half = timedelta(days=schedule.every_days) / 2
    uow.jobs.add(
        "pairing-checkin",
        now + half,
        {"round_id": saved.id},
        community_id=community.id,
        key=f"pairing:{community.id}:checkin:{saved.id}",
    )


def _too_few(key: str, available: int) -> Msg:
    """Why no group could be made: too few members, or (from exclusions, never named)
    none of the available ones could be matched together."""
    if available >= 2:
        return Msg(f"{key}_unmatched", {"count": available})
    return Msg(key, {"count": available})


def intro(
    community: Community,
    group: list[Person],
    now: datetime,
    busy: Sequence[tuple[datetime, datetime]] = (),
) -> Reply:
    suggested = common.suggest_time(group, now, busy)
    if suggested is None:
        when = Msg("pairing.no_overlap", {"times": common.local_times(group, now)})
    else:
        when = Msg(
            "pairing.suggested",
            {"at": Moment(suggested, group[0].tz), "times": common.local_times(group, suggested)},
        )
    return Reply(
        Msg(
            "pairing.intro",
            {
                "names": common.names(group),
                "community": community.name,
                "why": common.why(group),
                "when": when,
            },
        ),
        visibility=Visibility.CHANNEL,
    )


@job("pairing-round")
async def _round_job(ctx: JobContext) -> None:
    community = ctx.c
    schedule = repo(ctx.uow).schedule(community.id)
    if schedule is None or schedule.next_at is None:
        return
    run_round(ctx.uow, community, ctx.settings, ctx.outbox, ctx.now())
    upcoming = following(schedule.next_at, schedule, community.timezone)
    while upcoming <= ctx.now():
        upcoming = following(upcoming, schedule, community.timezone)
    repo(ctx.uow).save_schedule(
        Schedule(**{**schedule.__dict__, "next_at": upcoming})  # type: ignore[arg-type]
    )
    ctx.uow.jobs.add(
        "pairing-round", upcoming, community_id=community.id, key=round_key(community.id)
    )


@job("pairing-checkin")
async def _checkin_job(ctx: JobContext) -> None:
    round_id = int(ctx.job.payload["round_id"])
    r = repo(ctx.uow)
    found = r.round(round_id)
    if found is None:
        return
    by_id = {m.id: m for m in ctx.uow.members.list(ctx.c.id)}
    # The buttons carry the round number members see ("round 2"), not a database id.
    buttons = tuple(
        Button(Msg(f"pairing.button_{a}"), f"pairing met {a} round={found.number}")
        for a in MET_ANSWERS
    )
    card = Card(title=Msg("pairing.checkin_title"), buttons=buttons)
    checkin = Reply(Msg("pairing.checkin", {"number": found.number}), card=card)
    for g in r.groups([round_id]):
        users = tuple(by_id[m].user_id for m in g.member_ids if m in by_id)
        if len(users) >= 2:
            ctx.outbox.group(ctx.c.place, users, checkin)
        elif users:  # every group starts with 2+: the others used forget-me, so ask alone
            ctx.outbox.dm(ctx.c.place, users[0], checkin)


# ---------------------------------------------------------------- member commands


@command("pairing join", help="pairing.help_join")
async def join(ctx: Context) -> Reply:
    repo(ctx.uow).set_opt_in(ctx.c.id, ctx.me.id, True, None)
    return ctx.reply("pairing.joined", next=_next_round(ctx))


@command("pairing leave", help="pairing.help_leave")
async def leave(ctx: Context) -> Reply:
    current = repo(ctx.uow).opt_in(ctx.me.id)
    if current is None or not current.active:
        return ctx.reply("pairing.not_joined")
    repo(ctx.uow).set_opt_in(ctx.c.id, ctx.me.id, False, None)
    return ctx.reply("pairing.left")


@command(
    "pairing pause",
    help="pairing.help_pause",
    args=(Arg("until", Kind.DATE, help="pairing.arg_until", required=True),),
)
async def pause(ctx: Context) -> Reply:
    until: date = ctx.args["until"]
    today = ctx.now().astimezone(ZoneInfo(ctx.c.timezone)).date()
    if until <= today:
        raise UsageError("pairing.pause_in_past", field="until", date=until.isoformat())
    current = repo(ctx.uow).opt_in(ctx.me.id)
    if current is None or not current.active:
        raise CommandError("pairing.not_joined")
    repo(ctx.uow).set_opt_in(ctx.c.id, ctx.me.id, True, until)
    return ctx.reply("pairing.paused", date=until.isoformat())


@command("pairing status", help="pairing.help_status")
async def status(ctx: Context) -> Reply:
    r = repo(ctx.uow)
    current = r.opt_in(ctx.me.id)
    if current is None or not current.active:
        state = Msg("pairing.status_out")
    elif current.paused_until is not None:
        state = Msg("pairing.status_paused", {"date": current.paused_until.isoformat()})
    else:
        state = Msg("pairing.status_in")
    rounds = r.rounds(ctx.c.id)
    by_id = {m.id: m for m in ctx.uow.members.list(ctx.c.id)}
    number_of = {x.id: x.number for x in rounds}
    mine = [g for g in r.groups([x.id for x in rounds[-6:]]) if ctx.me.id in g.member_ids]
    # A partner who used forget-me is gone from the group: say so rather than show nothing.
    lines = tuple(
        Msg(
            "pairing.status_partner",
            {
                "number": number_of[g.round_id],
                "names": Lines(
                    tuple(
                        Msg.plain(by_id[m].display_name)
                        for m in g.member_ids
                        if m != ctx.me.id and m in by_id
                    ),
                    sep=", ",
                    empty=Msg("pairing.former_member"),
                ),
            },
        )
        for g in sorted(mine, key=lambda g: -number_of[g.round_id])
    )
    return ctx.reply(
        "pairing.status",
        state=state,
        next=_next_round(ctx),
        partners=Lines(lines, empty=Msg("pairing.no_partners_yet")),
    )


def _next_round(ctx: Context) -> Msg:
    schedule = repo(ctx.uow).schedule(ctx.c.id)
    if schedule is None or schedule.next_at is None:
        return Msg("pairing.no_schedule")
    return Msg("pairing.next_round", {"at": Moment(schedule.next_at, ctx.c.timezone)})


@command(
    "pairing exclude",
    help="pairing.help_exclude",
    args=(Arg("member", Kind.MEMBER, required=True, positional=True),),
)
async def exclude(ctx: Context) -> Reply:
    other: Member = ctx.args["member"]
    if other.id == ctx.me.id:
        raise UsageError("pairing.exclude_self", field="member")
    repo(ctx.uow).exclude(ctx.c.id, ctx.me.id, other.id)
    return ctx.reply("pairing.excluded", name=other.display_name, visibility=Visibility.PRIVATE)


@command(
    "pairing unexclude",
    help="pairing.help_unexclude",
    args=(Arg("member", Kind.MEMBER, required=True, positional=True),),
)
async def unexclude(ctx: Context) -> Reply:
    other: Member = ctx.args["member"]
    if not repo(ctx.uow).unexclude(ctx.me.id, other.id):
        return ctx.reply("pairing.not_excluded", name=other.display_name)
    return ctx.reply("pairing.unexcluded", name=other.display_name)


@command(
    "pairing met",
    help="pairing.help_met",
    args=(
        Arg("answer", Kind.CHOICE, required=True, positional=True, choices=MET_ANSWERS),
        Arg("round", Kind.INT, help="pairing.arg_round"),
    ),
)
async def met(ctx: Context) -> Reply:
    r = repo(ctx.uow)
    rounds = r.rounds(ctx.c.id)  # this community's scheduled rounds (not live ones)
    number = ctx.args.get("round")  # the number members see, as in "round 2"
    if number is None:  # the latest round you were in
        mine = [g for g in r.groups([x.id for x in rounds]) if ctx.me.id in g.member_ids]
        if not mine:
            raise CommandError("pairing.met_no_round")
        round_id = max(mine, key=lambda g: g.round_id).round_id
    else:
        found = [x for x in rounds if x.number == number]
        if not found:
            raise CommandError("pairing.met_unknown_round", field="round", number=number)
        round_id = found[0].id
    if not r.set_met(round_id, ctx.me.id, ctx.args["answer"]):
        if number is None:
            raise CommandError("pairing.met_no_round")
        raise CommandError("pairing.met_not_in_round", field="round", number=number)
    return ctx.reply(f"pairing.met_{ctx.args['answer']}")


# ---------------------------------------------------------------- facilitator commands


def _every(value: timedelta) -> int:
    days = value.total_seconds() / 86400
    if days < 1 or days != int(days) or days > 365:
        raise UsageError("pairing.bad_every", field="every", value=format_duration(value))
    return int(days)


@command(
    "pairing schedule",
    help="pairing.help_schedule",
    role=Role.FACILITATOR,
    private=False,
    args=(
        Arg("every", Kind.DURATION, required=True),
        Arg("day", Kind.CHOICE, required=True, choices=DAYS),
        Arg("time", Kind.TIME, required=True),
        Arg("size", Kind.INT, help="pairing.arg_size"),
        Arg("mode", Kind.CHOICE, help="pairing.arg_mode", choices=MODES),
        Arg("cooldown", Kind.INT, help="pairing.arg_cooldown"),
    ),
)
async def schedule_cmd(ctx: Context) -> Reply:
    every = _every(ctx.args["every"])
    size = int(ctx.args.get("size", 2))
    if not 2 <= size <= 4:
        raise UsageError("pairing.bad_size", field="size", size=size)
    cooldown = int(ctx.args.get("cooldown", DEFAULT_COOLDOWN))
    if not 0 <= cooldown <= 52:
        raise UsageError("pairing.bad_cooldown", field="cooldown", value=cooldown)
    at: time = ctx.args["time"]
    weekday = DAYS.index(ctx.args["day"])
    text_at = f"{at.hour:02d}:{at.minute:02d}"
    first = next_occurrence(ctx.now(), weekday, text_at, ctx.c.timezone)
    schedule = Schedule(
        community_id=ctx.c.id,
        every_days=every,
        weekday=weekday,
        at=text_at,
        size=size,
        mode=ctx.args.get("mode", "balanced"),
        cooldown=cooldown,
        next_at=first,
    )
    repo(ctx.uow).save_schedule(schedule)
    ctx.uow.jobs.add("pairing-round", first, community_id=ctx.c.id, key=round_key(ctx.c.id))
    return ctx.reply(
        "pairing.scheduled",
        every=format_duration(timedelta(days=every)),
        day=ctx.args["day"].capitalize(),
        time=text_at,
        size=size,
        mode=schedule.mode,
        first=Moment(first, ctx.c.timezone),
    )


@command("pairing preview", help="pairing.help_preview", role=Role.FACILITATOR)
async def preview(ctx: Context) -> Reply:
    schedule = repo(ctx.uow).schedule(ctx.c.id) or Schedule(
        ctx.c.id, 14, 0, "09:00", 2, "balanced", DEFAULT_COOLDOWN, None
    )
    when = schedule.next_at or ctx.now()
    p = plan(ctx.uow, ctx.c, schedule, max(when, ctx.now()))
    if not p.outcome.groups:
        return Reply(
            _too_few("pairing.preview_too_few", len(p.eligible)), visibility=Visibility.PRIVATE
        )
    lines = tuple(
        Msg(
            "pairing.preview_group",
            {
                "names": common.plain_names([p.everyone[m] for m in g]),
                "why": common.why([p.everyone[m] for m in g]),
            },
        )
        for g in p.outcome.groups
    )
    notes: list[Msg] = []
    if p.outcome.repeats:
        notes.append(
            Msg(
                "pairing.preview_repeats",
                {"count": len(p.outcome.repeats), "cooldown": schedule.cooldown},
            )
        )
    if p.outcome.unplaced:
        notes.append(Msg("pairing.preview_unplaced", {"count": len(p.outcome.unplaced)}))
    return ctx.reply(
        "pairing.preview",
        number=p.number,
        mode=schedule.mode,
        members=sum(len(g) for g in p.outcome.groups),
        groups=len(p.outcome.groups),
        lines=Lines(lines),
        notes=Lines(tuple(notes)),
    )


@command("pairing stats", help="pairing.help_stats", role=Role.FACILITATOR)
async def stats(ctx: Context) -> Reply:
    r = repo(ctx.uow)
    rounds = r.rounds(ctx.c.id)
    groups = r.groups([x.id for x in rounds])
    everyone = common.people(ctx.uow, ctx.c)
    participants = {m for g in groups for m in g.member_ids}
    answered = [g for g in groups if g.met]
    met_yes = [g for g in answered if "yes" in g.met.values()]
    pairs: set[tuple[int, int]] = set()
    for g in groups:
        ids = sorted(g.member_ids)
        pairs |= {(ids[x], ids[y]) for x in range(len(ids)) for y in range(x + 1, len(ids))}
    known = [
        (everyone[a], everyone[b])
        for a, b in pairs
        if a in everyone
        and b in everyone
        and everyone[a].profile
        and everyone[a].profile.sector  # type: ignore[union-attr]
        and everyone[b].profile
        and everyone[b].profile.sector  # type: ignore[union-attr]
    ]
    cross = [1 for x, y in known if x.profile.sector != y.profile.sector]  # type: ignore[union-attr]
    never = [
        everyone[o.member_id].member.display_name
        for o in r.opted_in(ctx.c.id)
        if o.member_id in everyone and o.member_id not in participants
    ]
    return ctx.reply(
        "pairing.stats",
        rounds=len(rounds),
        participants=len(participants),
        met=_percent(len(met_yes), len(answered)),
        answered=len(answered),
        groups=len(groups),
        pairs=len(pairs),
        cross=_percent(len(cross), len(known)),
        never=Lines(
            tuple(Msg.plain(n) for n in sorted(never)), sep=", ", empty=Msg("pairing.nobody")
        ),
    )


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "–"


# ---------------------------------------------------------------- forget-me


@forget
def _forget_pairing(uow: UnitOfWork, member: Member) -> list[Msg]:
    groups, opted, exclusions = repo(uow).forget_member(member.id)
    if not (groups or opted or exclusions):
        return []
    return [Msg("pairing.forgot", {"groups": groups, "exclusions": exclusions})]
