"""The console's chat port: every bot message printed with where it went."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from adapters.console.render import ConsoleRenderer
from bot.ports import Delivery
from bot.replies import (
    ChannelPost,
    DeletePost,
    DirectMessage,
    EditPost,
    GroupMessage,
    Outgoing,
    Reply,
)

CHANNEL = "general"


def prefixed(prefix: str, lines: list[str]) -> list[str]:
    return [f"{prefix} {line}".rstrip() for line in lines] or [prefix]


class ConsoleChat:
    def __init__(self, write: Callable[[str], None], renderer: ConsoleRenderer | None = None):
        self.write = write
        self.renderer = renderer or ConsoleRenderer()
        self._refs = itertools.count(1)
        self._first_lines: dict[str, str] = {}  # ref -> first line, to name a deleted post

    def emit(self, prefix: str, reply: Reply) -> list[str]:
        lines = self.renderer.reply(reply)
        for line in prefixed(prefix, lines):
            self.write(line)
        return lines

    async def send(self, message: Outgoing) -> Delivery:
        if isinstance(message, ChannelPost):
            lines = self.emit(f"[#{message.place.channel}]", message.reply)
            ref = str(next(self._refs))
            self._first_lines[ref] = lines[0] if lines else ""
            return Delivery(ok=True, ref=ref)
        if isinstance(message, DirectMessage):
            self.emit(f"[DM {message.user_id}]", message.reply)
        elif isinstance(message, GroupMessage):
            self.emit(f"[DM {', '.join(message.user_ids)}]", message.reply)
        elif isinstance(message, EditPost):
            lines = self.emit(f"[#{message.place.channel} edited]", message.reply)
            if message.ref is not None:
                self._first_lines[message.ref] = lines[0] if lines else ""
        elif isinstance(message, DeletePost):
            shown = self._first_lines.pop(message.ref or "", None) or f"message {message.ref}"
            self.write(f"[#{message.place.channel} deleted] {shown}".rstrip())
        return Delivery(ok=True)
