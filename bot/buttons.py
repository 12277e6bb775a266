"""Button ids: a button's id is its typed command, so a press runs what typing would.

A button sent in a direct message or group conversation also names the community it is
about (workspace and channel), because the press arrives from outside that channel. Ids
carry commands and community coordinates only, never anything about an author.
Discord caps custom ids at 100 characters, Slack action values at 2,000.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.replies import Place

PREFIX = "cop"


@dataclass(frozen=True)
class ButtonTarget:
    command: str
    workspace: str | None = None
    channel: str | None = None

    def place(self, platform: str, fallback: Place) -> Place:
        if self.workspace and self.channel:
            return Place(platform, self.workspace, self.channel)
        return fallback


def button_id(command: str, about: Place | None = None) -> str:
    if about is None:
        return f"{PREFIX}:{command}"
    return f"{PREFIX}@{about.workspace}/{about.channel}:{command}"


def parse_button_id(custom_id: str) -> ButtonTarget | None:
    if custom_id.startswith(PREFIX + ":"):
        return ButtonTarget(custom_id[len(PREFIX) + 1 :])
    if custom_id.startswith(PREFIX + "@"):
        where, sep, command = custom_id[len(PREFIX) + 1 :].partition(":")
        workspace, slash, channel = where.partition("/")
        if sep and slash and workspace and channel and command:
            return ButtonTarget(command, workspace, channel)
    return None
