"""HTTP mode's single loop: acks at once, a few workers run the requests in arrival order."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine

from adapters.runtime import App
from adapters.slack.app import WORKERS
from adapters.slack.chat import SlackChat, make_client
from bot.clock import ManualClock
from bot.commands import Arg, Kind, Registry, Role
from bot.context import Context
from bot.core import Core
from bot.replies import Reply
from bot.scheduler import Scheduler
from bot.text import Msg
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import START
from tests.slack_standin import post_signed, slash_command_body
from tests.test_slack_e2e import SECRET, Rig, _rig, _shown


class Gate:
    """A command that waits until the test opens the gate, recording who is inside."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.started: list[int] = []
        self.inside: set[int] = set()
        self.peak = 0
        self.full = asyncio.Event()

    def app(self, engine: Engine) -> App:
        registry = Registry()

        @registry.command(
            "slow",
            help="help.help_help",
            role=Role.ANYONE,
            args=(Arg("n", Kind.INT, required=True),),
        )
        async def slow(ctx: Context) -> Reply:
            n = int(ctx.args["n"])
            self.started.append(n)
            self.inside.add(n)
            self.peak = max(self.peak, len(self.inside))
            if len(self.inside) == WORKERS:
                self.full.set()
            await self.open.wait()
            self.inside.discard(n)
            return Reply(Msg.plain(f"done {n}"))

        from storage.db import migrate

        migrate(engine)
        chat = SlackChat(make_client("xoxb-unused", "http://127.0.0.1:9/api/"))
        core = Core(registry, SqlUnitOfWorkFactory(engine), ManualClock(START), chat)
        return App(engine, core, Scheduler(core))


async def _send(rig: Rig, text: str) -> tuple[tuple[int, str], str]:
    url = rig.standin.new_response_url()
    body = slash_command_body(text=text, response_url=url)
    return await post_signed(rig.session, rig.url, SECRET, body), url


async def test_acks_do_not_wait_for_work_and_a_few_workers_run_it_in_arrival_order(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate()
    async for rig in _rig(engine, monkeypatch, app=gate.app(engine)):
        urls = []
        for n in range(WORKERS + 4):  # each ack arrives while the earlier requests still run
            ack, url = await _send(rig, f"slow n={n}")
            assert ack == (200, "")
            urls.append(url)
        await asyncio.wait_for(gate.full.wait(), timeout=10)
        for _ in range(20):  # give any further worker every chance to start
            await asyncio.sleep(0)
        assert gate.started == list(range(WORKERS))
        assert rig.standin.calls_to("response_url") == []
        gate.open.set()
        await rig.adapter.idle()
        assert gate.started == list(range(WORKERS + 4)) and gate.peak == WORKERS
        for n, url in enumerate(urls):
            [reply] = rig.replies_to(url)
            assert f"done {n}" in _shown(reply)


async def test_closing_finishes_the_requests_already_acknowledged(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate()
    gate.open.set()
    async for rig in _rig(engine, monkeypatch, app=gate.app(engine)):
        acks = [await _send(rig, f"slow n={n}") for n in range(3)]
        await rig.adapter.close()
        for n, (ack, url) in enumerate(acks):
            assert ack == (200, "")
            [reply] = rig.replies_to(url)
            assert f"done {n}" in _shown(reply)
