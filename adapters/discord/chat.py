"""The core's chat port on Discord: channel posts, DMs and private threads for groups."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal

import discord

from adapters.discord.render import PLAIN_TEXT, RENDERER, DiscordRenderer, allowed, clip
from bot.ports import Delivery
from bot.replies import (
    ChannelPost,
    DeletePost,
    DirectMessage,
    EditPost,
    GroupMessage,
    Outgoing,
    Place,
    Reply,
)

log = logging.getLogger(__name__)

CANNOT_MESSAGE_USER = 50007  # Discord's error code for a member whose DMs are closed
THREAD_ARCHIVE_MINUTES: Literal[10080] = 10080  # a week
MAX_THREAD_NAME = 100


class DiscordChat:
    """Implements bot.ports.Chat with a discord.py client (no caches required)."""

    def __init__(self, client: discord.Client, renderer: DiscordRenderer | None = None) -> None:
        self.client = client
        own = getattr(client, "renderer", None)  # a CopClient's, naming its /cop tree
        self.renderer = renderer or (own if isinstance(own, DiscordRenderer) else RENDERER)

    async def send(self, message: Outgoing) -> Delivery:
        try:
            if isinstance(message, ChannelPost):
                channel = self._channel(message.place.channel, message.place.workspace)
                sent = await self._send(channel, message.reply, message.mentions, about=None)
                ref = f"{sent.channel.id}:{sent.id}" if sent is not None else None
                return Delivery(ok=True, ref=ref)
            if isinstance(message, DirectMessage):
                return await self._dm(message.place, message.user_id, message.reply)
            if isinstance(message, EditPost):
                return await self._edit(message)
            if isinstance(message, DeletePost):
                target = self._partial(message.ref, message.place)
                if target is None:
                    return Delivery(ok=False, reason="not_found")
                await target.delete()
                return Delivery(ok=True)
            return await self._group(message)
        except discord.NotFound:
            log.warning("Discord did not find where to send a %s", type(message).__name__)
            return Delivery(ok=False, reason="not_found")
        except discord.HTTPException as err:
            log.warning("Discord refused a %s: %s", type(message).__name__, err.code)
            return Delivery(ok=False, reason="error")

    # ------------------------------------------------------------ helpers

    def _channel(self, channel_id: str, guild_id: str | None = None) -> discord.PartialMessageable:
        guild = int(guild_id) if guild_id and guild_id.isdigit() else None
        return self.client.get_partial_messageable(int(channel_id), guild_id=guild)

    async def _send(
        self,
        channel: discord.abc.Messageable,
        reply: Reply,
        mentions: Sequence[str],
        about: Place | None,
    ) -> discord.Message | None:
        """Send every part of ``reply``; returns the first message sent."""
        first: discord.Message | None = None
        for part in self.renderer.messages(reply, about):
            kwargs: Any = part.send_kwargs(allowed(mentions))
            sent = await channel.send(**kwargs)
            first = first or sent
        return first

    def _partial(self, ref: str | None, place: Place) -> discord.PartialMessage | None:
        """The message a ref (``"<channel id>:<message id>"``) names, without fetching it."""
        channel_id, _, message_id = (ref or "").partition(":")
        if not channel_id.isdigit() or not message_id.isdigit():
            return None
        return self._channel(channel_id, place.workspace).get_partial_message(int(message_id))

    async def _edit(self, message: EditPost) -> Delivery:
        """Replace the message (a reply longer than one message keeps only its first part)."""
        target = self._partial(message.ref, message.place)
        if target is None:
            return Delivery(ok=False, reason="not_found")
        part = self.renderer.messages(message.reply, None)[0]
        kwargs: Any = {
            "content": part.content or None,
            "embed": part.embed,
            "view": part.view,
            "allowed_mentions": allowed(()),
        }
        await target.edit(**kwargs)
        return Delivery(ok=True)

    async def _dm(self, place: Place, user_id: str, reply: Reply) -> Delivery:
        try:
            channel = await self.client.create_dm(discord.Object(int(user_id)))
            # A press in a DM must still find its community: buttons name it.
            await self._send(channel, reply, (), about=place)
        except discord.Forbidden as err:
            if err.code == CANNOT_MESSAGE_USER:
                return Delivery(ok=False, reason="dm_closed")
            raise
        return Delivery(ok=True)

    async def _group(self, message: GroupMessage) -> Delivery:
        """A private thread in the community channel with the members added; DMs to any
        member the thread cannot hold, and to everyone when no thread can be made."""
        by_dm = list(message.user_ids)
        try:
            thread = await self._thread(message)
            added = [u for u in message.user_ids if await self._add(thread, u)]
            if added:
                mentions = tuple(u for u in message.mentions if u in added)
                await self._send(thread, message.reply, mentions, about=message.place)
                by_dm = [u for u in message.user_ids if u not in added]
        except (discord.HTTPException, TypeError) as err:
            log.warning("private thread failed (%s); sending direct messages instead", err)
        results = [await self._dm(message.place, u, message.reply) for u in by_dm]
        closed = [r for r in results if r.reason == "dm_closed"]
        return Delivery(
            ok=not closed and all(r.ok for r in results), reason="dm_closed" if closed else None
        )

    async def _thread(self, message: GroupMessage) -> discord.Thread:
        parent = self.client.get_channel(int(message.place.channel))
        if not isinstance(parent, discord.TextChannel):
            fetched = await self.client.fetch_channel(int(message.place.channel))
            if not isinstance(fetched, discord.TextChannel):
                raise TypeError("the community channel cannot hold threads")
            parent = fetched
        return await parent.create_thread(
            name=self._thread_name(message.reply),
            type=discord.ChannelType.private_thread,
            invitable=False,
            auto_archive_duration=THREAD_ARCHIVE_MINUTES,
        )

    @staticmethod
    async def _add(thread: discord.Thread, user_id: str) -> bool:
        """Add a member to the thread; False when Discord refuses (they left, say)."""
        try:
            await thread.add_user(discord.Object(int(user_id)))
        except discord.HTTPException as err:
            log.warning("could not add a member to a private thread: %s", err.code)
            return False
        return True

    @staticmethod
    def _thread_name(reply: Reply) -> str:
        source = reply.card.title if reply.card is not None else reply.text
        first = PLAIN_TEXT.render(source).strip().splitlines()
        return clip(first[0] if first else "copbot", MAX_THREAD_NAME)
