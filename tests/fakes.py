"""Hand-written fakes (no mocks): a chat that records what it sent, and a test harness."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from adapters.console.render import ConsoleRenderer
from adapters.runtime import App, build_app
from bot.clock import ManualClock
from bot.commands import parse_duration
from bot.context import Actor
from bot.core import Invocation, Outcome
from bot.ports import Delivery
from bot.replies import (
    ChannelPost,
    DeletePost,
    DirectMessage,
    EditPost,
    GroupMessage,
    Outgoing,
    Place,
    Reply,
)

PLACE = Place("test", "W1", "C1")
RENDER = ConsoleRenderer()


def text_of(reply: Reply) -> str:
    return "\n".join(RENDER.reply(reply))


@dataclass
class RecordingChat:
    sent: list[Outgoing] = field(default_factory=list)
    closed_dms: set[str] = field(default_factory=set)
    # Channel posts by the ref returned for them (in posting order): edits replace the
    # reply, deletes remove the entry.
    live: dict[str, tuple[Place, Reply]] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)  # refs to answer "not_found" (deleted by hand)
    posted: int = 0

    async def send(self, message: Outgoing) -> Delivery:
        if isinstance(message, DirectMessage) and message.user_id in self.closed_dms:
            return Delivery(ok=False, reason="dm_closed")
        ref = ""
        if isinstance(message, EditPost | DeletePost):
            ref = message.ref or ""
            if ref not in self.live or ref in self.gone:
                return Delivery(ok=False, reason="not_found")
        self.sent.append(message)
        if isinstance(message, ChannelPost):
            self.posted += 1
            ref = f"m{self.posted}"
            self.live[ref] = (message.place, message.reply)
            return Delivery(ok=True, ref=ref)
        if isinstance(message, EditPost):
            self.live[ref] = (message.place, message.reply)
        elif isinstance(message, DeletePost):
            del self.live[ref]
        return Delivery(ok=True)

    def edits(self, place: Place = PLACE) -> list[str]:
        """Edited channel posts' new text, in order."""
        return [text_of(m.reply) for m in self.sent if isinstance(m, EditPost) and m.place == place]

    def deletes(self, place: Place = PLACE) -> list[str]:
        """The tracking keys of deleted channel posts, in order."""
        return [m.track for m in self.sent if isinstance(m, DeletePost) and m.place == place]

    def current(self, place: Place = PLACE) -> list[str]:
        """The channel as members now see it: posts after every edit and delete."""
        return [text_of(reply) for where, reply in self.live.values() if where == place]

    def channel(self, place: Place = PLACE) -> list[str]:
        return [
            text_of(m.reply) for m in self.sent if isinstance(m, ChannelPost) and m.place == place
        ]

    def dms(self, user_id: str) -> list[str]:
        return [
            text_of(m.reply)
            for m in self.sent
            if isinstance(m, DirectMessage) and m.user_id == user_id
        ]

    def groups(self) -> list[tuple[tuple[str, ...], str]]:
        return [(m.user_ids, text_of(m.reply)) for m in self.sent if isinstance(m, GroupMessage)]

    def clear(self) -> None:
        self.sent.clear()


class Harness:
    """Drives the real core, storage and scheduler; members speak through ``say``."""

    def __init__(self, engine: Engine, start: datetime, worker: str | None = None) -> None:
        self.engine = engine
        self.clock = ManualClock(start)
        self.chat = RecordingChat()
        self.app: App = build_app(self.chat, clock=self.clock, engine=engine, worker=worker)
        self.last: Outcome | None = None

    @property
    def core(self):  # type: ignore[no-untyped-def]
        return self.app.core

    async def run(self, user: str, line: str, place: Place = PLACE, **kw: object) -> Outcome:
        inv = Invocation(place, Actor(user, user), text=line.removeprefix("/cop"), **kw)  # type: ignore[arg-type]
        self.last = await self.app.core.handle(inv)
        return self.last

    async def say(self, user: str, line: str, place: Place = PLACE) -> str:
        """Run ``/cop …`` as ``user``; returns the reply's text as the console shows it."""
        outcome = await self.run(user, line, place)
        await self.app.scheduler.tick()
        return text_of(outcome.reply)

    async def press(self, user: str, command: str, place: Place = PLACE) -> str:
        outcome = await self.run(user, command, place, via="button")
        return text_of(outcome.reply)

    async def advance(self, delta: str | timedelta) -> int:
        step = parse_duration(delta) if isinstance(delta, str) else delta
        return await self.app.scheduler.run_until(self.clock, self.clock.now() + step)

    async def setup(
        self, name: str = "North", tz: str = "Europe/London", user: str = "alice"
    ) -> None:
        out = await self.run(user, f'setup name="{name}" timezone={tz}')
        assert out.ok, text_of(out.reply)
