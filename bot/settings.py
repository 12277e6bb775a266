"""Community settings: features declare them; ``/cop setup key=value`` changes them.

Values are stored as canonical strings in storage; ``Settings`` parses them on read, so
a feature adds a setting in one place (its module) without a migration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.commands import Arg, Kind


@dataclass(frozen=True)
class Setting:
    key: str
    default: str
    help: str  # prompt key
    parse: Callable[[str], Any] = str  # raises ValueError on bad input
    choices: tuple[str, ...] = ()
    canonical: Callable[[Any], str] | None = None  # parsed value -> stored string

    def normalise(self, raw: str) -> str:
        """Validate user input and return the string to store (ValueError if invalid)."""
        text = raw.strip()
        if self.choices:
            if text.lower() not in self.choices:
                raise ValueError(raw)
            return text.lower()
        value = self.parse(text)
        return self.canonical(value) if self.canonical else text

    def as_arg(self) -> Arg:
        kind = Kind.CHOICE if self.choices else Kind.TEXT
        return Arg(self.key, kind, help=self.help, choices=self.choices)


SETTINGS: dict[str, Setting] = {}


def register_setting(setting: Setting) -> Setting:
    if setting.key in SETTINGS:
        raise ValueError(f"setting {setting.key} registered twice")
    SETTINGS[setting.key] = setting
    return setting


class Settings:
    """One community's settings, typed on read, defaults filled in."""

    def __init__(self, stored: dict[str, str]) -> None:
        self._stored = stored

    def raw(self, key: str) -> str:
        return self._stored.get(key, SETTINGS[key].default)

    def get(self, key: str) -> Any:
        setting = SETTINGS[key]
        try:
            return setting.parse(self.raw(key)) if not setting.choices else self.raw(key)
        except ValueError:
            return setting.parse(setting.default)

    def items(self) -> list[tuple[str, str]]:
        return [(key, self.raw(key)) for key in sorted(SETTINGS)]
