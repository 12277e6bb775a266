"""Errors a handler raises to refuse a request; the dispatcher turns them into private replies."""

from __future__ import annotations

from typing import Any

from bot.text import Msg, Value


class CommandError(Exception):
    """A refusal the member should read: carries a prompt key and data, never a traceback."""

    def __init__(
        self, key: str, /, show_usage: bool = False, field: str | None = None, **data: Value
    ):
        super().__init__(key)
        self.msg = Msg(key, data)
        self.show_usage = show_usage
        self.field = field  # the argument at fault, so a form can show the error beside it
        self.spec: Any = None  # the command it concerns, once known (for the usage line)


class UsageError(CommandError):
    """The command line itself was wrong: the reply always shows the correct usage."""

    def __init__(self, key: str, /, field: str | None = None, **data: Value):
        super().__init__(key, show_usage=True, field=field, **data)


class NotAllowed(CommandError):
    pass
