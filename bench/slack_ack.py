"""Slack ack latency: 100 concurrent signed ``/cop`` requests on loopback.

The copbot Slack app (real Bolt app, real core, SQLite in a temporary directory) runs in a
child process; this process sends the signed requests and hosts the stand-in Web API that
receives the replies (each request's response_url points at it). For each request:

* ack   = from sending the request to receiving Slack's required HTTP 200;
* reply = from sending the request to the private reply reaching the stand-in.

Set-ups (``MODES``), each in fresh child processes:

* ``baseline``: a bare aiohttp handler (no Bolt, core or database): the floor that the load
  generator and the machine impose.
* ``bolt``: Bolt dispatches on the HTTP server's loop; the listener acks first and then runs
  the core (process_before_response=False) on the same loop.
* ``one-loop``: the HTTP front checks the signature and acks at once; Bolt and the core run
  as a task per request on the same loop.
* ``queue`` (what ``copbot run`` uses): as ``one-loop``, but the requests wait on a queue
  that ``WORKERS`` worker tasks drain in order (see adapters/slack/app.py);
  ``queue1`` .. ``queue8`` (those in ``MODES``): the same with that many workers.

The design before ``queue`` ran Bolt and the core on a second event loop in a thread; on the
same machine and bench (100 at once, medians) it measured p99 ack 76 ms against 18 for
``queue``, with the same reply p99 (~235 ms).

usage: python bench/slack_ack.py [requests=100] [rounds=3] [modes=all] [spread ms=0]
(modes: comma-separated names from ``MODES``; spread: send the requests evenly over that
many milliseconds instead of all at once, so later acks compete with earlier requests' work)
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import statistics
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


def serve(queue: Any, api_url: str, mode: str, db_dir: str) -> None:
    """The app under test (child process): report the port, then serve until killed.

    ``mode`` is one of ``MODES``; ``baseline`` is a bare aiohttp handler that answers 200 and
    then posts an empty reply to the response_url itself (no Bolt, no core, no database).
    """
    import logging

    from aiohttp import web

    from adapters.runtime import build_app
    from adapters.slack.app import WORKERS, SlackAdapter
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
        chat = SlackChat(make_client("xoxb-bench", api_url))
        app = build_app(chat, database_url=f"sqlite:///{db_dir}/bench.db")
        workers = 0
        if mode.startswith("queue"):
            workers = int(mode.removeprefix("queue") or WORKERS)
        adapter = SlackAdapter(app, chat, SECRET, workers=workers, fast_ack=mode != "bolt")
        runner = web.AppRunner(adapter.web_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        queue.put(f"http://127.0.0.1:{port}/slack/events")
        await asyncio.Event().wait()

    asyncio.run(bare() if mode == "baseline" else main())


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


async def replies(session: aiohttp.ClientSession, standin_url: str) -> dict[str, float]:
    async with session.get(f"{standin_url}/_calls") as response:
        return {c["path"]: c["at"] for c in await response.json()}


async def measure(
    session: aiohttp.ClientSession,
    url: str,
    standin_url: str,
    n: int,
    round_no: int,
    spread: float = 0.0,
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

    async def one(index: int, path: str, body: str) -> None:
        await asyncio.sleep(spread * index / n)
        start = time.perf_counter()
        sent[path] = start
        status, _ = await post_signed(session, url, SECRET, body)
        acks.append(time.perf_counter() - start)
        assert status == 200, status

    wall = time.perf_counter()
    await asyncio.gather(*(one(i, path, body) for i, (path, body) in enumerate(bodies)))
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


async def run_mode(mode: str, n: int, rounds: int, spread: float) -> list[dict[str, float]]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=serve_standin, args=(queue,))]
    procs[0].start()
    with tempfile.TemporaryDirectory() as db_dir:
        try:
            standin_url = queue.get(timeout=60)
            procs.append(
                ctx.Process(target=serve, args=(queue, standin_url + "/api/", mode, db_dir))
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
                results = [
                    await measure(session, url, standin_url, n, r, spread) for r in range(rounds)
                ]
        finally:
            for proc in procs:
                proc.terminate()
                proc.join()
    return results


MODES = {
    "baseline": "baseline: bare aiohttp, no Bolt/core/db",
    "bolt": "Bolt on one loop (ack() in the listener)",
    "one-loop": "fast ack, Bolt + core as a task per request on the same loop",
    "queue": "fast ack, Bolt + core on the default number of workers fed by a queue",
    "queue1": "as queue, 1 worker",
    "queue2": "as queue, 2 workers",
    "queue4": "as queue, 4 workers",
    "queue6": "as queue, 6 workers",
    "queue8": "as queue, 8 workers",
}
KEYS = ("ack_p50", "ack_p99", "ack_max", "reply_p50", "reply_p99", "wall")


def _row(label: str, r: dict[str, float]) -> str:
    return "| " + " | ".join([label] + [f"{r[k]:.1f}" for k in KEYS]) + " |"


async def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    modes = sys.argv[3].split(",") if len(sys.argv) > 3 else list(MODES)
    spread = float(sys.argv[4]) / 1000 if len(sys.argv) > 4 else 0.0
    arrival = f"spread evenly over {spread * 1000:.0f} ms" if spread else "all at once"
    print(
        f"Slack /cop: {n} signed requests on loopback ({arrival}), {rounds} rounds per set-up, "
        f"command `/cop {COMMAND}` (new member each request); times in ms"
    )
    print("| set-up | ack p50 | ack p99 | ack max | reply p50 | reply p99 | wall |")
    print("|---|---|---|---|---|---|---|")
    summary = []
    for mode in modes:
        results = await run_mode(mode, n, rounds, spread)
        for r in results:
            print(_row(mode, r), flush=True)
        summary.append(
            _row(f"{mode} (median)", {k: statistics.median(r[k] for r in results) for k in KEYS})
        )
    print("\nMedians over rounds:")
    print("| set-up | ack p50 | ack p99 | ack max | reply p50 | reply p99 | wall |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(summary))
    for mode in modes:
        print(f"  {mode}: {MODES[mode]}")
    print("Slack's ack limit is 3,000 ms; target p99 ack < 50 ms.")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
