"""Draft questions written to the bot in a direct message: held in memory only.

A draft lives for 10 minutes in this process's memory, under one random token per
community it could go to; it is never written to the database or logged. The token maps
to the words and the community only, never to who wrote them.
"""

from __future__ import annotations

import secrets
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

DRAFT_LIFETIME = timedelta(minutes=10)


@dataclass(frozen=True)
class Draft:
    text: str
    community_id: int
    expires_at: datetime


class DraftStore:
    def __init__(self) -> None:
        self._drafts: dict[str, Draft] = {}

    def _prune(self, now: datetime) -> None:
        for tok in [t for t, d in self._drafts.items() if d.expires_at <= now]:
            del self._drafts[tok]

    def hold(self, text: str, community_id: int, now: datetime) -> str:
        self._prune(now)
        tok = secrets.token_urlsafe(12)
        self._drafts[tok] = Draft(text, community_id, now + DRAFT_LIFETIME)
        return tok

    def take(self, tok: str, now: datetime) -> Draft | None:
        """The draft, removed so it can be sent once; None if unknown or expired."""
        self._prune(now)
        return self._drafts.pop(tok, None)

    def put_back(self, tok: str, draft: Draft) -> None:
        """Keep a draft whose sending was refused (e.g. the daily limit) until it expires."""
        self._drafts[tok] = draft

    def __len__(self) -> int:
        return len(self._drafts)


_STORES: weakref.WeakKeyDictionary[object, DraftStore] = weakref.WeakKeyDictionary()


def drafts_for(core: object) -> DraftStore:
    """The drafts held by one running bot (one core), in its memory only."""
    store = _STORES.get(core)
    if store is None:
        store = _STORES[core] = DraftStore()
    return store
