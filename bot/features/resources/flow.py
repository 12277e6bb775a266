"""The month's cycle: vote windows around each meeting, ballots, picks and announcements.

Everything here runs inside a command's or a job's transaction (a "scope"): posts and
DMs go to the scope's outbox and leave only after the commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.commands import format_duration, parse_duration
from bot.features.meetings.api import MeetingInfo, get_meeting, upcoming_meetings
from bot.features.resources.logic import MAX_CANDIDATES, candidate_cutoff, winner
from bot.features.resources.records import (
    CLOSED,
    LIVE,
    OPEN,
    WAITING,
    Ballot,
    Resource,
    repo,
)
from bot.features.resources.urls import link_label
from bot.ports import Community, Member, UnitOfWork
from bot.replies import Button, Card, Field, Outbox, Reply, Visibility
from bot.settings import Setting, Settings, register_setting
from bot.text import Lines, Link, Moment, Msg

PICKING = "picking"  # host or facilitator mode: waiting for someone to pick
PICK_MODES = ("vote", "host", "facilitator")
JOB_OPEN = "resource.vote_open"
JOB_CLOSE = "resource.vote_close"
JOB_TITLE = "resource.lookup_title"
BUTTON_TITLE = 40  # characters of a title shown on a button
BALLOT_TITLE = 80  # characters of a title and of a reason on a ballot line
BALLOT_WHY = 100


def _positive_duration(text: str) -> timedelta:
    value = parse_duration(text)
    if value <= timedelta(0) or value > timedelta(days=90):
        raise ValueError(text)
    return value


register_setting(
    Setting(
        "resource_pick",
        default="vote",
        help="resources.setting_pick",
        choices=PICK_MODES,
    )
)
register_setting(
    Setting(
        "resource_vote_opens",
        default="14d",
        help="resources.setting_vote_opens",
        parse=_positive_duration,
        canonical=format_duration,
    )
)
register_setting(
    Setting(
        "resource_vote_closes",
        default="3d",
        help="resources.setting_vote_closes",
        parse=_positive_duration,
        canonical=format_duration,
    )
)


class Scope(Protocol):
    """What a command Context and a JobContext both offer."""

    @property
    def uow(self) -> UnitOfWork: ...
    @property
    def c(self) -> Community: ...
    @property
    def settings(self) -> Settings: ...
    @property
    def outbox(self) -> Outbox: ...
    def now(self) -> datetime: ...
    def post(self, reply: Reply, mentions: tuple[str, ...] = ()) -> None: ...
    def dm(self, member: Member, reply: Reply) -> None: ...


# ---------------------------------------------------------------- small renderings


def short(title: str, limit: int = BUTTON_TITLE) -> str:
    return title if len(title) <= limit else title[: limit - 1] + "…"


def label(r: Resource) -> str:
    """The title as a link's text (with the real host if the title names another site)."""
    return link_label(r.title, r.url)


def link(r: Resource) -> Link:
    return Link(r.url, label(r))


def ballot_link(r: Resource) -> Link:
    """A shorter link for ballot lines, so ten candidates fit one card on every platform."""
    return Link(r.url, short(label(r), BALLOT_TITLE))


def ballot_why(r: Resource) -> Msg:
    return (
        Msg("resources.why_part", {"why": short(r.why, BALLOT_WHY)})
        if r.why
        else Msg("common.empty")
    )


def why_part(r: Resource) -> Msg:
    return Msg("resources.why_part", {"why": r.why}) if r.why else Msg("common.empty")


def tags_part(r: Resource) -> Msg:
    return (
        Msg("resources.tags_part", {"tags": ", ".join(r.tags)}) if r.tags else Msg("common.empty")
    )


def when(c: Community, at: datetime, style: str = "full") -> Moment:
    return Moment(at, c.timezone, style)


def meeting_msg(c: Community, m: MeetingInfo) -> Msg:
    return Msg("resources.meeting_label", {"title": m.title, "date": when(c, m.starts_at)})


def pick_mode(settings: Settings) -> str:
    return str(settings.raw("resource_pick"))


def window(settings: Settings, m: MeetingInfo) -> tuple[datetime, datetime]:
    """When the vote for ``m`` opens and closes."""
    opens_before: timedelta = settings.get("resource_vote_opens")
    closes_before: timedelta = settings.get("resource_vote_closes")
    closes = m.starts_at - closes_before
    opens = m.starts_at - opens_before
    if opens >= closes:
        opens = closes - timedelta(days=1)
    return opens, closes


def candidates(uow: UnitOfWork, c: Community, now: datetime) -> list[Resource]:
    return repo(uow).candidates(c.id, candidate_cutoff(now), MAX_CANDIDATES)


def ballot_resources(uow: UnitOfWork, c: Community, ballot: Ballot) -> list[Resource]:
    """The ballot's candidates still standing (not removed, not picked for another meeting)."""
    found = (repo(uow).get(c.id, rid) for rid in ballot.candidates)
    return [
        r
        for r in found
        if r is not None and (not r.picked or r.picked_meeting_id == ballot.meeting_id)
    ]


def ballot_card(
    c: Community, ballot: Ballot, meeting: MeetingInfo | None, items: Sequence[Resource]
) -> Card:
    lines = tuple(
        Msg("resources.ballot_line", {"id": r.id, "link": ballot_link(r), "why": ballot_why(r)})
        for r in items
    )
    buttons = tuple(
        Button(
            Msg("resources.vote_button", {"id": r.id, "title": short(r.title)}),
            f"resource vote {r.id}",
        )
        for r in items
    )
    title = (
        Msg("resources.ballot_title", {"meeting": meeting_msg(c, meeting)})
        if meeting
        else Msg("resources.ballot_title_plain")
    )
    return Card(
        title=title,
        body=Msg("common.value", {"value": Lines(lines)}),
        buttons=buttons,
        footer=Msg("resources.ballot_footer", {"closes": when(c, ballot.closes_at)}),
    )


def ballot_key(ballot_id: int) -> str:
    """The tracking key of a ballot's channel post (edited when the vote closes)."""
    return f"resource:ballot:{ballot_id}"


def ballot_post(c: Community, ballot: Ballot, m: MeetingInfo, items: Sequence[Resource]) -> Reply:
    return Reply(
        Msg("resources.vote_opened", {"meeting": meeting_msg(c, m)}),
        card=ballot_card(c, ballot, m, items),
        visibility=Visibility.CHANNEL,
    )


def post_ballot(scope: Scope, ballot: Ballot, m: MeetingInfo, items: Sequence[Resource]) -> None:
    scope.outbox.post(
        scope.c.place, ballot_post(scope.c, ballot, m, items), track=ballot_key(ballot.id)
    )


def closed_ballot(c: Community, m: MeetingInfo, lines: tuple[Msg, ...], footer: Msg) -> Reply:
    """The ballot post once the vote is over: results (or candidates), no buttons."""
    return Reply(
        Msg("resources.ballot_closed_post", {"meeting": meeting_msg(c, m)}),
        card=Card(
            title=Msg("resources.ballot_title", {"meeting": meeting_msg(c, m)}),
            body=Msg("common.value", {"value": Lines(lines)}),
            footer=footer,
        ),
        visibility=Visibility.CHANNEL,
    )


def pick_card(c: Community, meeting: MeetingInfo, items: Sequence[Resource]) -> Card:
    """Candidates with a pick button each (host and facilitator modes)."""
    lines = tuple(
        Msg("resources.ballot_line", {"id": r.id, "link": ballot_link(r), "why": ballot_why(r)})
        for r in items
    )
    return Card(
        title=Msg("resources.pick_card_title", {"meeting": meeting_msg(c, meeting)}),
        body=Msg("common.value", {"value": Lines(lines, empty=Msg("resources.no_candidates"))}),
        buttons=tuple(
            Button(
                Msg("resources.pick_button", {"id": r.id, "title": short(r.title)}),
                f"resource pick {r.id} meeting={meeting.id}",
            )
            for r in items
        ),
    )


def suggester_name(uow: UnitOfWork, r: Resource) -> str | None:
    if r.suggested_by is None:
        return None
    member = uow.members.by_id(r.suggested_by)
    return member.display_name if member else None


def announcement(uow: UnitOfWork, c: Community, r: Resource, m: MeetingInfo) -> Reply:
    fields: list[Field] = []
    name = None if m.chatham else suggester_name(uow, r)
    if name:
        fields.append(Field(Msg("resources.field_suggested_by"), Msg.plain(name)))
    if r.tags:
        fields.append(Field(Msg("resources.field_tags"), Msg.plain(", ".join(r.tags))))
    card = Card(
        title=Msg.plain(label(r)),
        url=r.url,
        body=Msg("resources.why_body", {"why": r.why}) if r.why else None,
        fields=tuple(fields),
    )
    return Reply(
        Msg("resources.announce", {"meeting": meeting_msg(c, m), "id": r.id}),
        card=card,
        visibility=Visibility.CHANNEL,
    )


# ---------------------------------------------------------------- picking


def pick(scope: Scope, r: Resource, m: MeetingInfo, mode: str, *, cancel_jobs: bool) -> None:
    """Make ``r`` the resource of meeting ``m`` (replacing any earlier pick) and announce it."""
    store = repo(scope.uow)
    c, now = scope.c, scope.now()
    previous = store.picked_for(c.id, m.id)
    if previous is not None and previous.id != r.id:
        store.unpick(previous.id)  # back among the candidates
    store.pick(r.id, m.id, m.starts_at, mode, now)
    ballot = store.ballot_for(c.id, m.id)
    if ballot is not None and ballot.status in (*LIVE, PICKING):
        store.update_ballot(ballot.id, status=CLOSED, closed_at=now, picked_resource_id=r.id)
        if ballot.status == OPEN:  # the channel's ballot shows the counts, without buttons
            counts = store.tally(ballot.id)
            items = sorted(
                ballot_resources(scope.uow, c, ballot),
                key=lambda x: (-counts.get(x.id, 0), x.created_at, x.id),
            )
            lines = tuple(
                Msg("resources.result_line", {"link": link(x), "votes": counts.get(x.id, 0)})
                for x in items
            )
            footer = Msg(
                "resources.ballot_picked_footer",
                {"title": label(r), "voters": store.voters(ballot.id)},
            )
            scope.outbox.edit(c.place, ballot_key(ballot.id), closed_ballot(c, m, lines, footer))
    if cancel_jobs:
        scope.uow.jobs.cancel(f"resource:vote:{m.id}:", c.id)
    picked = store.get(c.id, r.id) or r
    scope.post(announcement(scope.uow, c, picked, m))


# ---------------------------------------------------------------- the vote window


def schedule_meeting(scope: Scope, m: MeetingInfo | None) -> None:
    """(Re)plan the opening and closing of ``m``'s vote; idempotent."""
    if m is None or m.status != "scheduled":
        return
    store, c, now = repo(scope.uow), scope.c, scope.now()
    opens, closes = window(scope.settings, m)
    if store.picked_for(c.id, m.id) is not None:
        return  # already decided: a facilitator can still pick another
    ballot = store.ballot_for(c.id, m.id)
    payload = {"meeting_id": m.id}
    if ballot is not None and ballot.status in (*LIVE, PICKING):
        closes = max(closes, now)  # a window moved into the past closes the vote now
        if closes != ballot.closes_at:
            store.update_ballot(ballot.id, closes_at=closes)
            refresh_ballot_post(scope, ballot.id)
    elif ballot is None and closes > now:
        scope.uow.jobs.add(
            JOB_OPEN,
            max(opens, now),
            payload,
            c.id,
            key=f"resource:vote:{m.id}:open",
            expires_at=closes,
        )
    else:
        return  # too late for a vote, or the vote is over
    scope.uow.jobs.add(
        JOB_CLOSE, closes, payload, c.id, key=f"resource:vote:{m.id}:close", expires_at=m.starts_at
    )


def refresh_ballot_post(scope: Scope, ballot_id: int) -> None:
    """Edit an open ballot's channel post to its current candidates and closing time."""
    store, c = repo(scope.uow), scope.c
    ballot = next((b for b in store.live_ballots(c.id) if b.id == ballot_id), None)
    if ballot is None or ballot.status != OPEN:
        return
    m = get_meeting(scope.uow, c.id, ballot.meeting_id)
    if m is None:
        return
    items = ballot_resources(scope.uow, c, ballot)
    scope.outbox.edit(c.place, ballot_key(ballot.id), ballot_post(scope.c, ballot, m, items))


def ensure_upcoming(scope: Scope) -> None:
    for m in upcoming_meetings(scope.uow, scope.c.id, scope.now(), limit=3):
        schedule_meeting(scope, m)


def facilitators(uow: UnitOfWork, c: Community) -> list[Member]:
    return [m for m in uow.members.list(c.id) if m.is_facilitator]


def open_vote(scope: Scope, meeting_id: int) -> None:
    store, c, now = repo(scope.uow), scope.c, scope.now()
    m = get_meeting(scope.uow, c.id, meeting_id)
    if m is None or m.status != "scheduled" or m.starts_at <= now:
        return
    if store.picked_for(c.id, m.id) is not None or store.ballot_for(c.id, m.id) is not None:
        return
    _opens, closes = window(scope.settings, m)
    items = candidates(scope.uow, c, now)
    mode = pick_mode(scope.settings)
    if mode == "vote":
        status = OPEN if items else WAITING
        ballot = store.add_ballot(c.id, m.id, now, closes, status, tuple(r.id for r in items))
        if items:
            post_ballot(scope, ballot, m, items)
        else:
            scope.post(_ask_for_suggestions(c, m, closes))
        return
    store.add_ballot(c.id, m.id, now, closes, PICKING, tuple(r.id for r in items))
    if not items:
        scope.post(_ask_for_suggestions(c, m, closes))
    if mode == "facilitator":
        for f in facilitators(scope.uow, c):
            scope.dm(
                f,
                Reply(
                    Msg("resources.facilitators_pick", {"meeting": meeting_msg(c, m)}),
                    card=pick_card(c, m, items),
                ),
            )


def _ask_for_suggestions(c: Community, m: MeetingInfo, closes: datetime) -> Reply:
    return Reply(
        Msg(
            "resources.ask_for_suggestions",
            {"meeting": meeting_msg(c, m), "closes": when(c, closes)},
        ),
        visibility=Visibility.CHANNEL,
    )


def open_waiting_ballot(scope: Scope, r: Resource) -> bool:
    """A suggestion arriving while the channel was asked for some opens the vote with it."""
    store, c, now = repo(scope.uow), scope.c, scope.now()
    for ballot in store.live_ballots(c.id):
        if ballot.status != WAITING or ballot.closes_at <= now:
            continue
        m = get_meeting(scope.uow, c.id, ballot.meeting_id)
        if m is None or m.status != "scheduled":
            continue
        store.update_ballot(ballot.id, status=OPEN, candidates=(r.id,))
        opened = store.ballot_for(c.id, m.id) or ballot
        post_ballot(scope, opened, m, [r])
        return True
    return False


def close_vote(scope: Scope, meeting_id: int) -> None:
    store, c, now = repo(scope.uow), scope.c, scope.now()
    ballot = store.ballot_for(c.id, meeting_id)
    m = get_meeting(scope.uow, c.id, meeting_id)
    if ballot is None or ballot.status not in (*LIVE, PICKING):
        ensure_upcoming(scope)
        return
    if ballot.status == OPEN:
        items = ballot_resources(scope.uow, c, ballot)
        counts = store.tally(ballot.id)
        best = winner(items, counts)
        store.update_ballot(
            ballot.id,
            status=CLOSED,
            closed_at=now,
            picked_resource_id=best.id if best else None,
        )
        ordered = sorted(items, key=lambda r: (-counts.get(r.id, 0), r.created_at, r.id))
        lines = tuple(
            Msg("resources.result_line", {"link": link(r), "votes": counts.get(r.id, 0)})
            for r in ordered
        )
        key = "resources.vote_closed_results" if best else "resources.vote_closed_no_votes"
        if m is not None:  # the ballot post shows the counts now, without vote buttons
            footer = Msg(
                "resources.ballot_closed_footer",
                {"closed": when(c, now), "voters": store.voters(ballot.id)},
            )
            scope.outbox.edit(c.place, ballot_key(ballot.id), closed_ballot(c, m, lines, footer))
        scope.post(
            Reply(
                Msg(
                    key,
                    {"voters": store.voters(ballot.id), "lines": Lines(lines)},
                ),
                visibility=Visibility.CHANNEL,
            )
        )
        if best is not None and m is not None and m.status == "scheduled":
            pick(scope, best, m, "vote", cancel_jobs=False)
    else:
        store.update_ballot(ballot.id, status=CLOSED, closed_at=now)
        if m is not None and m.status == "scheduled" and store.picked_for(c.id, m.id) is None:
            items = candidates(scope.uow, c, now)
            for f in facilitators(scope.uow, c):
                scope.dm(
                    f,
                    Reply(
                        Msg(
                            "resources.nobody_picked" if items else "resources.nobody_picked_none",
                            {"meeting": meeting_msg(c, m)},
                        ),
                        card=pick_card(c, m, items) if items else None,
                    ),
                )
    ensure_upcoming(scope)


def cancel_meeting(scope: Scope, meeting_id: int) -> None:
    store, c, now = repo(scope.uow), scope.c, scope.now()
    scope.uow.jobs.cancel(f"resource:vote:{meeting_id}:", c.id)
    ballot = store.ballot_for(c.id, meeting_id)
    if ballot is not None and ballot.status in (*LIVE, PICKING):
        store.update_ballot(ballot.id, status="cancelled", closed_at=now)
        if ballot.status == OPEN:
            scope.post(Reply(Msg("resources.vote_cancelled"), visibility=Visibility.CHANNEL))
            m = get_meeting(scope.uow, c.id, meeting_id)
            if m is not None:
                lines = tuple(
                    Msg(
                        "resources.ballot_line",
                        {"id": r.id, "link": ballot_link(r), "why": ballot_why(r)},
                    )
                    for r in ballot_resources(scope.uow, c, ballot)
                )
                footer = Msg("resources.ballot_cancelled_footer")
                scope.outbox.edit(
                    c.place, ballot_key(ballot.id), closed_ballot(c, m, lines, footer)
                )
    picked = store.picked_for(c.id, meeting_id)
    if picked is not None:
        store.unpick(picked.id)


def host_asked(scope: Scope, payload: Mapping[str, Any]) -> None:
    if pick_mode(scope.settings) != "host":
        return
    c = scope.c
    m = get_meeting(scope.uow, c.id, int(payload["meeting_id"]))
    member_id = payload.get("member_id") or (m.host_member_id if m else None)
    if m is None or m.status != "scheduled" or member_id is None:
        return
    if repo(scope.uow).picked_for(c.id, m.id) is not None:
        return
    host = scope.uow.members.by_id(int(member_id))
    if host is None:
        return
    items = candidates(scope.uow, c, scope.now())
    _opens, closes = window(scope.settings, m)
    scope.dm(
        host,
        Reply(
            Msg(
                "resources.host_pick",
                {"meeting": meeting_msg(c, m), "closes": when(c, closes), "id": m.id},
            ),
            card=pick_card(c, m, items),
        ),
    )


def ask_for_ratings(scope: Scope, meeting_id: int) -> None:
    c = scope.c
    r = repo(scope.uow).picked_for(c.id, meeting_id)
    if r is None:
        return
    buttons = tuple(
        Button(Msg("resources.rate_button", {"stars": n}), f"resource rate {r.id} {n}")
        for n in range(1, 6)
    )
    scope.post(
        Reply(
            Msg("resources.rate_ask", {"id": r.id}),
            card=Card(title=Msg.plain(label(r)), url=r.url, buttons=buttons),
            visibility=Visibility.CHANNEL,
        )
    )
