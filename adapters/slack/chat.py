"""The Slack side of ``bot.ports.Chat``: posts, direct messages, group DMs, private replies.

Every Web API failure is logged with the method name (never the message text) and turned
into ``Delivery(ok=False, reason=<Slack's error code>)``; when a member's action caused the
send, they are told too (``Origin``, set by the listener for the duration of its work).
Rate limits (HTTP 429) are retried by the client's ``AsyncRateLimitErrorRetryHandler``.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.render import SlackMessage, reply_messages
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
from bot.text import Msg

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
MPIM_MAX_USERS = 8  # conversations.open takes at most 8 users for a group DM
# Errors meaning "this member cannot get a DM from the app"; the core stops trying.
DM_CLOSED = {"cannot_dm_bot", "user_disabled", "messages_tab_disabled", "user_not_visible"}
# Errors meaning "the message to update or delete is gone"; the core forgets it.
MESSAGE_GONE = {"message_not_found", "channel_not_found", "cant_update_message"}


def retry_handlers() -> list[Any]:
    return [AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=3)]


def make_client(token: str | None, base_url: str | None = None) -> AsyncWebClient:
    url = base_url or DEFAULT_API_URL
    return AsyncWebClient(
        token=token,
        base_url=url if url.endswith("/") else url + "/",
        retry_handlers=retry_handlers(),
    )


@dataclass(frozen=True)
class Origin:
    """The member whose action is being answered, and how to reach them privately."""

    team: str
    channel: str
    user_id: str
    response_url: str | None = None


CURRENT_ORIGIN: ContextVar[Origin | None] = ContextVar("copbot_slack_origin", default=None)


class SlackError(Exception):
    def __init__(self, method: str, error: str) -> None:
        super().__init__(f"{method}: {error}")
        self.method = method
        self.error = error


class SlackChat:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    # ------------------------------------------------------------ Web API calls

    async def call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        """Call ``method``; raise SlackError (after logging the method) on any failure."""
        try:
            if method in ("chat.postMessage", "chat.postEphemeral", "chat.update", "views.open"):
                response = await self.client.api_call(method, json=kwargs)
            else:
                response = await self.client.api_call(method, params=kwargs)
            return dict(response.data) if isinstance(response.data, dict) else {}
        except SlackApiError as err:
            error = str(err.response.get("error", "unknown_error"))
            log.warning("Slack %s failed: %s", method, error)
            raise SlackError(method, error) from None
        except (SlackClientError, OSError, TimeoutError) as err:
            log.warning("Slack %s failed: %s", method, type(err).__name__)
            raise SlackError(method, type(err).__name__) from None

    async def post(self, channel: str, messages: list[SlackMessage]) -> str | None:
        """Post ``messages``; returns the first one's reference, ``"<channel>:<ts>"``."""
        ref: str | None = None
        for message in messages:
            data = await self.call("chat.postMessage", channel=channel, **message.as_args())
            if ref is None and data.get("ts"):
                ref = f"{data.get('channel') or channel}:{data['ts']}"
        return ref

    @staticmethod
    def _split_ref(ref: str | None) -> tuple[str, str]:
        channel, _, ts = (ref or "").partition(":")
        if not channel or not ts:
            raise SlackError("ref", "message_not_found")
        return channel, ts

    async def update(self, ref: str | None, reply: Reply) -> None:
        """Replace a posted message (a reply longer than one message keeps only its first)."""
        channel, ts = self._split_ref(ref)
        first = reply_messages(reply)[0]
        await self.call("chat.update", channel=channel, ts=ts, **first.as_args())

    async def delete(self, ref: str | None) -> None:
        channel, ts = self._split_ref(ref)
        await self.call("chat.delete", channel=channel, ts=ts)

    async def ephemeral(self, channel: str, user: str, messages: list[SlackMessage]) -> None:
        for message in messages:
            await self.call("chat.postEphemeral", channel=channel, user=user, **message.as_args())

    async def open_dm(self, user_ids: tuple[str, ...]) -> str:
        data = await self.call("conversations.open", users=",".join(user_ids))
        return str(data["channel"]["id"])

    async def respond(self, response_url: str, messages: list[SlackMessage]) -> None:
        """Private (ephemeral) answers through the interaction's ``response_url``."""
        webhook = AsyncWebhookClient(response_url, retry_handlers=retry_handlers())
        for message in messages:
            try:
                result = await webhook.send_dict(
                    {"response_type": "ephemeral", "replace_original": False, **message.as_args()}
                )
            except (SlackClientError, OSError, TimeoutError) as err:
                log.warning("Slack response_url failed: %s", type(err).__name__)
                raise SlackError("response_url", type(err).__name__) from None
            if result.status_code != 200:
                error = (result.body or str(result.status_code)).strip()[:100]
                log.warning("Slack response_url failed: %s %s", result.status_code, error)
                raise SlackError("response_url", error)

    # ------------------------------------------------------------ the Chat port

    async def send(self, message: Outgoing) -> Delivery:
        try:
            if isinstance(message, ChannelPost):
                ref = await self.post(message.place.channel, reply_messages(message.reply))
                return Delivery(ok=True, ref=ref)
            elif isinstance(message, DirectMessage):
                await self._dm((message.user_id,), message.place, message.reply)
            elif isinstance(message, GroupMessage):
                await self._group(message)
            elif isinstance(message, EditPost):
                await self.update(message.ref, message.reply)
            elif isinstance(message, DeletePost):
                await self.delete(message.ref)
        except SlackError as err:
            if isinstance(message, DirectMessage) and err.error in DM_CLOSED:
                return Delivery(ok=False, reason="dm_closed")
            if isinstance(message, EditPost | DeletePost) and err.error in MESSAGE_GONE:
                return Delivery(ok=False, reason="not_found")
            await self.report(err)
            return Delivery(ok=False, reason=err.error)
        return Delivery(ok=True)

    async def _dm(self, user_ids: tuple[str, ...], about: Place, reply: Reply) -> None:
        channel = await self.open_dm(user_ids)
        await self.post(channel, reply_messages(reply, about=about))

    async def _group(self, message: GroupMessage) -> None:
        users = tuple(dict.fromkeys(message.user_ids))
        if len(users) <= MPIM_MAX_USERS:
            await self._dm(users, message.place, message.reply)
            return
        # Too many for one group DM: each gets the message on their own.
        for user in users:
            await self._dm((user,), message.place, message.reply)

    # ------------------------------------------------------------ answering the actor

    async def answer(self, origin: Origin, reply: Reply) -> None:
        """Show ``reply`` to the member who acted: where they acted, or privately."""
        messages = reply_messages(reply)
        if not reply.private:
            await self.post(origin.channel, messages)
        elif origin.response_url:
            await self.respond(origin.response_url, messages)
        elif origin.channel.startswith("D"):
            await self.post(origin.channel, messages)
        else:
            await self.ephemeral(origin.channel, origin.user_id, messages)

    async def report(self, err: SlackError, origin: Origin | None = None) -> None:
        """Tell the member who acted that Slack refused something (never silently drop)."""
        origin = origin or CURRENT_ORIGIN.get()
        if origin is None:
            return  # scheduled work: the failure is logged and returned as a Delivery
        notice = Reply(Msg("slack.slack_error", {"method": err.method, "error": err.error}))
        messages = reply_messages(notice)
        try:
            if origin.response_url and err.method != "response_url":
                await self.respond(origin.response_url, messages)
            else:
                await self.ephemeral(origin.channel, origin.user_id, messages)
        except SlackError:
            try:
                await self._dm(
                    (origin.user_id,), Place("slack", origin.team, origin.channel), notice
                )
            except SlackError:
                log.error("could not tell %s that Slack %s failed", origin.user_id, err.method)
