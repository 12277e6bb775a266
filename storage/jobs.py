"""Due-work rows and the atomic claim that keeps two workers from running one job.

SQLite: a single ``UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING`` statement; SQLite
serialises writers, so a row is claimed once. PostgreSQL: the inner select takes its rows
``FOR UPDATE SKIP LOCKED``, so concurrent ticks claim disjoint batches without waiting.
A claim older than the lease is treated as abandoned (its worker died) and is claimed again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, text, update
from sqlmodel import Session, col, delete, select

from bot.ports import DueJob
from storage.models import JobRow


def _due(row: JobRow) -> DueJob:
    return DueJob(
        id=row.id or 0,
        community_id=row.community_id,
        kind=row.kind,
        payload=dict(row.payload),
        due_at=row.due_at,
        key=row.key,
    )


class SqlJobRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(
        self,
        kind: str,
        due_at: datetime,
        payload: Mapping[str, Any] | None = None,
        community_id: int | None = None,
        key: str | None = None,
        expires_at: datetime | None = None,
    ) -> int:
        if key is not None:
            self.s.exec(
                delete(JobRow).where(
                    col(JobRow.key) == key,
                    col(JobRow.done_at).is_(None),
                    col(JobRow.claimed_by).is_(None),
                )
            )
        row = JobRow(
            kind=kind,
            key=key,
            payload=dict(payload or {}),
            due_at=due_at,
            expires_at=expires_at,
            community_id=community_id,
        )
        self.s.add(row)
        self.s.flush()
        assert row.id is not None
        return row.id

    def cancel(self, key_prefix: str, community_id: int | None = None) -> int:
        conditions = [
            col(JobRow.key).startswith(key_prefix, autoescape=True),
            col(JobRow.done_at).is_(None),
        ]
        if community_id is not None:
            conditions.append(col(JobRow.community_id) == community_id)
        result = self.s.exec(delete(JobRow).where(*conditions))
        self.s.flush()
        return int(result.rowcount or 0)

    def pending(self, key_prefix: str, community_id: int | None = None) -> list[DueJob]:
        query = select(JobRow).where(
            col(JobRow.key).startswith(key_prefix, autoescape=True), col(JobRow.done_at).is_(None)
        )
        if community_id is not None:
            query = query.where(col(JobRow.community_id) == community_id)
        return [_due(r) for r in self.s.exec(query.order_by(col(JobRow.due_at))).all()]

    def next_due(self) -> datetime | None:
        return self.s.exec(
            select(func.min(JobRow.due_at)).where(col(JobRow.done_at).is_(None))
        ).first()

    def claim(self, worker: str, now: datetime, lease_seconds: float, limit: int) -> list[DueJob]:
        stale = now - timedelta(seconds=lease_seconds)
        candidates = (
            select(JobRow.id)
            .where(
                col(JobRow.done_at).is_(None),
                col(JobRow.due_at) <= now,
                or_(col(JobRow.claimed_at).is_(None), col(JobRow.claimed_at) < stale),
            )
            .order_by(col(JobRow.due_at), col(JobRow.id))
            .limit(limit)
        )
        if self.s.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
            # The claim need not wait for its WAL flush: if the server lost it in a crash,
            # the job is simply unclaimed again, and nothing it did can have been committed
            # (finishing a job commits synchronously, which flushes this claim first).
            self.s.connection().execute(text("SET LOCAL synchronous_commit TO OFF"))
        stmt = (
            update(JobRow)
            .where(col(JobRow.id).in_(candidates.scalar_subquery()))
            .values(claimed_by=worker, claimed_at=now, attempts=JobRow.attempts + 1)
            .returning(
                col(JobRow.id),
                col(JobRow.community_id),
                col(JobRow.kind),
                col(JobRow.payload),
                col(JobRow.due_at),
                col(JobRow.key),
                col(JobRow.expires_at),
            )
            .execution_options(synchronize_session=False)
        )
        rows = self.s.connection().execute(stmt).all()
        jobs: list[DueJob] = []
        for r in sorted(rows, key=lambda r: (r.due_at, r.id)):
            if r.expires_at is not None and r.expires_at <= now:
                # Fell due while the bot was down and is now pointless (meeting started).
                self._mark_done(r.id, worker, now, error="expired")
                continue
            jobs.append(DueJob(r.id, r.community_id, r.kind, dict(r.payload), r.due_at, r.key))
        return jobs

    def _mark_done(self, job_id: int, worker: str, now: datetime, error: str | None = None) -> bool:
        result = self.s.connection().execute(
            update(JobRow)
            .where(
                and_(
                    col(JobRow.id) == job_id,
                    col(JobRow.claimed_by) == worker,
                    col(JobRow.done_at).is_(None),
                )
            )
            .values(done_at=now, last_error=error)
        )
        return bool(result.rowcount)

    def finish(self, job_id: int, worker: str, now: datetime) -> bool:
        """Mark a job done; False if this worker no longer holds it (its lease ran out and
        another worker reclaimed it), in which case the caller must roll back."""
        return self._mark_done(job_id, worker, now)

    def release(self, job_id: int, worker: str, retry_at: datetime, error: str) -> None:
        self.s.connection().execute(
            update(JobRow)
            .where(and_(col(JobRow.id) == job_id, col(JobRow.claimed_by) == worker))
            .values(claimed_by=None, claimed_at=None, due_at=retry_at, last_error=error[:500])
        )

    def attempts(self, job_id: int) -> int:
        row = self.s.get(JobRow, job_id)
        return row.attempts if row else 0
