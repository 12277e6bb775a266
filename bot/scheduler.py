"""Durable scheduling: due work lives in the database, one tick claims and runs it.

Each job runs in its own transaction together with marking it done, and its messages go
out only after that commit: a crash before the commit leaves the job to be reclaimed after
the lease; a crash after it cannot send the job twice. A failing job is retried with
backoff, then given up with its error recorded. The periodic driver (APScheduler) lives in
adapters/runtime.py; the console and tests call ``run_until`` with a manual clock.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.clock import ManualClock
from bot.ports import Community, DueJob, Member, UnitOfWork
from bot.replies import Outbox, Reply
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass
class JobContext:
    core: Core
    uow: UnitOfWork
    job: DueJob
    community: Community | None
    outbox: Outbox = field(default_factory=Outbox)

    def now(self) -> datetime:
        return self.core.clock.now()

    @property
    def c(self) -> Community:
        if self.community is None:
            raise LookupError("job has no community")
        return self.community

    @property
    def settings(self) -> Settings:
        return Settings(self.uow.communities.settings(self.c.id))

    def post(self, reply: Reply, mentions: tuple[str, ...] = (), track: str | None = None) -> None:
        self.outbox.post(self.c.place, reply, mentions, track)

    def edit_post(self, track: str, reply: Reply) -> None:
        self.outbox.edit(self.c.place, track, reply)

    def delete_post(self, track: str) -> None:
        self.outbox.delete(self.c.place, track)

    def dm(self, member: Member, reply: Reply) -> None:
        self.outbox.dm(self.c.place, member.user_id, reply)


class Scheduler:
    def __init__(
        self,
        core: Core,
        worker: str | None = None,
        lease: timedelta = timedelta(minutes=5),
        batch: int = 100,
    ) -> None:
        self.core = core
        self.worker = worker or f"worker-{uuid.uuid4().hex[:12]}"
        self.lease = lease
        self.batch = batch

    def claim(self) -> list[DueJob]:
        with self.core.uow_factory() as uow:
            jobs = uow.jobs.claim(
                self.worker, self.core.clock.now(), self.lease.total_seconds(), self.batch
            )
            uow.commit()
        return jobs

    async def tick(self) -> int:
        """Claim what is due and run it; returns how many jobs ran."""
        ran = 0
        while True:
            jobs = self.claim()
            for job in jobs:
                await self.run(job)
                ran += 1
            if len(jobs) < self.batch:
                return ran

    async def run(self, job: DueJob) -> None:
        handler = self.core.registry.jobs.get(job.kind)
        now = self.core.clock.now()
        outbox: Outbox | None = None
        try:
            with self.core.uow_factory() as uow:
                community = uow.communities.by_id(job.community_id) if job.community_id else None
                if handler is None:
                    log.error("no handler for job kind %s (job %s)", job.kind, job.id)
                else:
                    ctx = JobContext(self.core, uow, job, community)
                    await handler(ctx)
                    outbox = ctx.outbox
                if not uow.jobs.finish(job.id, self.worker, now):
                    # Our lease ran out and another worker took the job: its run counts.
                    log.warning("job %s was reclaimed by another worker; dropping ours", job.id)
                    uow.rollback()
                    return
                uow.commit()
        except Exception as exc:
            log.exception("job %s (%s) failed", job.id, job.kind)
            self._retry_or_give_up(job, now, exc)
            return
        if outbox is not None:
            await self.core.deliver(outbox.items)

    def _retry_or_give_up(self, job: DueJob, now: datetime, exc: Exception) -> None:
        with self.core.uow_factory() as uow:
            attempts = uow.jobs.attempts(job.id)
            if attempts >= MAX_ATTEMPTS:
                uow.jobs.finish(job.id, self.worker, now)
            else:
                backoff = timedelta(minutes=2**attempts)
                uow.jobs.release(job.id, self.worker, now + backoff, type(exc).__name__)
            uow.commit()

    def next_due(self) -> datetime | None:
        with self.core.uow_factory() as uow:
            return uow.jobs.next_due()

    async def run_until(self, clock: ManualClock, target: datetime) -> int:
        """Move a manual clock to ``target``, stopping at each due time to run its work."""
        ran = 0
        while True:
            due = self.next_due()
            if due is None or due > target:
                break
            if due > clock.now():
                clock.set(due)
            count = await self.tick()
            ran += count
            if count == 0 and (self.next_due() or target) <= clock.now():
                # Only claimed-by-others or leased rows remain due: nothing more to do now.
                break
        if target > clock.now():
            clock.set(target)
        ran += await self.tick()
        return ran
