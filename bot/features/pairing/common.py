"""What scheduled rounds and live sessions share: candidates, history, explanations, times."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.features.pairing.matching import Candidate, Outcome, Params, Past, match, normalise_topic
from bot.features.pairing.records import Group, Round, repo
from bot.features.profiles import SECTORS
from bot.ports import Community, Member, Profile, UnitOfWork
from bot.text import Lines, Mention, Moment, Msg
from bot.timefmt import format_moment

WORK_START, WORK_END = time(9, 0), time(17, 0)
MET_ANSWERS = ("yes", "planned", "no")


def seed_for(community_id: int, number: int, live_id: int = 0) -> int:
    """The round's seed, recorded with it: the same inputs always give the same groups."""
    return (community_id * 1_000_003 + number * 7_919 + live_id * 104_729) % (2**31 - 1)


@dataclass(frozen=True)
class Person:
    member: Member
    profile: Profile | None
    tz: str

    @property
    def mention(self) -> Mention:
        return Mention(self.member.user_id, self.member.display_name)


def people(uow: UnitOfWork, community: Community) -> dict[int, Person]:
    found: dict[int, Person] = {}
    for member, profile in uow.profiles.list(community.id):
        tz = (profile.timezone if profile else None) or community.timezone
        found[member.id] = Person(member, profile, tz)
    return found


def candidate(person: Person, at: datetime) -> Candidate:
    p = person.profile
    offset = ZoneInfo(person.tz).utcoffset(at.replace(tzinfo=None))
    return Candidate(
        member_id=person.member.id,
        sector=p.sector if p else None,
        level=p.level if p else None,
        topics=frozenset(normalise_topic(t) for t in (p.topics if p else ()) if t.strip()),
        utc_offset=(offset.total_seconds() / 3600.0) if offset else 0.0,
    )


def history(rounds: Sequence[Round], groups: Iterable[Group], number: int) -> list[Past]:
    """Pairs from earlier rounds, with how many rounds ago they met (1 = the last one)."""
    by_round = {r.id: r.number for r in rounds}
    past: list[Past] = []
    for g in groups:
        ago = number - by_round.get(g.round_id, number)
        if ago < 1:
            continue
        ids = sorted(g.member_ids)
        for x in range(len(ids)):
            for y in range(x + 1, len(ids)):
                past.append(Past(ids[x], ids[y], ago))
    return past


def compute(
    uow: UnitOfWork,
    community: Community,
    member_ids: Sequence[int],
    everyone: Mapping[int, Person],
    number: int,
    mode: str,
    size: int,
    cooldown: int,
    at: datetime,
    live_id: int | None = None,
) -> tuple[Outcome, int]:
    r = repo(uow)
    rounds = r.rounds(community.id, live_id)
    earlier = [x for x in rounds if x.number < number and x.number >= number - 3 * cooldown - 12]
    past = history(earlier, r.groups([x.id for x in earlier]), number)
    seed = seed_for(community.id, number, live_id or 0)
    members = [candidate(everyone[m], at) for m in member_ids if m in everyone]
    exclusions = r.exclusions(community.id)
    outcome = match(
        members, past, exclusions, Params(mode=mode, size=size, seed=seed, cooldown=cooldown)
    )
    return outcome, seed


# ---------------------------------------------------------------- explanations


def why(group: Sequence[Person]) -> Msg:
    """Why these members were matched, from their profiles (never from exclusions)."""
    parts: list[Msg] = []
    topic_sets = [
        {normalise_topic(t): t for t in (p.profile.topics if p.profile else ())} for p in group
    ]
    shared = set(topic_sets[0]) if topic_sets else set()
    for s in topic_sets[1:]:
        shared &= set(s)
    if shared:
        names = ", ".join(sorted(topic_sets[0][k] for k in shared))
        parts.append(Msg("pairing.why_topics", {"topics": names}))
    sectors = [p.profile.sector for p in group if p.profile and p.profile.sector]
    if len(sectors) == len(group) and len(set(sectors)) > 1:
        parts.append(Msg("pairing.why_sectors", {"sectors": _sector_list(sectors)}))
    levels = {p.profile.level for p in group if p.profile and p.profile.level}
    if levels == {"new", "experienced"}:
        parts.append(Msg("pairing.why_levels"))
    if len({p.tz for p in group}) == 1:
        parts.append(Msg("pairing.why_timezone"))
    if not parts:
        parts.append(Msg("pairing.why_fresh"))
    return Msg("pairing.why", {"reasons": Lines(tuple(parts), sep="; ")})


def _sector(sector: str) -> Msg:
    """A sector as a person (a commissioner, someone in government), from the prompts."""
    return Msg(f"pairing.sector_{sector if sector in SECTORS else 'other'}")


def _sector_list(sectors: Sequence[str]) -> Msg:
    """Two sectors joined by "and"; a trio's first two by a comma (from the prompts)."""
    words = [_sector(s) for s in sectors]
    return Msg(
        "pairing.why_sectors_list",
        {"first": Lines(tuple(words[:-1]), sep=", "), "last": words[-1]},
    )


def suggest_time(
    group: Sequence[Person],
    after: datetime,
    busy: Sequence[tuple[datetime, datetime]] = (),
) -> datetime | None:
    """The first half hour from the next day on (over a week) that lies inside everyone's
    09:00-17:00 on one of their own weekdays; their calendar days may differ (Sydney's
    Tuesday morning is Los Angeles' Monday afternoon). None when working days never meet.
    Slots overlapping a ``busy`` (start, end) span, such as a community meeting, are skipped."""
    zones = [ZoneInfo(p.tz) for p in group]
    first = after.astimezone(zones[0]).date() + timedelta(days=1)
    slot = datetime.combine(first, time(0, 0), zones[0]).astimezone(UTC)
    step, length = timedelta(minutes=30), timedelta(minutes=30)
    for _ in range(7 * 48):
        clashes = any(start < slot + length and slot < end for start, end in busy)
        if not clashes and all(_working(slot, zone, length) for zone in zones):
            return slot
        slot += step
    return None


def _working(at: datetime, zone: ZoneInfo, length: timedelta) -> bool:
    local = at.astimezone(zone)
    end = (at + length).astimezone(zone)
    return (
        local.weekday() < 5
        and local.time() >= WORK_START
        and end.date() == local.date()
        and end.time() <= WORK_END
    )


def local_times(group: Sequence[Person], at: datetime) -> Lines:
    return Lines(
        tuple(
            Msg(
                "pairing.local_time",
                {
                    "name": p.member.display_name,
                    "time": format_moment(Moment(at, p.tz, "full")),
                    "tz": p.tz,
                },
            )
            for p in group
        )
    )


def names(group: Sequence[Person]) -> Lines:
    return Lines(tuple(Msg.plain(p.mention) for p in group), sep=", ")


def plain_names(group: Sequence[Person]) -> Lines:
    return Lines(tuple(Msg.plain(p.member.display_name) for p in group), sep=", ")
