"""Command names as the core types them and as Discord's ``/cop`` tree shows them.

Help and usage lines come from the core (``/cop ask withdraw CODE``); on Discord that
command is ``/cop ask-withdraw`` (see adapters/discord/tree.py). ``CommandNames`` rewrites
the command words after ``/cop`` in either direction, longest registered name first, and
leaves everything after them (arguments, placeholders, punctuation) as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

COP_RE = re.compile(r"(?<![\w/])/cop((?: [a-z][-a-z0-9]*)+)")


class CommandNames:
    def __init__(self, pairs: Iterable[tuple[tuple[str, ...], tuple[str, ...]]] = ()) -> None:
        """``pairs``: (the core's command path, its Discord path) for every command."""
        self._to_discord: dict[tuple[str, ...], str] = {}
        self._to_core: dict[tuple[str, ...], str] = {}
        for core, on_discord in pairs:
            self._to_discord[core] = " ".join(on_discord)
            self._to_core[on_discord] = " ".join(core)

    def discord(self, text: str) -> str:
        """``/cop ask withdraw CODE`` -> ``/cop ask-withdraw CODE``."""
        return _swap(text, self._to_discord)

    def core(self, text: str) -> str:
        """``/cop ask-withdraw CODE`` -> ``/cop ask withdraw CODE`` (typed commands in DMs)."""
        return _swap(text, self._to_core)

    def discord_command(self, name: str) -> str:
        """A bare command name (``ask withdraw``) as Discord shows it (``ask-withdraw``)."""
        return self.discord("/cop " + name)[len("/cop ") :]


def _swap(text: str, table: Mapping[tuple[str, ...], str]) -> str:
    if not table:
        return text

    def replace(match: re.Match[str]) -> str:
        words = match.group(1).split(" ")[1:]
        for n in range(len(words), 0, -1):
            found = table.get(tuple(words[:n]))
            if found is not None:
                return " ".join(["/cop", found, *words[n:]])
        return match.group(0)

    return COP_RE.sub(replace, text)
