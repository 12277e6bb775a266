"""Keyed tokens: how the bot recognises a member (limits, blocks, upvotes) without knowing who.

A token is HMAC-SHA256 of ``"{community_id}:{user_id}"`` under the community's current
random key. When the key rotates (default every 7 days, a durable job) the old key is
overwritten and every token row is deleted, so afterwards nobody, not even whoever holds
the database and the server, can recompute which member a stored token belonged to.
Withdraw codes are random and stored only as SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from bot.features.questions.records import QuestionKey, repo
from bot.features.questions.timing import release_times, slot_at_or_before
from bot.ports import UnitOfWork
from bot.settings import Settings

ROTATE_JOB = "questions-rotate"


def rotate_key(uow: UnitOfWork, community_id: int, now: datetime) -> QuestionKey:
    """Replace the key (the old one is overwritten) and delete every token made with it."""
    settings = Settings(uow.communities.settings(community_id))
    every: timedelta = settings.get("questions_key_rotation")
    questions = repo(uow)
    old = questions.key(community_id)
    # Rotate at a release time (the last one within the period), so the key's timestamps
    # say nothing about when anyone asked and the window is never longer than the setting.
    community = uow.communities.by_id(community_id)
    tz = community.timezone if community else "UTC"
    rotates_at = max(
        slot_at_or_before(now + every, release_times(settings), tz), now + timedelta(hours=1)
    )
    questions.purge_tokens(community_id)
    key = questions.save_key(
        community_id,
        (old.epoch + 1) if old else 1,
        secrets.token_hex(32),
        rotates_at,
    )
    uow.jobs.add(
        ROTATE_JOB,
        key.rotates_at,
        community_id=community_id,
        key=rotate_job_key(community_id),
    )
    return key


def rotate_job_key(community_id: int) -> str:
    return f"questions:rotate:{community_id}:"


def current_key(uow: UnitOfWork, community_id: int, now: datetime) -> QuestionKey:
    """The community's key, made on first use and rotated here if its job is late."""
    key = repo(uow).key(community_id)
    if key is None or key.rotates_at <= now:
        key = rotate_key(uow, community_id, now)
    return key


def token(key: QuestionKey, user_id: str) -> str:
    message = f"{key.community_id}:{user_id}".encode()
    return hmac.new(bytes.fromhex(key.secret), message, hashlib.sha256).hexdigest()


def new_code() -> str:
    return secrets.token_urlsafe(9)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()
