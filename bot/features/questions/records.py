"""The questions feature's records and the repository protocol its storage implements.

Nothing here (or in storage/questions.py) holds an author's identity. Tokens are HMACs of
``"{community_id}:{user_id}"`` under the community's current key; every token row is
deleted when the key rotates (see bot/features/questions/privacy.py and docs/privacy.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, cast

from bot.ports import UnitOfWork

# Life of a question. WAITING: asked, seen by nobody yet. REVIEW: shown to facilitators
# (moderation on). APPROVED: reviewed, waiting for a batch. OPEN: released in the channel.
WAITING = "waiting"
REVIEW = "review"
APPROVED = "approved"
REJECTED = "rejected"
OPEN = "open"
ANSWERED = "answered"
HIDDEN = "hidden"
WITHDRAWN = "withdrawn"
RELEASED = (OPEN, ANSWERED)
UNRELEASED = (WAITING, REVIEW, APPROVED)


def post_key(community_id: int, number: int) -> str:
    """The tracking key of Q{number}'s channel post (a number, never an author)."""
    return f"question:{community_id}:{number}"


@dataclass(frozen=True)
class Question:
    id: int  # random, so row ids do not reveal the order questions arrived in
    community_id: int
    number: int | None  # Q7: given at release, in the batch's shuffled order
    status: str
    text: str
    topic: str | None
    votes: int
    release_by: datetime | None  # the release slot it must go out at; cleared at release
    released_at: datetime | None  # the batch's release time (nothing finer is kept)
    review_no: int | None  # random number facilitators review it by (moderation)
    answer: str | None
    reason: str | None  # rejection reason, shown to the author by `ask status`


@dataclass(frozen=True)
class QuestionKey:
    community_id: int
    epoch: int
    secret: str  # hex; overwritten (not kept) at rotation
    rotates_at: datetime


class QuestionRepo(Protocol):
    # keys and tokens
    def key(self, community_id: int) -> QuestionKey | None: ...
    def save_key(
        self, community_id: int, epoch: int, secret: str, rotates_at: datetime
    ) -> QuestionKey: ...
    def purge_tokens(self, community_id: int) -> None: ...
    def asked_today(self, community_id: int, token: str, day: str) -> int: ...
    def count_ask(self, community_id: int, epoch: int, token: str, day: str) -> None: ...
    def blocked_until(self, community_id: int, token: str, now: datetime) -> datetime | None: ...
    def block(self, community_id: int, epoch: int, token: str, until: datetime) -> None: ...
    def set_blockable(self, question_id: int, epoch: int, token: str) -> None: ...
    def blockable(self, question_id: int) -> tuple[int, str] | None: ...
    def add_vote(self, question_id: int, epoch: int, token: str) -> bool: ...
    # questions
    def add(
        self,
        community_id: int,
        text: str,
        topic: str | None,
        code_hash: str,
        release_by: datetime,
    ) -> Question: ...
    def get(self, question_id: int) -> Question | None: ...
    def by_number(self, community_id: int, number: int) -> Question | None: ...
    def by_code(self, code_hash: str) -> Question | None: ...
    def by_review(self, community_id: int, review_no: int) -> Question | None: ...
    def with_status(self, community_id: int, statuses: tuple[str, ...]) -> list[Question]: ...
    def top(self, community_id: int, statuses: tuple[str, ...], limit: int) -> list[Question]: ...
    def max_number(self, community_id: int) -> int: ...
    def release(self, question_id: int, number: int, released_at: datetime) -> None: ...
    def set_status(
        self,
        question_id: int,
        status: str,
        *,
        review_no: int | None = None,
        reason: str | None = None,
        answer: str | None = None,
    ) -> None: ...
    def erase(self, question_id: int, status: str) -> None: ...
    def review_numbers(self, community_id: int) -> set[int]: ...


def repo(uow: UnitOfWork) -> QuestionRepo:
    return cast(QuestionRepo, uow.questions)
