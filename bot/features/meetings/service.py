"""The meetings feature's shared logic: loading, cards, due-work rows, series, hosts.

Commands (bot/features/meetings/commands.py, hosts.py) and scheduled jobs (jobs.py) both
call these with their scope: a command ``Context`` or a scheduler ``JobContext``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from bot.commands import format_duration
from bot.errors import CommandError
from bot.features.meetings.records import (
    CANCELLED,
    SCHEDULED,
    Meeting,
    MeetingRepo,
    Series,
    repo,
)
from bot.features.meetings.recurrence import HORIZON, expand
from bot.features.meetings.settings import HOST_NOTICE, REMINDERS
from bot.features.meetings.settings import label as offset_label
from bot.features.meetings.when import to_utc
from bot.ports import Community, Member, UnitOfWork
from bot.registry import REGISTRY
from bot.replies import Button, Card, Field, Outbox, Reply, Visibility
from bot.settings import Settings
from bot.text import Lines, Moment, Msg, Value

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

REMINDER = "meeting.reminder"
HOST_ASK = "meeting.host_ask"
ENDED = "meeting.ended"
EXTEND = "meeting.extend"
EXTEND_EVERY = timedelta(days=7)
HOST_UNCONFIRMED = "meeting.host_unconfirmed"
# Facilitators hear that a host has not confirmed this long before the meeting (or half
# the host notice, if that is shorter), leaving time to ask someone else.
UNCONFIRMED_WARNING = timedelta(days=3)


class Scope(Protocol):
    """What a command Context and a scheduler JobContext both offer."""

    core: Core
    uow: UnitOfWork
    outbox: Outbox

    def now(self) -> datetime: ...

    @property
    def c(self) -> Community: ...

    @property
    def settings(self) -> Settings: ...

    def post(self, reply: Reply, mentions: tuple[str, ...] = ()) -> None: ...

    def dm(self, member: Member, reply: Reply) -> None: ...


def meetings(scope: Scope) -> MeetingRepo:
    return repo(scope.uow)


def load(scope: Scope, meeting_id: int) -> Meeting:
    found = meetings(scope).get(meeting_id)
    if found is None or found.community_id != scope.c.id:
        raise CommandError("meetings.not_found", field="id", id=meeting_id)
    return found


def load_scheduled(scope: Scope, meeting_id: int) -> Meeting:
    meeting = load(scope, meeting_id)
    if meeting.status == CANCELLED:
        raise CommandError("meetings.is_cancelled", id=meeting.id, title=meeting.title)
    return meeting


def moment(scope: Scope, at: datetime, style: str = "full") -> Moment:
    return Moment(at, scope.c.timezone, style)


def local_date(scope: Scope, at: datetime) -> datetime:
    return at.astimezone(ZoneInfo(scope.c.timezone))


# ---------------------------------------------------------------- text and cards


def member_name(scope: Scope, member_id: int | None) -> str | None:
    if member_id is None:
        return None
    member = scope.uow.members.by_id(member_id)
    return member.display_name if member else None


def rsvp_summary(scope: Scope, meeting: Meeting, names: bool = True) -> Msg:
    """Counts always; names only when the meeting is not under the Chatham House rule."""
    answers = meetings(scope).rsvps(meeting.id)
    counts = {a: sum(1 for v in answers.values() if v == a) for a in ("yes", "maybe", "no")}
    if meeting.chatham or not names or not answers:
        return Msg("meetings.rsvp_counts", counts)
    who: dict[str, list[str]] = {"yes": [], "maybe": [], "no": []}
    for member_id, answer in answers.items():
        name = member_name(scope, member_id)
        if name:
            who[answer].append(name)
    parts = tuple(
        Msg("meetings.rsvp_names_part", {"answer": a, "count": counts[a], "names": ", ".join(n)})
        for a, n in who.items()
        if n
    )
    return Msg("meetings.rsvp_names", {"parts": Lines(parts, sep="; ")})


def rsvp_buttons(meeting: Meeting) -> tuple[Button, ...]:
    return (
        Button(Msg("meetings.button_yes"), f"meeting rsvp {meeting.id} yes", "primary"),
        Button(Msg("meetings.button_maybe"), f"meeting rsvp {meeting.id} maybe"),
        Button(Msg("meetings.button_no"), f"meeting rsvp {meeting.id} no"),
    )


def where_value(where: str) -> Msg:
    return Msg.plain(where)


def host_value(scope: Scope, meeting: Meeting) -> Msg:
    name = member_name(scope, meeting.host_member_id)
    if name is None:
        return Msg("meetings.host_none")
    key = "meetings.host_confirmed" if meeting.host_confirmed else "meetings.host_unconfirmed"
    return Msg(key, {"name": name})


def series_value(scope: Scope, meeting: Meeting) -> Msg | None:
    if meeting.series_id is None:
        return None
    series = meetings(scope).get_series(meeting.series_id)
    if series is None:
        return None
    return Msg("meetings.repeats", {"every": series.every})


def meeting_card(
    scope: Scope,
    meeting: Meeting,
    *,
    buttons: bool = True,
    agenda: bool = False,
    names: bool = True,
    compact: bool = False,
    notes: bool = False,
) -> Card:
    # RSVP buttons only while answering still counts: not once cancelled or over.
    buttons = buttons and meeting.status == SCHEDULED and meeting.ends_at > scope.now()
    if compact:
        return Card(
            title=Msg("meetings.card_title", {"id": meeting.id, "title": meeting.title}),
            fields=(
                Field(Msg("meetings.field_when"), Msg.plain(moment(scope, meeting.starts_at))),
                *(
                    (Field(Msg("meetings.field_where"), where_value(meeting.where)),)
                    if meeting.where
                    else ()
                ),
            ),
            buttons=rsvp_buttons(meeting) if buttons else (),
        )
    fields: list[Field] = [
        Field(Msg("meetings.field_when"), Msg.plain(moment(scope, meeting.starts_at))),
        Field(
            Msg("meetings.field_duration"),
            Msg.plain(format_duration(meeting.ends_at - meeting.starts_at)),
        ),
    ]
    if meeting.where:
        fields.append(Field(Msg("meetings.field_where"), where_value(meeting.where)))
    fields.append(Field(Msg("meetings.field_host"), host_value(scope, meeting)))
    repeats = series_value(scope, meeting)
    if repeats is not None:
        fields.append(Field(Msg("meetings.field_repeats"), repeats))
    fields.append(Field(Msg("meetings.field_rsvps"), rsvp_summary(scope, meeting, names)))
    if agenda:
        fields.append(
            Field(Msg("meetings.field_agenda"), Msg.plain(agenda_lines(scope, meeting)), False)
        )
    if notes and meeting.notes is not None:
        fields.append(Field(Msg("meetings.field_notes"), Msg.plain(meeting.notes), False))
    footer = Msg("meetings.chatham_footer") if meeting.chatham else None
    if meeting.status == CANCELLED:
        footer = Msg("meetings.cancelled_footer")
    return Card(
        title=Msg("meetings.card_title", {"id": meeting.id, "title": meeting.title}),
        fields=tuple(fields),
        buttons=rsvp_buttons(meeting) if buttons else (),
        footer=footer,
    )


def agenda_lines(scope: Scope, meeting: Meeting) -> Lines:
    """Members' items in order, then the slots other features fill (resource, questions)."""
    items: list[Msg] = []
    for item in meetings(scope).agenda(meeting.id):
        name = None if meeting.chatham else member_name(scope, item.member_id)
        if name:
            items.append(
                Msg(
                    "meetings.agenda_item_by", {"n": item.position, "text": item.text, "name": name}
                )
            )
        else:
            items.append(Msg("meetings.agenda_item", {"n": item.position, "text": item.text}))
    for name, provider in REGISTRY.agenda_slots.items():
        try:
            items.extend(provider(scope.uow, scope.c, meeting.id))
        except Exception:
            log.exception("agenda slot %s failed for meeting %s", name, meeting.id)
    return Lines(tuple(items), empty=Msg("meetings.agenda_empty", {"id": meeting.id}))


# ---------------------------------------------------------------- due work


def job_key(meeting_id: int, part: str) -> str:
    return f"meeting:{meeting_id}:{part}"


def reminder_due(scope: Scope, meeting: Meeting, offset: timedelta) -> datetime:
    """Whole days are counted in local wall-clock time: "1d" before a 14:00 meeting is
    14:00 the day before, even across a daylight-saving change."""
    if offset % timedelta(days=1):
        return meeting.starts_at - offset
    local = meeting.starts_at.astimezone(ZoneInfo(scope.c.timezone)).replace(tzinfo=None)
    return to_utc(local - offset, scope.c.timezone)


def schedule_reminder(scope: Scope, meeting: Meeting) -> bool:
    """Queue the next reminder still ahead (one at a time, so setting changes apply)."""
    offsets: tuple[timedelta, ...] = scope.settings.get(REMINDERS.key)
    now = scope.now()
    upcoming = [(reminder_due(scope, meeting, o), o) for o in offsets]
    upcoming = [(due, o) for due, o in upcoming if now < due < meeting.starts_at]
    if not upcoming:
        return False
    due, offset = min(upcoming)  # the earliest reminder still ahead
    label = offset_label(offset)
    scope.uow.jobs.add(
        REMINDER,
        due,
        {"meeting_id": meeting.id, "offset": label, "starts_at": meeting.starts_at.isoformat()},
        community_id=meeting.community_id,
        key=job_key(meeting.id, f"reminder:{label}"),
        expires_at=meeting.starts_at,
    )
    return True


def schedule_jobs(scope: Scope, meeting: Meeting) -> None:
    """Reminders, the host's notice and the after-meeting prompt of one occurrence."""
    scope.uow.jobs.cancel(job_key(meeting.id, ""), meeting.community_id)
    schedule_reminder(scope, meeting)
    if not meeting.host_confirmed:
        schedule_host_ask(scope, meeting)
        schedule_unconfirmed_check(scope, meeting)
    scope.uow.jobs.add(
        ENDED,
        meeting.ends_at,
        {"meeting_id": meeting.id},
        community_id=meeting.community_id,
        key=job_key(meeting.id, "ended"),
    )


def schedule_host_ask(scope: Scope, meeting: Meeting) -> None:
    """Ask the occurrence's host (or the rota's next) ``host_notice`` ahead."""
    notice: timedelta = scope.settings.get(HOST_NOTICE.key)
    scope.uow.jobs.add(
        HOST_ASK,
        max(scope.now(), meeting.starts_at - notice),
        {"meeting_id": meeting.id},
        community_id=meeting.community_id,
        key=job_key(meeting.id, "host"),
        expires_at=meeting.starts_at,
    )


def unconfirmed_key(meeting_id: int) -> str:
    # Not under job_key(id, "host"): that prefix is cancelled when a host passes.
    return job_key(meeting_id, "unconfirmed")


def schedule_unconfirmed_check(scope: Scope, meeting: Meeting) -> bool:
    """Queue the one "host not confirmed yet" notice to facilitators, if still ahead."""
    notice: timedelta = scope.settings.get(HOST_NOTICE.key)
    due = reminder_due(scope, meeting, min(UNCONFIRMED_WARNING, notice / 2))
    if not scope.now() < due < meeting.starts_at:
        scope.uow.jobs.cancel(unconfirmed_key(meeting.id), meeting.community_id)
        return False
    scope.uow.jobs.add(
        HOST_UNCONFIRMED,
        due,
        {"meeting_id": meeting.id},
        community_id=meeting.community_id,
        key=unconfirmed_key(meeting.id),
        expires_at=meeting.starts_at,
    )
    return True


def cancel_jobs(scope: Scope, meeting: Meeting) -> int:
    return scope.uow.jobs.cancel(job_key(meeting.id, ""), meeting.community_id)


def materialise(scope: Scope, series: Series, until: datetime | None = None) -> list[Meeting]:
    """Create the series' occurrences up to ``until`` (default: six months ahead)."""
    now = scope.now()
    until = until or now + HORIZON
    repository = meetings(scope)
    known = repository.original_starts(series.id)
    start_from = series.materialised_until or datetime.min.replace(tzinfo=now.tzinfo)
    created: list[Meeting] = []
    duration = timedelta(minutes=series.duration_minutes)
    last = series.materialised_until
    for _local, at in expand(series.rrule, series.local_start, series.timezone, start_from, until):
        last = at
        if at in known or at < now:
            continue
        meeting = repository.add(
            series.community_id,
            series.title,
            at,
            at + duration,
            series.where,
            series.chatham,
            now,
            series_id=series.id,
            original_start=at,
        )
        schedule_jobs(scope, meeting)
        created.append(meeting)
    if last is not None:
        # Next time, start just after the last occurrence seen.
        repository.update_series(series.id, materialised_until=last + timedelta(seconds=1))
    return created


def schedule_extend(scope: Scope, series: Series) -> None:
    scope.uow.jobs.add(
        EXTEND,
        scope.now() + EXTEND_EVERY,
        {"series_id": series.id},
        community_id=series.community_id,
        key=f"series:{series.id}:extend",
    )


# ---------------------------------------------------------------- hosts


def choose_host(scope: Scope, meeting: Meeting) -> Member | None:
    """Fair rotation: whoever was asked longest ago (or never), skipping the away and
    those who passed on this occurrence."""
    day = local_date(scope, meeting.starts_at).date()
    candidates = []
    for entry in meetings(scope).rota(scope.c.id):
        if entry.member_id in meeting.passed:
            continue
        if entry.away_until is not None and entry.away_until >= day:
            continue
        member = scope.uow.members.by_id(entry.member_id)
        if member is None:
            continue
        last = entry.last_assigned_at or datetime.min.replace(tzinfo=entry.joined_at.tzinfo)
        candidates.append((last, entry.joined_at, entry.member_id, member))
    if not candidates:
        return None
    return min(candidates, key=lambda c: (c[0], c[1], c[2]))[3]


def ask_host(scope: Scope, meeting: Meeting, host: Member) -> None:
    """Tell the host ahead and ask them to confirm or pass (buttons in a DM)."""
    card = Card(
        title=Msg("meetings.card_title", {"id": meeting.id, "title": meeting.title}),
        fields=(Field(Msg("meetings.field_when"), Msg.plain(moment(scope, meeting.starts_at))),),
        buttons=(
            Button(Msg("meetings.button_confirm"), f"host confirm {meeting.id}", "primary"),
            Button(Msg("meetings.button_pass"), f"host pass {meeting.id}", "danger"),
        ),
    )
    scope.dm(
        host,
        Reply(
            Msg(
                "meetings.host_asked",
                {
                    "title": meeting.title,
                    "when": moment(scope, meeting.starts_at),
                    "id": meeting.id,
                },
            ),
            card=card,
        ),
    )


def assign_and_ask(scope: Scope, meeting: Meeting) -> Member | None:
    """Give an occurrence a host (its preset one, else the rota's next) and ask them."""
    repository = meetings(scope)
    host = scope.uow.members.by_id(meeting.host_member_id) if meeting.host_member_id else None
    if host is None:
        host = choose_host(scope, meeting)
        if host is None:
            if repository.rota(scope.c.id):
                for f in scope.uow.members.list(scope.c.id):
                    if f.is_facilitator:
                        scope.dm(
                            f,
                            Reply(
                                Msg(
                                    "meetings.no_host_available",
                                    {"title": meeting.title, "id": meeting.id},
                                )
                            ),
                        )
            return None
        repository.update(meeting.id, host_member_id=host.id, host_confirmed=False)
        repository.mark_assigned(host.id, scope.now())
        refresh_announcement(scope, meeting.id)
    ask_host(scope, meeting, host)
    return host


def notify_rsvped(scope: Scope, meeting: Meeting, reply: Reply) -> None:
    """DM the members who answered yes or maybe."""
    for member_id, answer in meetings(scope).rsvps(meeting.id).items():
        if answer in ("yes", "maybe"):
            member = scope.uow.members.by_id(member_id)
            if member is not None:
                scope.dm(member, reply)


def channel(reply_key: str, card: Card | None = None, **data: Value) -> Reply:
    return Reply(Msg(reply_key, data), card=card, visibility=Visibility.CHANNEL)


# ---------------------------------------------------------------- the announcement post


def announcement_key(meeting_id: int) -> str:
    """The tracking key of a meeting's announcement post in the channel."""
    return f"meeting:{meeting_id}:announcement"


def announcement(scope: Scope, meeting: Meeting) -> Reply:
    # Once over, the card records that the meeting took place: no more invitation.
    over = meeting.status == SCHEDULED and meeting.ends_at <= scope.now()
    return channel(
        "meetings.took_place" if over else "meetings.announced",
        meeting_card(scope, meeting),
        title=meeting.title,
        when=moment(scope, meeting.starts_at),
    )


def refresh_announcement(scope: Scope, meeting_id: int) -> None:
    """Update the announcement card (RSVP counts, time, host, cancellation) after commit.

    Under the Chatham House rule the card shows counts only, as when it was posted. A
    meeting that was never announced (a series' later occurrence) has no post: nothing
    is sent."""
    meeting = meetings(scope).get(meeting_id)
    if meeting is None or meeting.community_id != scope.c.id:
        return
    scope.outbox.edit(scope.c.place, announcement_key(meeting.id), announcement(scope, meeting))
