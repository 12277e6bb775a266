"""Platform-neutral message text: a prompt key plus typed data.

Handlers never build platform markup. They return ``Msg`` objects whose data values
are typed: plain ``str`` is user data (always escaped by the renderer), ``Moment`` is a
point in time (rendered as each platform's native date token), ``Mention`` is a member
the bot means to address, ``Link`` is a bot-built link whose label is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Union


@dataclass(frozen=True)
class Moment:
    """An instant, shown in the reader's timezone where the platform can do that."""

    at: datetime
    tz: str = "UTC"
    style: str = "full"  # "full" (date and time), "date", "time"

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("Moment needs an aware datetime")


@dataclass(frozen=True)
class Mention:
    """A member the bot deliberately addresses (the only mentions it allows)."""

    user_id: str
    name: str


@dataclass(frozen=True)
class Link:
    url: str
    label: str


@dataclass(frozen=True)
class Lines:
    """Several messages, one per line."""

    items: Sequence[Msg]
    empty: Msg | None = None
    sep: str = "\n"


Value = Union[str, int, float, Moment, Mention, Link, "Msg", Lines]


@dataclass(frozen=True)
class Msg:
    key: str
    data: Mapping[str, Value] = field(default_factory=dict)

    @staticmethod
    def of(key: str, **data: Value) -> Msg:
        return Msg(key, data)

    @staticmethod
    def plain(value: Value) -> Msg:
        """A single value with no template text of its own (e.g. user-written text)."""
        return Msg("common.value", {"value": value})
