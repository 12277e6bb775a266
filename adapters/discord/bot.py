"""copbot on Discord: application commands, buttons, forms and DMs, all generic.

Every interaction is answered within Discord's three seconds: the adapter defers first
(ephemeral when the command's replies are private), then runs the core and follows up.
A command or button whose spec declares a form, run with no arguments, opens a modal
instead (the core returns the form without touching the database, so that is quick too).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord import app_commands

from adapters.discord.chat import DiscordChat
from adapters.discord.components import CopButton, FormTarget, modal_values, parse_form_id
from adapters.discord.render import DiscordRenderer, field_label
from adapters.discord.tree import CommandPlan, TreePlan, build_root, plan_tree
from adapters.runtime import App, build_app, quiet_payload_loggers, start_ticker
from bot.buttons import parse_button_id
from bot.commands import CommandSpec, Registry, tokenize
from bot.context import Actor
from bot.core import Core, Invocation, Outcome
from bot.errors import UsageError
from bot.features import load_registry
from bot.replies import Button, Place, Reply
from bot.text import Msg

log = logging.getLogger(__name__)

PLATFORM = "discord"
DM_WORKSPACE = "@me"  # the workspace of a Place that is a direct message, not a guild


def make_intents() -> discord.Intents:
    """Only what copbot uses: guild events and direct messages (no message content)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.dm_messages = True
    return intents


def parse_guild_ids(value: str | None) -> list[int]:
    return [int(part) for part in (value or "").replace(" ", ",").split(",") if part.strip()]


class CopClient(discord.Client):
    def __init__(
        self,
        registry: Registry,
        *,
        guild_ids: Sequence[int] = (),
        renderer: DiscordRenderer | None = None,
    ) -> None:
        quiet_payload_loggers()  # discord.py logs raw gateway events (member + text) at DEBUG
        super().__init__(intents=make_intents(), allowed_mentions=discord.AllowedMentions.none())
        self.registry = registry
        self.guild_ids = list(guild_ids)
        self.app: App | None = None
        self.ticker: AsyncIOScheduler | None = None
        self.tree = app_commands.CommandTree(self)
        self.plan: TreePlan = plan_tree(registry)
        self.names = self.plan.names()
        self.renderer = renderer or DiscordRenderer(self.names)
        self.tree.add_command(
            build_root(self.plan, self._on_command, guild_ids=self.guild_ids or None)
        )
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]

    def attach(self, app: App) -> None:
        self.app = app

    @property
    def core(self) -> Core:
        if self.app is None:
            raise RuntimeError("CopClient.attach(app) was not called")
        return self.app.core

    # ------------------------------------------------------------ lifecycle

    async def setup_hook(self) -> None:
        self.register_components()
        await self.sync_commands()

    def register_components(self) -> None:
        """Make buttons on every earlier message work again (after a restart too)."""
        self.add_dynamic_items(CopButton)

    async def sync_commands(self) -> None:
        if self.guild_ids:
            for guild_id in self.guild_ids:
                synced = await self.tree.sync(guild=discord.Object(guild_id))
                log.info("synced %d command(s) to guild %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d command(s) globally (may take up to an hour)", len(synced))

    async def on_ready(self) -> None:
        if self.app is not None and self.ticker is None:
            self.ticker = await start_ticker(self.app)
        log.info("copbot is connected to Discord as %s", self.user)

    async def close(self) -> None:
        if self.ticker is not None:
            self.ticker.shutdown(wait=False)
            self.ticker = None
        await super().close()

    # ------------------------------------------------------------ where and who

    def _place(self, interaction: discord.Interaction[Any]) -> Place:
        channel_id = interaction.channel_id
        channel = interaction.channel
        if isinstance(channel, discord.Thread) and channel.parent_id:
            channel_id = channel.parent_id  # a thread belongs to its channel's community
        workspace = str(interaction.guild_id) if interaction.guild_id else DM_WORKSPACE
        return Place(PLATFORM, workspace, str(channel_id))

    @staticmethod
    def _about(interaction: discord.Interaction[Any], place: Place) -> Place | None:
        """Buttons sent outside the community channel (DMs, threads) must name it."""
        return None if str(interaction.channel_id) == place.channel else place

    @staticmethod
    def _actor(user: discord.abc.User) -> Actor:
        return Actor(str(user.id), user.display_name)

    # ------------------------------------------------------------ slash commands

    async def _on_command(
        self, interaction: discord.Interaction[Any], plan: CommandPlan, values: dict[str, Any]
    ) -> None:
        spec = plan.spec
        if not spec.sensitive:
            log.debug("slash command %s", spec.name)
        raw, problem = self._raw(plan, values)
        if problem is not None:
            await self._respond_now(interaction, Reply(problem), None)
            return
        place = self._place(interaction)
        inv = Invocation(
            place,
            self._actor(interaction.user),
            command=spec.name,
            raw=raw,
            via="typed",
            supports_forms=True,
            is_dm=interaction.guild_id is None,
        )
        await self._answer(interaction, inv, spec, bool(spec.form) and not raw, place)

    @staticmethod
    def _raw(plan: CommandPlan, values: Mapping[str, Any]) -> tuple[dict[str, str], Msg | None]:
        """Discord's typed option values as the raw strings the core parses."""
        raw: dict[str, str] = {}
        for option in plan.options:
            if option.name not in values:
                continue
            value = values[option.name]
            if option.arg is None:  # the `more` option: key=value pairs
                try:
                    tokens = tokenize(str(value))
                except UsageError as err:
                    return {}, err.msg
                extra = {a.name for a in plan.extra}
                for tok in tokens:
                    key = (tok.key or "").replace("-", "_")
                    if key not in extra:
                        arg = tok.key or tok.text
                        return {}, Msg(
                            "discord.unknown_option", {"arg": arg, "command": plan.spec.name}
                        )
                    raw[key] = tok.text
            elif isinstance(value, discord.abc.User):
                name = value.display_name.replace(">", "").replace("|", "")
                raw[option.name] = f"<@{value.id}|{name}>"
            elif isinstance(value, bool):
                raw[option.name] = "yes" if value else "no"
            else:
                raw[option.name] = str(value)
        return raw, None

    # ------------------------------------------------------------ buttons

    async def on_cop_button(self, interaction: discord.Interaction[Any], custom_id: str) -> None:
        target = parse_button_id(custom_id)
        if target is None:
            return
        place = target.place(PLATFORM, self._place(interaction))
        spec, given = self._peek(target.command)
        inv = Invocation(
            place,
            self._actor(interaction.user),
            text=target.command,
            via="button",
            supports_forms=True,
            is_dm=interaction.guild_id is None,
        )
        await self._answer(
            interaction, inv, spec, spec is not None and bool(spec.form) and not given, place
        )

    def _peek(self, text: str) -> tuple[CommandSpec | None, bool]:
        """The command a button runs, and whether it carries any arguments."""
        try:
            found = self.registry.match(tokenize(text))
        except UsageError:
            return None, True
        if found is None:
            return None, True
        spec, rest = found
        return spec, bool(rest)

    # ------------------------------------------------------------ forms

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: Any = interaction.data or {}
        target = parse_form_id(str(data.get("custom_id", "")))
        if target is None:
            return
        try:
            await self._on_form(interaction, target, data.get("components") or [])
        except Exception:
            log.exception("a form submission failed")
            await self._apologise(interaction)

    async def _on_form(
        self,
        interaction: discord.Interaction[Any],
        target: FormTarget,
        components: Sequence[Mapping[str, Any]],
    ) -> None:
        spec = self.registry.get(target.command)
        place = target.place(self._place(interaction))
        raw = {**target.hidden, **modal_values(components)}
        inv = Invocation(
            place,
            self._actor(interaction.user),
            command=target.command,
            raw=raw,
            via="form",
            is_dm=interaction.guild_id is None,
        )
        private = spec.private if spec is not None else True
        await interaction.response.defer(ephemeral=private, thinking=True)
        outcome = await self.core.handle(inv)
        reply: Reply = outcome.reply
        buttons: tuple[Button, ...] = ()
        if not outcome.ok and spec is not None and spec.form:
            reply = self._form_refusal(outcome, spec)
            buttons = (Button(Msg("discord.try_again"), spec.name, "primary"),)
        await self._followup(interaction, reply, private, self._about(interaction, place), buttons)

    @staticmethod
    def _form_refusal(outcome: Outcome, spec: CommandSpec) -> Reply:
        """Discord cannot show an error beside a modal field: say which field it was."""
        error = outcome.reply.text
        wrapped = error.key in ("common.refusal_with_usage", "common.refusal_with_help")
        if wrapped and isinstance(error.data.get("error"), Msg):
            inner = error.data["error"]
            assert isinstance(inner, Msg)
            error = inner
        field = next((f for f in spec.form_fields() if f.name == outcome.field), None)
        if field is None:
            return Reply(error)
        return Reply(Msg("discord.form_refused", {"field": field_label(field), "error": error}))

    # ------------------------------------------------------------ answering

    async def _answer(
        self,
        interaction: discord.Interaction[Any],
        inv: Invocation,
        spec: CommandSpec | None,
        form_possible: bool,
        place: Place,
    ) -> None:
        about = self._about(interaction, place)
        try:
            if form_possible:
                # The core answers a bare form command without the database: still quick.
                outcome = await self.core.handle(inv)
                if outcome.reply.form is not None:
                    modal = self.renderer.modal(outcome.reply.form, about)
                    await interaction.response.send_modal(modal)
                else:
                    await self._respond_now(interaction, outcome.reply, about)
                return
            private = spec.private if spec is not None else True
            await interaction.response.defer(ephemeral=private, thinking=True)
            outcome = await self.core.handle(inv)
            await self._followup(interaction, outcome.reply, private, about)
        except Exception:
            log.exception("answering %s failed", spec.name if spec else "an interaction")
            await self._apologise(interaction)

    async def _respond_now(
        self, interaction: discord.Interaction[Any], reply: Reply, about: Place | None
    ) -> None:
        parts = self.renderer.messages(reply, about)
        if not parts:
            return
        first, *rest = parts
        kwargs: Any = first.send_kwargs(discord.AllowedMentions.none())
        await interaction.response.send_message(ephemeral=reply.private, **kwargs)
        for part in rest:
            more: Any = part.send_kwargs(discord.AllowedMentions.none())
            await interaction.followup.send(ephemeral=reply.private, **more)

    async def _followup(
        self,
        interaction: discord.Interaction[Any],
        reply: Reply,
        deferred_private: bool,
        about: Place | None,
        buttons: Sequence[Button] = (),
    ) -> None:
        parts = self.renderer.messages(reply, about, buttons)
        if reply.private != deferred_private or not parts:
            # The first follow-up would replace the deferred "thinking" message and keep
            # its privacy; a reply of the other privacy must be a new message.
            try:
                await interaction.delete_original_response()
            except discord.HTTPException as err:
                # The next follow-up now replaces the "thinking" message and keeps its privacy.
                log.warning("could not delete the deferred response: %s", err.code)
        for part in parts:
            kwargs: Any = part.send_kwargs(discord.AllowedMentions.none())
            await interaction.followup.send(ephemeral=reply.private, **kwargs)

    async def _apologise(self, interaction: discord.Interaction[Any]) -> None:
        sorry = Reply(Msg("common.internal_error"))
        try:
            if interaction.response.is_done():
                await self._followup(interaction, sorry, True, None)
            else:
                await self._respond_now(interaction, sorry, None)
        except discord.HTTPException:
            log.warning("could not tell the member that something failed")

    async def _on_tree_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        log.error("application command error: %s", type(error).__name__)

    # ------------------------------------------------------------ direct messages

    async def on_message(self, message: discord.Message) -> None:
        """A DM to the bot (content arrives without the message-content intent in DMs)."""
        if message.guild is not None or message.author.bot:
            return
        if self.user is not None and message.author.id == self.user.id:
            return
        text = message.content.strip()
        if not text:
            return
        place = Place(PLATFORM, DM_WORKSPACE, str(message.channel.id))
        actor = self._actor(message.author)
        try:
            if text.lower().startswith("/cop"):
                typed = self.names.core(text)  # /cop ask-withdraw, as help shows it here
                inv = Invocation(place, actor, text=typed[4:], is_dm=True)
                reply = (await self.core.handle(inv)).reply
            else:
                reply = await self.core.handle_dm_text(place, actor, text)
            for part in self.renderer.messages(reply):
                kwargs: Any = part.send_kwargs(discord.AllowedMentions.none())
                await message.channel.send(**kwargs)
        except Exception:
            log.exception("answering a direct message failed")


async def run_discord(database_url: str | None = None) -> int:
    """``copbot run --platform discord``: connect, sync the commands, tick the scheduler."""
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        print("copbot: set DISCORD_TOKEN (see README 'Connect to Discord')", file=sys.stderr)
        return 2
    client = CopClient(
        load_registry(), guild_ids=parse_guild_ids(os.environ.get("DISCORD_GUILD_IDS"))
    )
    client.attach(build_app(DiscordChat(client), database_url=database_url))
    async with client:
        await client.start(token)
    return 0
