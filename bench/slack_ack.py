"""Slack ack latency: 100 concurrent signed ``/cop`` requests on loopback.

The copbot Slack app (real Bolt app, real core, SQLite in a temporary directory) runs in a
child process; this process sends the signed requests and hosts the stand-in Web API that
receives the replies (each request's response_url points at it). For each request:

* ack   = from sending the request to receiving Slack's required HTTP 200;
* reply = from sending the request to the private reply reaching the stand-in.

Two set-ups are measured in the same run:

* ``bolt, one loop``: Bolt dispatches on the HTTP server's loop; the listener acks first
  and then runs the core (process_before_response=False) on the same loop.
* ``fast ack + bot loop`` (what ``copbot run`` uses): the HTTP front checks the signature
  and acks at once; Bolt and the core run on a second event loop in a thread.

usage: python bench/slack_ack.py [concurrent requests, default 100] [rounds, default 3]
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from tests.slack_standin import SlackStandIn, post_signed, slash_command_body

SECRET = "bench-signing-secret"
COMMAND = "profile"  # reads the community, creates the member on first use, reads a profile


def serve_standin(queue: Any) -> None:
    """The stand-in Web API (its own process, so it does not slow the load generator).

    Arrival times are ``time.perf_counter()`` (CLOCK_MONOTONIC, shared by all processes).
    """
    from aiohttp import web

    async def main() -> None:
        standin = SlackStandIn()

        async def calls(_: web.Request) -> web.Response:
            return web.json_response(
                [{"path": c.path, "at": c.at} for c in standin.calls_to("response_url")]
            )

        standin.web_app.router.add_get("/_calls", calls)
        await standin.start()
        queue.put(standin.url)
        await asyncio.Event().wait()

    asyncio.run(main())


def serve(queue: Any, api_url: str, fast: bool | None, db_dir: str) -> None:
    """The app under test (child process): report the port, then serve until killed.

    ``fast=None`` is the baseline: a bare aiohttp handler that answers 200 and then posts
    an empty reply to the response_url itself (no Bolt, no core, no database).
    """
    import logging

    from aiohttp import web

    from adapters.runtime import build_app
    from adapters.slack.app import BotLoop, SlackAdapter
    from adapters.slack.chat import SlackChat, make_client

    logging.basicConfig(level=logging.WARNING)

    async def bare() -> None:
        from urllib.parse import parse_qs

        import aiohttp as client

        session = client.ClientSession()
        tasks: set[Any] = set()

        async def reply(response_url: str) -> None:
            async with session.post(response_url, json={"text": "ok"}) as response:
                await response.read()

        async def handle(request: web.Request) -> web.Response:
            form = parse_qs(await request.text())
            task = asyncio.create_task(reply(form["response_url"][0]))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            return web.Response(status=200)

        web_app = web.Application()
        web_app.router.add_post("/slack/events", handle)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        queue.put(f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events")
        await asyncio.Event().wait()

    async def main() -> None:
        assert fast is not None
        chat = SlackChat(make_client("xoxb-bench", api_url))
        app = build_app(chat, database_url=f"sqlite:///{db_dir}/bench.db")
        bot_loop = BotLoop().start() if fast else None
        adapter = SlackAdapter(app, chat, SECRET, bot_loop=bot_loop, fast_ack=fast)
        runner = web.AppRunner(adapter.web_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        queue.put(f"http://127.0.0.1:{port}/slack/events")
        await asyncio.Event().wait()

    asyncio.run(main() if fast is not None else bare())


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


async def replies(session: aiohttp.ClientSession, standin_url: str) -> dict[str, float]:
    async with session.get(f"{standin_url}/_calls") as response:
        return {c["path"]: c["at"] for c in await response.json()}


async def measure(
    session: aiohttp.ClientSession, url: str, standin_url: str, n: int, round_no: int
) -> dict[str, float]:
    bodies = []
    for i in range(n):
        path = f"/response/r{round_no}-{i}"
        response_url = standin_url + path
        bodies.append(
            (
                path,
                slash_command_body(
                    text=COMMAND,
                    response_url=response_url,
                    user_id=f"U{round_no:02d}{i:05d}",
                    user_name=f"member{i}",
                ),
            )
        )
    sent: dict[str, float] = {}
    acks: list[float] = []

    async def one(path: str, body: str) -> None:
        start = time.perf_counter()
        sent[path] = start
        status, _ = await post_signed(session, url, SECRET, body)
        acks.append(time.perf_counter() - start)
        assert status == 200, status

    wall = time.perf_counter()
    await asyncio.gather(*(one(path, body) for path, body in bodies))
    deadline = time.perf_counter() + 60
    arrived = await replies(session, standin_url)
    while not all(p in arrived for p in sent):
        assert time.perf_counter() < deadline, "replies missing"
        await asyncio.sleep(0.01)
        arrived = await replies(session, standin_url)
    wall = max(arrived[p] for p in sent) - wall
    late = [arrived[p] - sent[p] for p in sent]
    return {
        "ack_p50": pct(acks, 0.50),
        "ack_p99": pct(acks, 0.99),
        "ack_max": max(acks) * 1000,
        "reply_p50": pct(late, 0.50),
        "reply_p99": pct(late, 0.99),
        "wall": wall * 1000,
    }


async def run_mode(fast: bool | None, n: int, rounds: int) -> list[dict[str, float]]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=serve_standin, args=(queue,))]
    procs[0].start()
    with tempfile.TemporaryDirectory() as db_dir:
        try:
            standin_url = queue.get(timeout=60)
            procs.append(
                ctx.Process(target=serve, args=(queue, standin_url + "/api/", fast, db_dir))
            )
            procs[1].start()
            url = queue.get(timeout=60)
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as session:
                # Warm up: the community, auth.test, and a pool of keep-alive connections.
                setup = 'setup name="Bench" timezone=Europe/London'
                body = slash_command_body(text=setup, response_url=standin_url + "/response/w")
                await post_signed(session, url, SECRET, body)
                await measure(session, url, standin_url, n, 99)
                results = [await measure(session, url, standin_url, n, r) for r in range(rounds)]
        finally:
            for proc in procs:
                proc.terminate()
                proc.join()
    return results


async def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    print(
        f"Slack /cop: {n} concurrent signed requests on loopback, {rounds} rounds each, "
        f"command `/cop {COMMAND}` (new member each request)"
    )
    header = ("set-up", "ack p50", "ack p99", "ack max", "reply p50", "reply p99", "wall")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    modes: tuple[tuple[bool | None, str], ...] = (
        (None, "baseline: bare aiohttp"),
        (False, "bolt, one loop"),
        (True, "fast ack + bot loop"),
    )
    for fast, label in modes:
        for r in await run_mode(fast, n, rounds):
            cells = (
                [label]
                + [
                    f"{r[k]:.1f} ms"
                    for k in ("ack_p50", "ack_p99", "ack_max", "reply_p50", "reply_p99")
                ]
                + [f"{r['wall']:.0f} ms"]
            )
            print("| " + " | ".join(cells) + " |")
    print(
        "(ms; median of a round in p50 columns; Slack's ack limit is 3,000 ms, target p99 < 50 ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
