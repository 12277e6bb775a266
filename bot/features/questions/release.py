"""Batches: at each release time, release waiting questions in a shuffled order (when
enough are waiting or the oldest has waited long enough) and, with moderation on, hand
newly arrived questions to facilitators for review. Key rotation runs here too."""

from __future__ import annotations

import secrets
from datetime import datetime

from bot.features.questions.asking import RELEASE_JOB, release_job_key
from bot.features.questions.privacy import ROTATE_JOB, rotate_key
from bot.features.questions.records import (
    APPROVED,
    REVIEW,
    WAITING,
    Question,
    post_key,
    repo,
)
from bot.features.questions.timing import next_slot, release_times
from bot.ports import Community, Member, UnitOfWork
from bot.registry import job
from bot.replies import Button, Card, Field, Reply
from bot.scheduler import JobContext
from bot.settings import Settings
from bot.text import Msg

_RANDOM = secrets.SystemRandom()


def question_card(q: Question, number: int) -> Card:
    fields = (Field(Msg("questions.field_topic"), Msg.plain(q.topic)),) if q.topic else ()
    return Card(
        title=Msg("questions.card_title", {"number": number}),
        body=Msg.plain(q.text),
        fields=fields,
        buttons=(
            Button(
                Msg("questions.upvote_button", {"votes": q.votes}),
                f"questions upvote {number}",
                style="primary",
            ),
        ),
        footer=Msg("questions.card_footer"),
    )


def question_post(q: Question, number: int) -> Reply:
    """Q{number}'s channel post; re-rendered (vote count) when the post is edited."""
    return Reply(Msg("questions.released_post", {"number": number}), card=question_card(q, number))


def release_batch(
    uow: UnitOfWork, community: Community, batch_time: datetime, now: datetime
) -> list[tuple[int, Reply]]:
    """Release what is ready, if the batch rule allows; returns (number, post) pairs."""
    settings = Settings(uow.communities.settings(community.id))
    moderated = settings.raw("questions_moderation") == "on"
    ready_statuses = (APPROVED,) if moderated else (WAITING, REVIEW, APPROVED)
    questions = repo(uow)
    ready = questions.with_status(community.id, ready_statuses)
    min_batch: int = settings.get("questions_min_batch")
    overdue = any(q.release_by is not None and q.release_by <= now for q in ready)
    if not ready or (len(ready) < min_batch and not overdue):
        return []
    _RANDOM.shuffle(ready)  # never arrival order
    number = questions.max_number(community.id)
    posts: list[tuple[int, Reply]] = []
    for q in ready:
        number += 1
        questions.release(q.id, number, batch_time)
        posts.append((number, question_post(q, number)))
    return posts


def review_card(q: Question, review_no: int) -> Card:
    fields = (Field(Msg("questions.field_topic"), Msg.plain(q.topic)),) if q.topic else ()
    return Card(
        title=Msg("questions.review_title", {"review": review_no}),
        body=Msg.plain(q.text),
        fields=fields,
        buttons=(
            Button(Msg("questions.approve_button"), f"questions approve {review_no}", "primary"),
            Button(Msg("questions.reject_button"), f"questions reject {review_no}", "danger"),
        ),
        footer=Msg("questions.review_footer", {"review": review_no}),
    )


def start_review(uow: UnitOfWork, community: Community) -> list[tuple[Member, Reply]]:
    """Moderation: questions that arrived since the last release time go to facilitators,
    all at once, so a review message's timing says nothing about who was online."""
    settings = Settings(uow.communities.settings(community.id))
    if settings.raw("questions_moderation") != "on":
        return []
    questions = repo(uow)
    arrived = questions.with_status(community.id, (WAITING,))
    if not arrived:
        return []
    _RANDOM.shuffle(arrived)
    taken = questions.review_numbers(community.id)
    facilitators = [m for m in uow.members.list(community.id) if m.is_facilitator]
    dms: list[tuple[Member, Reply]] = []
    for q in arrived:
        review_no = _RANDOM.choice([n for n in range(100, 1000) if n not in taken])
        taken.add(review_no)
        questions.set_status(q.id, REVIEW, review_no=review_no)
        for f in facilitators:
            dms.append(
                (
                    f,
                    Reply(
                        Msg("questions.review_dm", {"community": community.name}),
                        card=review_card(q, review_no),
                    ),
                )
            )
    return dms


@job(RELEASE_JOB)
async def release_job(jc: JobContext) -> None:
    community = jc.c
    now = jc.now()
    for number, post in release_batch(jc.uow, community, jc.job.due_at, now):
        # Tracked, so upvotes can update its count and hide / withdraw can remove it.
        jc.post(post, track=post_key(community.id, number))
    for member, reply in start_review(jc.uow, community):
        jc.dm(member, reply)
    times = release_times(jc.settings)
    jc.uow.jobs.add(
        RELEASE_JOB,
        next_slot(now, times, community.timezone),
        community_id=community.id,
        key=release_job_key(community.id),
    )


@job(ROTATE_JOB)
async def rotate_job(jc: JobContext) -> None:
    rotate_key(jc.uow, jc.c.id, jc.now())
