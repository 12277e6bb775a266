"""Resource of the month: members suggest, the group picks, the meeting discusses it,
the library grows.

Read in this order: ``commands`` (what members type), ``flow`` (the vote window around
each meeting, picks and announcements), and below the events, jobs, agenda slot and
forget-me hook that tie the feature to meetings and the scheduler.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.context import Context
from bot.features.meetings.api import get_meeting
from bot.features.resources import commands, flow
from bot.features.resources.records import repo
from bot.features.resources.title_lookup import fetcher_for
from bot.ports import Community, Member, UnitOfWork
from bot.registry import agenda_slot, forget, job, on
from bot.scheduler import JobContext
from bot.text import Msg

__all__ = ["commands", "flow"]

Scope = Context | JobContext


# ---------------------------------------------------------------- meeting events


@on("meeting.scheduled")
async def _meeting_scheduled(scope: Scope, payload: Mapping[str, Any]) -> None:
    flow.schedule_meeting(scope, get_meeting(scope.uow, scope.c.id, int(payload["meeting_id"])))


@on("meeting.moved")
async def _meeting_moved(scope: Scope, payload: Mapping[str, Any]) -> None:
    m = get_meeting(scope.uow, scope.c.id, int(payload["meeting_id"]))
    if m is None:
        return
    repo(scope.uow).move_meeting(scope.c.id, m.id, m.starts_at)
    flow.schedule_meeting(scope, m)


@on("meeting.cancelled")
async def _meeting_cancelled(scope: Scope, payload: Mapping[str, Any]) -> None:
    flow.cancel_meeting(scope, int(payload["meeting_id"]))


@on("community.settings_changed")
async def _settings_changed(scope: Scope, payload: Mapping[str, Any]) -> None:
    """A new vote window re-plans the votes of the meetings already scheduled."""
    if any(str(key).startswith("resource_vote_") for key in payload.get("keys", ())):
        flow.ensure_upcoming(scope)


@on("meeting.host_confirmed")
async def _host_confirmed(scope: Scope, payload: Mapping[str, Any]) -> None:
    flow.host_asked(scope, payload)


@on("meeting.notes")
async def _meeting_notes(scope: Scope, payload: Mapping[str, Any]) -> None:
    flow.ask_for_ratings(scope, int(payload["meeting_id"]))


# ---------------------------------------------------------------- jobs


@job(flow.JOB_OPEN)
async def _vote_open(ctx: JobContext) -> None:
    flow.open_vote(ctx, int(ctx.job.payload["meeting_id"]))


@job(flow.JOB_CLOSE)
async def _vote_close(ctx: JobContext) -> None:
    flow.close_vote(ctx, int(ctx.job.payload["meeting_id"]))


@job(flow.JOB_TITLE)
async def _lookup_title(ctx: JobContext) -> None:
    """Fetch the page's title (see adapters/web_titles.py); a failure keeps the fallback."""
    fetcher = fetcher_for(ctx.core)
    if fetcher is None:
        return
    r = repo(ctx.uow).get(ctx.c.id, int(ctx.job.payload["resource_id"]))
    if r is None or r.title_given:
        return
    title = await fetcher.fetch_title(r.url)
    if title:
        repo(ctx.uow).set_title(r.id, title)


# ---------------------------------------------------------------- agenda and reminders


@agenda_slot("resource")
def _agenda(uow: UnitOfWork, community: Community, meeting_id: int) -> list[Msg]:
    r = repo(uow).picked_for(community.id, meeting_id)
    if r is None:
        return []
    return [Msg("resources.agenda_line", {"link": flow.link(r), "why": flow.why_part(r)})]


# ---------------------------------------------------------------- forget-me


@forget
def _forget(uow: UnitOfWork, member: Member) -> list[Msg]:
    """Unpicked suggestions go; picked ones stay in the library without the name."""
    store = repo(uow)
    counts = store.count_member_data(member.id)
    removed = kept = 0
    for r in store.by_suggester(member.id):
        if r.picked:
            kept += 1
            continue
        for ballot in store.live_ballots(r.community_id):
            if r.id in ballot.candidates:
                remaining = tuple(i for i in ballot.candidates if i != r.id)
                store.update_ballot(ballot.id, candidates=remaining)
        store.delete(r.id)
        removed += 1
    said: list[Msg] = []
    if removed:
        said.append(Msg("resources.forgot_suggestions", {"count": removed}))
    if kept:
        said.append(Msg("resources.forgot_kept", {"count": kept}))
    if counts["votes"] or counts["ratings"]:
        said.append(
            Msg("resources.forgot_votes", {"votes": counts["votes"], "ratings": counts["ratings"]})
        )
    if counts["whys"]:
        said.append(Msg("resources.forgot_whys", {"count": counts["whys"]}))
    return said
