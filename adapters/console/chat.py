"""The console's chat port: every bot message printed with where it went."""

from __future__ import annotations

from collections.abc import Callable

from adapters.console.render import ConsoleRenderer
from bot.ports import Delivery
from bot.replies import ChannelPost, DirectMessage, GroupMessage, Outgoing, Reply

CHANNEL = "general"


def prefixed(prefix: str, lines: list[str]) -> list[str]:
    return [f"{prefix} {line}".rstrip() for line in lines] or [prefix]


class ConsoleChat:
    def __init__(self, write: Callable[[str], None], renderer: ConsoleRenderer | None = None):
        self.write = write
        self.renderer = renderer or ConsoleRenderer()

    def emit(self, prefix: str, reply: Reply) -> None:
        for line in prefixed(prefix, self.renderer.reply(reply)):
            self.write(line)

    async def send(self, message: Outgoing) -> Delivery:
        if isinstance(message, ChannelPost):
            self.emit(f"[#{message.place.channel}]", message.reply)
        elif isinstance(message, DirectMessage):
            self.emit(f"[DM {message.user_id}]", message.reply)
        elif isinstance(message, GroupMessage):
            self.emit(f"[DM {', '.join(message.user_ids)}]", message.reply)
        return Delivery(ok=True)
