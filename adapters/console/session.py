"""The console chat: lines from standard input drive a simulated community channel.

``alice: /cop help``        alice types in #general
``alice (dm): some text``   alice writes to the bot directly
``!advance 3d``             move the simulated clock (runs everything due on the way)
``!now``                    print the simulated time
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from adapters.console.chat import CHANNEL, ConsoleChat
from adapters.runtime import App, build_app
from bot.clock import ManualClock
from bot.commands import parse_duration
from bot.context import Actor
from bot.core import Invocation
from bot.replies import Place, Reply

PLACE = Place("console", "console", CHANNEL)
MAX_ADVANCE = timedelta(weeks=52)  # one step runs everything due on the way
_LINE_RE = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*(\(dm\))?\s*:\s?(.*)$")


class ConsoleSession:
    def __init__(
        self,
        write: Callable[[str], None],
        start: datetime,
        database_url: str | None = None,
    ) -> None:
        self.write = write
        self.clock = ManualClock(start)
        self.chat = ConsoleChat(write)
        self.app: App = build_app(self.chat, clock=self.clock, database_url=database_url)

    async def feed(self, line: str) -> None:
        text = line.strip()
        if not text or text.startswith("#"):
            return
        if text.startswith("!"):
            await self._console_command(text)
            return
        match = _LINE_RE.match(text)
        if not match:
            self.write("(console) write `name: /cop …`, `name (dm): text`, `!advance 3d` or `!now`")
            return
        name, dm, said = match.group(1), bool(match.group(2)), match.group(3).strip()
        await self._said(name, said, dm)
        await self.app.scheduler.tick()  # anything a command made due right now

    async def _said(self, name: str, said: str, dm: bool) -> None:
        actor = Actor(user_id=name, name=name)
        if said.startswith("/cop"):
            inv = Invocation(PLACE, actor, text=said.removeprefix("/cop"), is_dm=dm)
            outcome = await self.app.core.handle(inv)
            self._show_reply(name, outcome.reply, dm)
        elif dm:
            reply = await self.app.core.handle_dm_text(PLACE, actor, said)
            self.chat.emit(f"[DM {name}]", reply)
        # Plain channel chatter is not addressed to the bot: stay quiet.

    def _show_reply(self, name: str, reply: Reply, dm: bool) -> None:
        if dm:
            self.chat.emit(f"[DM {name}]", reply)
        elif reply.private:
            self.chat.emit(f"[only {name}]", reply)
        else:
            self.chat.emit(f"[#{CHANNEL}]", reply)

    async def _console_command(self, text: str) -> None:
        word, _, rest = text.partition(" ")
        if word == "!now":
            self.write(f"(console) now {self.clock.now().isoformat(timespec='minutes')}")
        elif word == "!advance":
            try:
                delta = parse_duration(rest)
            except ValueError:
                delta = timedelta(0)
            if not timedelta(0) < delta <= MAX_ADVANCE:
                self.write("(console) usage: !advance 3d (also 2h, 45m, 1w; up to 52w at a time)")
                return
            await self.app.scheduler.run_until(self.clock, self.clock.now() + delta)
            self.write(f"(console) now {self.clock.now().isoformat(timespec='minutes')}")
        else:
            self.write("(console) unknown: try !advance 3d or !now")
