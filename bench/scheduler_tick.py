"""How long one scheduler tick takes to find and claim due work among 100,000 pending rows.

Fills a fresh database with 100,000 pending job rows due over the coming year, then, for
each round, makes 20 rows due, times the tick's claim (open a transaction, the atomic
``UPDATE … RETURNING`` claim, commit), and marks them done so the pending count stays at
100,000. Also times an idle tick (nothing due), which is what most ticks are.

SQLite always (a temporary file); PostgreSQL too when COPBOT_TEST_DATABASE_URL is set (in
a throwaway schema). Target: a claim under 20 ms. Prints a table and exits 0.

    .venv/bin/python bench/scheduler_tick.py [--rows 100000] [--rounds 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, insert, text, update
from sqlmodel import col

from bot.clock import ManualClock
from bot.commands import Registry
from bot.core import Core
from bot.ports import Delivery
from bot.replies import Outgoing
from bot.scheduler import Scheduler
from storage.db import make_engine, migrate
from storage.models import CommunityRow, JobRow
from storage.uow import SqlUnitOfWorkFactory

START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
TARGET_MS = 20.0
DUE_PER_ROUND = 20


class NullChat:
    async def send(self, message: Outgoing) -> Delivery:
        return Delivery(ok=True)


@contextmanager
def sqlite_engine() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def postgres_engine(url: str) -> Iterator[Engine]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def fill(engine: Engine, rows: int) -> int:
    with engine.begin() as conn:
        community_id = conn.execute(
            insert(CommunityRow)
            .values(
                platform="bench",
                workspace="W",
                channel="C",
                name="Bench",
                timezone="UTC",
                created_at=START,
            )
            .returning(col(CommunityRow.id))
        ).scalar_one()
        batch = []
        for n in range(rows):
            due = START + timedelta(minutes=1 + (n * 525_600) // rows)  # over the next year
            batch.append(
                {
                    "community_id": community_id,
                    "kind": "bench.noop",
                    "key": f"bench:{n}",
                    "payload": {"n": n},
                    "due_at": due,
                    "expires_at": None,
                    "attempts": 0,
                }
            )
            if len(batch) == 10_000:
                conn.execute(insert(JobRow), batch)
                batch = []
        if batch:
            conn.execute(insert(JobRow), batch)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE job"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return int(community_id)


def make_due(engine: Engine, community_id: int, now: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(JobRow),
            [
                {
                    "community_id": community_id,
                    "kind": "bench.noop",
                    "payload": {},
                    "due_at": now - timedelta(seconds=1),
                    "attempts": 0,
                }
                for _ in range(DUE_PER_ROUND)
            ],
        )


def mark_done(engine: Engine, ids: list[int], now: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(update(JobRow).where(col(JobRow.id).in_(ids)).values(done_at=now))


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def plan(engine: Engine) -> str:
    if engine.dialect.name != "sqlite":
        return ""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT id FROM job WHERE done_at IS NULL AND due_at <= :now "
                "AND (claimed_at IS NULL OR claimed_at < :stale) ORDER BY due_at, id LIMIT 100"
            ),
            {"now": START, "stale": START},
        ).all()
    return "; ".join(str(r[-1]) for r in rows)


def bench(name: str, engine: Engine, rows: int, rounds: int) -> dict[str, float | str]:
    migrate(engine)
    t0 = time.perf_counter()
    community_id = fill(engine, rows)
    fill_s = time.perf_counter() - t0
    clock = ManualClock(START)
    core = Core(Registry(), SqlUnitOfWorkFactory(engine), clock, NullChat())
    scheduler = Scheduler(core, worker="bench")
    claim_ms: list[float] = []
    idle_ms: list[float] = []
    for _ in range(5):  # warm the connection pool and caches
        scheduler.claim()
    for _ in range(rounds):
        ms, _ = timed(scheduler.claim)
        idle_ms.append(ms)
        make_due(engine, community_id, clock.now())
        ms, claimed = timed(scheduler.claim)
        assert isinstance(claimed, list) and len(claimed) == DUE_PER_ROUND, len(claimed)
        claim_ms.append(ms)
        mark_done(engine, [j.id for j in claimed], clock.now())
    return {
        "backend": name,
        "pending": rows,
        "fill_s": fill_s,
        "claim_median": statistics.median(claim_ms),
        "claim_p99": percentile(claim_ms, 99),
        "idle_median": statistics.median(idle_ms),
        "idle_p99": percentile(idle_ms, 99),
        "plan": plan(engine),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    results = []
    with sqlite_engine() as engine:
        results.append(bench("sqlite", engine, args.rows, args.rounds))
    pg_url = os.environ.get("COPBOT_TEST_DATABASE_URL")
    if pg_url:
        with postgres_engine(pg_url) as engine:
            results.append(bench("postgresql", engine, args.rows, args.rounds))
    else:
        print("(PostgreSQL skipped: set COPBOT_TEST_DATABASE_URL to include it)")
    print(
        f"\nscheduler tick: find and claim {DUE_PER_ROUND} due rows among "
        f"{args.rows:,} pending ({args.rounds} rounds; target < {TARGET_MS:.0f} ms)\n"
    )
    header = (
        f"{'backend':<11} {'pending':>9} {'claim median':>13} {'claim p99':>10} "
        f"{'idle median':>12} {'idle p99':>9} {'fill':>7}  target"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        met = "met" if float(r["claim_p99"]) < TARGET_MS else "MISSED"
        print(
            f"{r['backend']:<11} {r['pending']:>9,} {r['claim_median']:>10.2f} ms "
            f"{r['claim_p99']:>7.2f} ms {r['idle_median']:>9.2f} ms {r['idle_p99']:>6.2f} ms "
            f"{r['fill_s']:>5.1f} s  {met}"
        )
    for r in results:
        if r["plan"]:
            print(f"\n{r['backend']} claim query plan: {r['plan']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
