"""Drive the real discord.py client offline (verified against discord.py 2.6, pinned <2.7).

- No network: Client.login/start/connect are never called.
- Every outgoing request is recorded at the two layers discord.py sends through:
  ``HTTPClient.request`` (bot REST routes: channel messages, DMs, threads, command sync)
  and ``AsyncWebhookAdapter.request`` (interaction callbacks and follow-ups).
- Raw gateway INTERACTION_CREATE payloads go into ``ConnectionState.parse_interaction_create``
  and ``settle()`` waits for every task that dispatch spawned.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest
from discord.http import Route
from discord.webhook.async_ import AsyncWebhookAdapter
from sqlalchemy import Engine

from adapters.discord.bot import CopClient
from adapters.discord.chat import DiscordChat
from adapters.discord.tree import CommandPlan
from adapters.runtime import App, build_app
from bot.clock import ManualClock
from bot.features import load_registry
from tests.conftest import START

APP_ID = 900000000000000001
BOT_ID = APP_ID  # the bot user's id is the application's id
GUILD_ID = 900000000000000100
CHANNEL_ID = 900000000000000200
ALICE = 900000000000000300
BOB = 900000000000000301
CAROL = 900000000000000302
NAMES = {ALICE: "alice", BOB: "bob", CAROL: "carol"}
DM_OFFSET = 7  # the DM channel with user N is N + 7

CALLBACK = "/interactions/{webhook_id}/{webhook_token}/callback"
FOLLOWUP = "/webhooks/{webhook_id}/{webhook_token}"
ORIGINAL = "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
MESSAGES = "/channels/{channel_id}/messages"
MESSAGE = "/channels/{channel_id}/messages/{message_id}"  # PATCH edits, DELETE removes
CREATE_DM = "/users/@me/channels"
THREADS = "/channels/{channel_id}/threads"
THREAD_MEMBER = "/channels/{channel_id}/thread-members/{user_id}"
GUILD_COMMANDS = "/applications/{application_id}/guilds/{guild_id}/commands"

_snow = itertools.count(910000000000000000)


def snowflake() -> int:
    return next(_snow)


# ---------------------------------------------------------------- payloads


def user_payload(uid: int, name: str | None = None, bot: bool = False) -> dict[str, Any]:
    name = name or NAMES.get(uid, f"user{uid % 1000}")
    return {
        "id": str(uid),
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def member_payload(uid: int, *, with_user: bool = True) -> dict[str, Any]:
    m: dict[str, Any] = {
        "roles": [],
        "joined_at": "2024-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
        "nick": None,
        "avatar": None,
        "pending": False,
        "permissions": "2147483647",
    }
    if with_user:
        m["user"] = user_payload(uid)
    return m


def text_channel_payload(cid: int = CHANNEL_ID, gid: int = GUILD_ID) -> dict[str, Any]:
    return {
        "id": str(cid),
        "type": 0,
        "guild_id": str(gid),
        "name": "general",
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


def thread_payload(tid: int, parent: int = CHANNEL_ID, name: str = "thread") -> dict[str, Any]:
    return {
        "id": str(tid),
        "type": 12,
        "guild_id": str(GUILD_ID),
        "name": name,
        "parent_id": str(parent),
        "owner_id": str(BOT_ID),
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 10080,
            "archive_timestamp": "2024-01-01T00:00:00+00:00",
            "locked": False,
            "invitable": False,
        },
    }


def guild_payload() -> dict[str, Any]:
    return {
        "id": str(GUILD_ID),
        "name": "CoP Guild",
        "icon": None,
        "owner_id": str(ALICE),
        "features": [],
        "member_count": 3,
        "large": False,
        "unavailable": False,
        "roles": [
            {
                "id": str(GUILD_ID),
                "name": "@everyone",
                "permissions": "1071698660929",
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ],
        "channels": [text_channel_payload()],
        "threads": [],
        "emojis": [],
        "stickers": [],
        "members": [member_payload(BOT_ID)],
        "voice_states": [],
        "presences": [],
    }


def message_payload(
    *,
    channel_id: int = CHANNEL_ID,
    content: str = "",
    components: list[Any] | None = None,
    flags: int = 0,
) -> dict[str, Any]:
    return {
        "id": str(snowflake()),
        "channel_id": str(channel_id),
        "type": 0,
        "content": content,
        "author": user_payload(BOT_ID, "copbot", bot=True),
        "timestamp": "2024-01-01T00:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "flags": flags,
        "components": components or [],
    }


def interaction_payload(
    itype: int,
    data: dict[str, Any],
    *,
    user: int = ALICE,
    channel_id: int = CHANNEL_ID,
    dm: bool = False,
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    p: dict[str, Any] = {
        "id": str(snowflake()),
        "application_id": str(APP_ID),
        "type": itype,
        "data": data,
        "token": f"tok-{snowflake()}",
        "version": 1,
        "locale": "en-GB",
        "app_permissions": "2147483647",
        "attachment_size_limit": 8 * 1024 * 1024,
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(GUILD_ID)},
        "context": 0,
    }
    if dm:
        dm_id = str(user + DM_OFFSET)
        p.update(
            {
                "channel_id": dm_id,
                "context": 1,
                "channel": {"id": dm_id, "type": 1, "recipients": [user_payload(user)]},
                "user": user_payload(user),
            }
        )
    else:
        channel = (
            text_channel_payload(channel_id)
            if channel_id == CHANNEL_ID
            else thread_payload(channel_id)
        )
        p.update(
            {
                "guild_id": str(GUILD_ID),
                "guild_locale": "en-GB",
                "guild": {"id": str(GUILD_ID), "locale": "en-GB", "features": []},
                "channel_id": str(channel_id),
                "channel": channel,
                "member": member_payload(user),
            }
        )
    if message is not None:
        p["message"] = message
    return p


def button_row(custom_id: str, label: str = "Go") -> dict[str, Any]:
    button = {"type": 2, "id": 2, "style": 1, "label": label, "custom_id": custom_id}
    return {"type": 1, "id": 1, "components": [button]}


def component_payload(
    custom_id: str, *, message: dict[str, Any] | None = None, **kw: Any
) -> dict[str, Any]:
    """A button press. The message must carry the button (DynamicItem looks it up there)."""
    if message is None:
        message = message_payload(components=[button_row(custom_id)])
    data = {"custom_id": custom_id, "component_type": 2}
    return interaction_payload(3, data, message=message, **kw)


def modal_submit_payload(
    custom_id: str, fields: dict[str, str], *, labelled: bool = True, **kw: Any
) -> dict[str, Any]:
    """A modal submission: label components (2025 shape) or action rows (classic)."""
    if labelled:
        comps = [
            {
                "type": 18,
                "id": i + 1,
                "component": {"type": 4, "id": 100 + i, "custom_id": k, "value": v},
            }
            for i, (k, v) in enumerate(fields.items())
        ]
    else:
        comps = [
            {
                "type": 1,
                "id": i + 1,
                "components": [{"type": 4, "id": 100 + i, "custom_id": k, "value": v}],
            }
            for i, (k, v) in enumerate(fields.items())
        ]
    return interaction_payload(5, {"custom_id": custom_id, "components": comps}, **kw)


# ---------------------------------------------------------------- recording


@dataclass
class Call:
    kind: str  # "http" (HTTPClient) or "webhook" (interaction responses)
    method: str
    path: str  # e.g. /channels/123/messages
    template: str  # e.g. /channels/{channel_id}/messages
    json: Any = None
    files: list[str] = field(default_factory=list)
    params: Any = None
    result: Any = None  # what the recorder answered (e.g. the posted message, with its id)

    @property
    def sends_message(self) -> bool:
        """Whether this call posts or edits a message (and so carries allowed_mentions)."""
        if self.template == CALLBACK:
            return (self.json or {}).get("type") in (4, 7)
        return (self.method, self.template) in {
            ("POST", MESSAGES),
            ("PATCH", MESSAGE),
            ("POST", FOLLOWUP),
            ("PATCH", ORIGINAL),
        }

    @property
    def message(self) -> dict[str, Any]:
        """The message body of a send (an interaction callback's ``data``)."""
        body = self.json or {}
        return body.get("data", {}) if self.template == CALLBACK else body


def _fake_response(status: int) -> Any:
    class Response:
        def __init__(self) -> None:
            self.status = status
            self.reason = "refused"

    return Response()


class Recorder:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.closed_dms: set[int] = set()
        self.thread_refused = False
        self.thread_member_refused: set[int] = set()  # users who cannot join a thread
        self.meant_mentions: set[int] = set()  # users a test expects the bot to ping

    def _record(self, call: Call) -> Any:
        if call.json is not None:
            call.json = json.loads(discord.utils._to_json(call.json))
        self.calls.append(call)
        call.result = self.respond(call)
        return call.result

    async def http_request(
        self, route: Route, *, files: Any = None, form: Any = None, **kw: Any
    ) -> Any:
        payload = kw.get("json")
        names: list[str] = []
        for part in form or ():
            if part.get("name") == "payload_json":
                payload = json.loads(part["value"])
            elif "filename" in part:
                names.append(part["filename"])
        call = Call(
            "http",
            route.method,
            route.url[len(Route.BASE) :],
            route.path,
            payload,
            names,
            kw.get("params"),
        )
        return self._record(call)

    async def webhook_request(self, route: Route, session: Any = None, **kw: Any) -> Any:
        payload = kw.get("payload")
        names: list[str] = []
        for part in kw.get("multipart") or ():
            if part.get("name") == "payload_json":
                payload = json.loads(part["value"])
            elif "filename" in part:
                names.append(part["filename"])
        call = Call(
            "webhook",
            route.method,
            route.url[len(Route.BASE) :],
            route.path,
            payload,
            names,
            kw.get("params"),
        )
        return self._record(call)

    def respond(self, call: Call) -> Any:
        t, m, j = call.template, call.method, call.json or {}
        if t == CALLBACK:
            iid = call.path.split("/")[2]
            flags = (j.get("data") or {}).get("flags", 0)
            return {
                "interaction": {
                    "id": iid,
                    "type": 2,
                    "response_message_loading": j.get("type") == 5,
                    "response_message_ephemeral": bool(flags & 64),
                }
            }
        if t == FOLLOWUP and m == "POST":
            return message_payload(content=j.get("content") or "", flags=j.get("flags", 0))
        if t.startswith(FOLLOWUP + "/messages/"):
            return message_payload(content=j.get("content") or "")
        if t == CREATE_DM:
            rid = int(j["recipient_id"])
            return {
                "id": str(rid + DM_OFFSET),
                "type": 1,
                "last_message_id": None,
                "recipients": [user_payload(rid)],
            }
        if t == MESSAGES and m == "POST":
            cid = int(call.path.split("/")[2])
            if cid - DM_OFFSET in self.closed_dms:
                raise discord.Forbidden(
                    _fake_response(403),
                    {"code": 50007, "message": "Cannot send messages to this user"},
                )
            return message_payload(channel_id=cid, content=j.get("content") or "")
        if t == MESSAGE and m == "PATCH":
            _, _, cid, _, mid = call.path.split("/")
            edited = message_payload(channel_id=int(cid), content=j.get("content") or "")
            return {**edited, "id": mid, "embeds": j.get("embeds") or []}
        if t == THREADS and m == "POST":
            if self.thread_refused:
                raise discord.Forbidden(
                    _fake_response(403), {"code": 50013, "message": "Missing Permissions"}
                )
            return thread_payload(
                snowflake(), int(call.path.split("/")[2]), j.get("name", "thread")
            )
        if t == THREAD_MEMBER and m == "PUT":
            if int(call.path.rsplit("/", 1)[1]) in self.thread_member_refused:
                raise discord.NotFound(
                    _fake_response(404), {"code": 10007, "message": "Unknown Member"}
                )
            return None
        if t == "/channels/{channel_id}" and m == "GET":
            return text_channel_payload(int(call.path.split("/")[2]))
        if t in (GUILD_COMMANDS, "/applications/{application_id}/commands") and m == "PUT":
            return [
                dict(c, id=str(snowflake()), application_id=str(APP_ID), version="1")
                for c in call.json
            ]
        return None

    # -------------------------------------------------------- queries

    def find(self, template: str, method: str | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.template == template and (method is None or c.method == method)
        ]

    def sends(self) -> list[Call]:
        return [c for c in self.calls if c.sends_message]

    def texts(self) -> list[str]:
        """Everything a member could read, in order: contents, embeds, buttons."""
        out: list[str] = []
        for call in self.sends():
            msg = call.message
            if msg.get("content"):
                out.append(msg["content"])
            for e in msg.get("embeds") or ():
                out += [e.get("title") or "", e.get("description") or ""]
                for f in e.get("fields") or ():
                    out += [f["name"], f["value"]]
                if e.get("footer"):
                    out.append(e["footer"]["text"])
        return [t for t in out if t]

    def clear(self) -> None:
        self.calls.clear()


# ---------------------------------------------------------------- the offline client


def _is_timer(task: asyncio.Task[Any]) -> bool:
    # View timeouts (ephemeral follow-ups with buttons get 15 minutes) are sleepers.
    return task.get_coro().__qualname__.endswith("__timeout_task_impl")  # type: ignore[union-attr]


async def settle(timeout: float = 5.0) -> None:
    """Wait until every task spawned by dispatch has finished."""
    me = asyncio.current_task()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        await asyncio.sleep(0)
        pending = [
            t for t in asyncio.all_tasks() if t is not me and not t.done() and not _is_timer(t)
        ]
        if not pending:
            return
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise TimeoutError(f"tasks still pending: {[t.get_name() for t in pending]}")
        await asyncio.wait(pending, timeout=remaining)


async def cancel_leftovers() -> None:
    me = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
    for t in left:
        t.cancel()
    await asyncio.gather(*left, return_exceptions=True)


def patch_webhooks(recorder: Recorder, monkeypatch: Any) -> None:
    """Interaction callbacks and follow-ups bypass HTTPClient: record them at their adapter."""

    async def request(self: AsyncWebhookAdapter, route: Route, session: Any, **kw: Any) -> Any:
        return await recorder.webhook_request(route, session, **kw)

    monkeypatch.setattr(AsyncWebhookAdapter, "request", request)


class OfflineDiscord:
    """One bot process: a CopClient wired to the real core and storage, with no network."""

    def __init__(self, engine: Engine, clock: ManualClock, recorder: Recorder) -> None:
        self.recorder = recorder
        self.clock = clock
        self.client = CopClient(load_registry(), guild_ids=[GUILD_ID])
        self.chat = DiscordChat(self.client)
        self.app: App = build_app(self.chat, clock=clock, engine=engine)
        self.client.attach(self.app)

    async def start(self) -> OfflineDiscord:
        client, state = self.client, self.client._connection
        await client._async_setup_hook()  # the loop objects login() would set up
        client.http.request = self.recorder.http_request  # type: ignore[method-assign]
        client.http.token = "offline-token"
        state.user = discord.ClientUser(state=state, data=user_payload(BOT_ID, "copbot", bot=True))  # type: ignore[arg-type]
        state.application_id = APP_ID
        state._add_guild(discord.Guild(data=guild_payload(), state=state))  # type: ignore[arg-type]
        client.register_components()  # what setup_hook does on every start
        return self

    # -------------------------------------------------------- interactions

    async def feed(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
        await settle()
        return payload

    def plan(self, command: str) -> CommandPlan:
        found = [p for p in self.client.plan.commands if p.spec.name == command]
        assert found, f"no Discord command for {command!r}"
        return found[0]

    def slash_payload(self, command: str, user: int = ALICE, **options: Any) -> dict[str, Any]:
        """``/cop …`` as Discord sends it; ``options`` by name (ints as user ids for users)."""
        plan = self.plan(command)
        types = {o.name: o.type for o in plan.options}
        leaf: list[dict[str, Any]] = []
        resolved: dict[str, Any] = {"users": {}, "members": {}}
        for name, value in options.items():
            assert name in types, f"/cop {command} has no option {name}"
            kind = types[name]
            if kind is discord.AppCommandOptionType.user:
                resolved["users"][str(value)] = user_payload(int(value))
                resolved["members"][str(value)] = member_payload(int(value), with_user=False)
                value = str(value)
            leaf.append({"name": name, "type": kind.value, "value": value})
        if len(plan.path) == 2:
            opts = [
                {
                    "name": plan.path[0],
                    "type": 2,
                    "options": [{"name": plan.path[1], "type": 1, "options": leaf}],
                }
            ]
        else:
            opts = [{"name": plan.path[0], "type": 1, "options": leaf}]
        data: dict[str, Any] = {
            "id": str(snowflake()),
            "name": "cop",
            "type": 1,
            "options": opts,
            "guild_id": str(GUILD_ID),
        }
        if resolved["users"]:
            data["resolved"] = resolved
        return interaction_payload(2, data, user=user)

    async def slash(self, command: str, user: int = ALICE, **options: Any) -> dict[str, Any]:
        return await self.feed(self.slash_payload(command, user, **options))

    async def press(self, custom_id: str, user: int = ALICE, **kw: Any) -> dict[str, Any]:
        return await self.feed(component_payload(custom_id, user=user, **kw))

    async def submit(
        self, custom_id: str, fields: dict[str, str], user: int = ALICE, **kw: Any
    ) -> dict[str, Any]:
        return await self.feed(modal_submit_payload(custom_id, fields, user=user, **kw))

    async def setup(self, name: str = "North", timezone: str = "Europe/London") -> None:
        await self.slash("setup", name=name, timezone=timezone)

    async def dm_text(self, text: str, user: int = ALICE) -> None:
        """A direct message from a member to the bot (MESSAGE_CREATE in a DM channel)."""
        state = self.client._connection
        data = message_payload(channel_id=user + DM_OFFSET, content=text)
        data["author"] = user_payload(user)
        state._add_private_channel(
            discord.DMChannel(
                me=state.user,
                state=state,
                data={"id": str(user + DM_OFFSET), "type": 1, "recipients": [user_payload(user)]},
            )  # type: ignore[arg-type]
        )
        state.parse_message_create(data)  # type: ignore[arg-type]
        await settle()


# ---------------------------------------------------------------- fixtures


def assert_no_unintended_mentions(recorder: Recorder, allowed_users: set[int]) -> None:
    """Every message the bot sent allows no @everyone/@here/roles, and only meant users."""
    for call in recorder.sends():
        mentions = call.message.get("allowed_mentions")
        assert mentions is not None, call
        assert mentions.get("parse") == [], call
        assert not mentions.get("roles"), call
        assert {int(u) for u in mentions.get("users", [])} <= allowed_users, call


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    rec = Recorder()
    patch_webhooks(rec, monkeypatch)
    yield rec


@pytest.fixture
async def discord_bot(engine: Engine, recorder: Recorder) -> AsyncIterator[OfflineDiscord]:
    """A bot process on SQLite at START; every message it sent is checked for mentions."""
    bot = await OfflineDiscord(engine, ManualClock(START), recorder).start()
    yield bot
    await cancel_leftovers()
    assert_no_unintended_mentions(recorder, recorder.meant_mentions)
