"""Discord components that survive restarts: one generic button class and form ids.

Every copbot button carries its typed command in its custom id (``cop:<command>`` or, from
a DM about a community, ``cop@<guild>/<channel>:<command>``; see bot/buttons.py). One
``DynamicItem`` matches them all by pattern, so a press on a week-old message still works
after the bot restarts: nothing is kept in memory per message. Forms work the same way:
the modal's custom id names the command (and its fixed values), and the submission is
read generically from the interaction, because the Modal object is gone after a restart.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode

import discord

from bot.replies import Form, Place

BUTTON_TEMPLATE = r"cop[:@].+"
FORM_PREFIX = "cop-form"


class ButtonHandler(Protocol):
    async def on_cop_button(self, interaction: discord.Interaction[Any], custom_id: str) -> None:
        """Run a pressed button's command."""
        ...


def button_style(style: str) -> discord.ButtonStyle:
    return {
        "primary": discord.ButtonStyle.primary,
        "danger": discord.ButtonStyle.danger,
    }.get(style, discord.ButtonStyle.secondary)


class CopButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=BUTTON_TEMPLATE):
    """Any copbot button; the client's ``on_cop_button`` runs its command."""

    def __init__(
        self,
        custom_id: str,
        label: str = "…",
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        row: int | None = None,
    ) -> None:
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id=custom_id, row=row), row=row
        )
        self.cop_id = custom_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> CopButton:
        label = getattr(item, "label", None) or "…"
        style = getattr(item, "style", discord.ButtonStyle.secondary)
        return cls(match.group(0), label=label, style=style)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        handler = getattr(interaction.client, "on_cop_button", None)
        if handler is not None:
            await handler(interaction, self.cop_id)


class CopModal(discord.ui.Modal):
    """A form. Submissions are answered by the client's generic modal handler, never here,
    so a form opened before a restart is handled exactly like one opened after it."""

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        return None


# ---------------------------------------------------------------- form ids


@dataclass(frozen=True)
class FormTarget:
    command: str
    hidden: Mapping[str, str] = field(default_factory=dict)
    workspace: str | None = None
    channel: str | None = None

    def place(self, fallback: Place) -> Place:
        if self.workspace and self.channel:
            return Place("discord", self.workspace, self.channel)
        return fallback


def form_id(form: Form, about: Place | None = None) -> str:
    body = form.command
    if form.hidden:
        body += "?" + urlencode(form.hidden)
    if about is None:
        return f"{FORM_PREFIX}:{body}"
    return f"{FORM_PREFIX}@{about.workspace}/{about.channel}:{body}"


def parse_form_id(custom_id: str) -> FormTarget | None:
    workspace = channel = None
    if custom_id.startswith(FORM_PREFIX + ":"):
        body = custom_id[len(FORM_PREFIX) + 1 :]
    elif custom_id.startswith(FORM_PREFIX + "@"):
        where, sep, body = custom_id[len(FORM_PREFIX) + 1 :].partition(":")
        workspace, slash, channel = where.partition("/")
        if not (sep and slash and workspace and channel):
            return None
    else:
        return None
    command, _, query = body.partition("?")
    if not command:
        return None
    return FormTarget(command, dict(parse_qsl(query)), workspace, channel)


def modal_values(components: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The submitted values, whatever the layout (action rows or labels)."""
    out: dict[str, str] = {}
    for c in components:
        if c.get("type") == 1:
            out.update(modal_values(c.get("components", ())))
        elif c.get("type") == 18 and "component" in c:
            out.update(modal_values([c["component"]]))
        elif "custom_id" in c:
            value = c.get("value")
            if value is None and c.get("values") is not None:
                value = " ".join(str(v) for v in c["values"])
            out[str(c["custom_id"])] = "" if value is None else str(value)
    return out
