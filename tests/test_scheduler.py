"""The durable scheduler: due work is rows; a crash, a restart or a second bot process
neither loses an item nor runs it twice."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import select

from adapters.runtime import start_ticker
from bot.registry import REGISTRY
from bot.replies import ChannelPost, Reply
from bot.scheduler import JobContext
from bot.text import Msg
from storage.models import JobRow
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import START
from tests.fakes import Harness

RECORD = "test.record"
CRASH_ON: set[int] = set()  # payload numbers whose next run kills the "process"


class Crash(BaseException):
    """Stands in for the process dying (not an Exception: the scheduler can't catch it)."""


@REGISTRY.job(RECORD)
async def _record(ctx: JobContext) -> None:
    n = int(ctx.job.payload["n"])
    if n in CRASH_ON:
        CRASH_ON.discard(n)
        raise Crash
    ctx.post(Reply(Msg.plain(f"item {n}")))


def add_items(bot: Harness, count: int, due: timedelta = timedelta(0)) -> None:
    with bot.core.uow_factory() as uow:
        community = uow.communities.all()[0]
        for n in range(count):
            uow.jobs.add(RECORD, bot.clock.now() + due, {"n": n}, community_id=community.id)
        uow.commit()


def delivered(*bots: Harness) -> Counter[str]:
    seen: Counter[str] = Counter()
    for bot in bots:
        for m in bot.chat.sent:
            if isinstance(m, ChannelPost) and m.reply.text.key == "common.value":
                seen[str(m.reply.text.data["value"])] += 1
    return seen


def pending_rows(engine: Engine) -> int:
    with SqlUnitOfWorkFactory(engine)() as uow:
        assert uow.session is not None
        rows = uow.session.exec(select(JobRow).where(JobRow.kind == RECORD)).all()
        return sum(1 for r in rows if r.done_at is None)


async def test_restart_during_a_run_loses_nothing_and_duplicates_nothing(
    any_engine: Engine,
) -> None:
    engine = any_engine
    first = Harness(engine, START, worker="before-restart")
    await first.setup()
    add_items(first, 10)
    CRASH_ON.add(5)
    try:
        await first.app.scheduler.tick()
        raise AssertionError("the crash should have propagated")
    except Crash:
        pass  # the process died half-way through its batch
    assert delivered(first) == Counter({f"item {n}": 1 for n in range(5)})

    second = Harness(engine, START, worker="after-restart")  # restart on the same database
    assert await second.app.scheduler.tick() == 0  # the dead worker's claims are still leased
    second.clock.advance(second.app.scheduler.lease + timedelta(seconds=1))
    assert await second.app.scheduler.tick() == 5
    total = delivered(first, second)
    assert total == Counter({f"item {n}": 1 for n in range(10)})
    assert pending_rows(engine) == 0


async def test_a_worker_whose_lease_ran_out_cannot_finish_a_reclaimed_job(
    any_engine: Engine,
) -> None:
    engine = any_engine
    slow = Harness(engine, START, worker="slow")
    await slow.setup()
    add_items(slow, 1)
    [job] = slow.app.scheduler.claim()  # claimed, then the worker stalls
    other = Harness(engine, START, worker="other")
    other.clock.advance(timedelta(minutes=1))
    assert await other.app.scheduler.tick() == 0
    other.clock.advance(timedelta(minutes=5))
    assert await other.app.scheduler.tick() == 1
    slow.clock.set(other.clock.now())
    await slow.app.scheduler.run(job)  # wakes up: its finish is refused, its posts dropped
    assert delivered(slow, other) == Counter({"item 0": 1})


async def test_failing_jobs_are_retried_with_backoff(bot: Harness) -> None:
    await bot.setup()
    calls: list[int] = []

    async def flaky(ctx: JobContext) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("temporary")
        ctx.post(Reply(Msg.plain("flaky done")))

    REGISTRY.jobs["test.flaky"] = flaky
    try:
        with bot.core.uow_factory() as uow:
            uow.jobs.add("test.flaky", bot.clock.now(), {}, community_id=1)
            uow.commit()
        await bot.app.scheduler.tick()
        assert len(calls) == 1
        await bot.advance("1h")
        assert len(calls) == 3 and bot.chat.channel() == ["flaky done"]
    finally:
        del REGISTRY.jobs["test.flaky"]


async def test_catch_up_on_start_drops_reminders_whose_meeting_already_started(
    any_engine: Engine,
) -> None:
    engine = any_engine
    bot = Harness(engine, START)
    await bot.setup()
    await bot.say("alice", '/cop meeting schedule when="2027-01-20 14:00" title="Club"')
    await bot.press("bob", "meeting rsvp 1 yes")
    bot.chat.clear()
    # The bot is down from now until after the meeting has started.
    restarted = Harness(engine, START + timedelta(days=16, hours=6), worker="restarted")
    ticker = await start_ticker(restarted.app, interval=3600)
    try:
        texts = restarted.chat.channel() + restarted.chat.dms("bob")
        assert not [t for t in texts if t.startswith("Reminder")]
        assert any("write the notes" in t for t in restarted.chat.dms("alice"))
        with SqlUnitOfWorkFactory(engine)() as uow:
            assert uow.session is not None
            rows = uow.session.exec(select(JobRow).where(JobRow.kind == "meeting.reminder"))
            assert [(r.done_at is not None, r.last_error) for r in rows] == [(True, "expired")]
    finally:
        ticker.shutdown(wait=False)


async def test_catch_up_sends_one_late_reminder_before_the_meeting_not_each_missed_one(
    engine: Engine,
) -> None:
    bot = Harness(engine, START)
    await bot.setup()
    await bot.say("alice", '/cop meeting schedule when="2027-01-20 14:00" title="Club"')
    # Down through both the 7d and the 1d reminder; back 6 hours before the meeting.
    restarted = Harness(engine, START + timedelta(days=16, hours=-1), worker="restarted")
    await restarted.app.scheduler.tick()
    assert len([t for t in restarted.chat.channel() if t.startswith("Reminder")]) == 1


def _drain_in_thread(bot: Harness, results: list[BaseException]) -> threading.Thread:
    async def drain() -> None:
        while await bot.app.scheduler.tick():
            pass

    def target() -> None:
        try:
            asyncio.run(drain())
        except BaseException as exc:  # surfaced by the test
            results.append(exc)

    return threading.Thread(target=target)


async def _two_workers_exactly_once(first: Harness, second: Harness, count: int) -> None:
    await first.setup()
    add_items(first, count)
    for bot in (first, second):
        bot.app.scheduler.batch = 7  # small batches: the workers interleave
    errors: list[BaseException] = []
    threads = [_drain_in_thread(b, errors) for b in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    # And once more, in one event loop, with nothing left to do.
    assert await asyncio.gather(first.app.scheduler.tick(), second.app.scheduler.tick()) == [0, 0]
    assert delivered(first, second) == Counter({f"item {n}": 1 for n in range(count)})
    assert delivered(first) and delivered(second)  # both really worked


async def test_two_schedulers_on_one_postgresql_deliver_each_item_exactly_once(
    pg_engine_factory: tuple[Engine, Callable[[], Engine]],
) -> None:
    engine, another = pg_engine_factory
    first = Harness(engine, START, worker="bot-1")
    second = Harness(another(), START, worker="bot-2")
    await _two_workers_exactly_once(first, second, 300)
    assert pending_rows(engine) == 0


async def test_two_schedulers_gathered_in_one_loop_on_postgresql_deliver_once(
    pg_engine_factory: tuple[Engine, Callable[[], Engine]],
) -> None:
    engine, another = pg_engine_factory
    first = Harness(engine, START, worker="bot-1")
    second = Harness(another(), START, worker="bot-2")
    await first.setup()
    add_items(first, 50)
    first.app.scheduler.batch = second.app.scheduler.batch = 5
    await asyncio.gather(first.app.scheduler.tick(), second.app.scheduler.tick())
    assert delivered(first, second) == Counter({f"item {n}": 1 for n in range(50)})


async def test_two_processes_on_one_sqlite_file_deliver_each_item_exactly_once(
    engine: Engine, tmp_path: object
) -> None:
    from storage.db import make_engine

    other_engine = make_engine(str(engine.url))
    try:
        first = Harness(engine, START, worker="proc-1")
        second = Harness(other_engine, START, worker="proc-2")
        await _two_workers_exactly_once(first, second, 120)
    finally:
        other_engine.dispose()


async def test_run_until_stops_at_each_due_time_with_the_clock_set_to_it(bot: Harness) -> None:
    await bot.setup()
    seen: list[str] = []

    async def stamp(ctx: JobContext) -> None:
        seen.append(ctx.now().isoformat())

    REGISTRY.jobs["test.stamp"] = stamp
    try:
        with bot.core.uow_factory() as uow:
            for hours in (5, 1, 3):
                uow.jobs.add("test.stamp", START + timedelta(hours=hours), {}, community_id=1)
            uow.commit()
        assert await bot.advance("1d") == 3
        assert seen == [(START + timedelta(hours=h)).isoformat() for h in (1, 3, 5)]
    finally:
        del REGISTRY.jobs["test.stamp"]
