"""Slack without Slack: a local Web API stand-in, request signing and payload builders.

* ``SlackStandIn``: an aiohttp server on 127.0.0.1 answering ``/api/<method>`` like Slack's
  Web API (``chat.postMessage`` returns a fresh ``ts``; ``chat.update`` / ``chat.delete``
  echo the channel and ts they were given) and ``/response/<id>`` like a ``response_url``;
  it records every call (query, form and JSON bodies, and its answer) and can answer
  HTTP 429 (with Retry-After) or ``ok: false`` errors.
* ``signed_headers`` / ``post_signed``: Slack's v0 request signature.
* ``slash_command_body`` / ``block_actions_body`` / ``view_submission_body`` /
  ``message_im_body``: payloads shaped as Slack sends them; ``as_slack_sends`` encodes
  typed text the way Slack does in a command's or message's ``text``.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.signature import SignatureVerifier

TEAM_ID = "T0TEST"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"


@dataclass
class Call:
    method: str  # "chat.postMessage", … or "response_url"
    args: dict[str, Any]  # query + form + JSON body, merged
    transport: str  # "json" | "form" | "query"
    headers: dict[str, str]
    path: str
    status: int = 200
    at: float = field(default_factory=time.perf_counter)
    result: dict[str, Any] | None = None  # what the stand-in answered (e.g. a post's ts)


class SlackStandIn:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._cond = asyncio.Condition()
        self._rate_limits: dict[str, tuple[int, int]] = {}
        self._errors: dict[str, Callable[[dict[str, Any]], str | None]] = {}
        self._ts = 1_700_000_000
        self.web_app = web.Application(client_max_size=16 * 1024**2)
        self.web_app.add_routes(
            [
                web.post("/api/{method}", self._api),
                web.post("/response/{rid}", self._response_url),
            ]
        )
        self.server: TestServer | None = None

    async def start(self) -> SlackStandIn:
        self.server = TestServer(self.web_app, host="127.0.0.1", port=0)
        await self.server.start_server()
        return self

    async def close(self) -> None:
        if self.server:
            await self.server.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    @property
    def api_base_url(self) -> str:
        return f"{self.url}/api/"

    def new_response_url(self) -> str:
        return f"{self.url}/response/{uuid.uuid4().hex[:8]}"

    # ------------------------------------------------------------ behaviour

    def rate_limit(self, method: str, times: int, retry_after: int = 0) -> None:
        """Answer HTTP 429 with Retry-After to the next ``times`` calls of ``method``."""
        self._rate_limits[method] = (times, retry_after)

    def fail(
        self,
        method: str,
        error: str = "channel_not_found",
        when: Callable[[dict[str, Any]], bool] = lambda a: True,
    ) -> None:
        """Answer ``{"ok": false, "error": error}`` (HTTP 200, as Slack does)."""
        self._errors[method] = lambda a: error if when(a) else None

    # ------------------------------------------------------------ queries

    def calls_to(self, method: str, status: int | None = 200) -> list[Call]:
        return [
            c for c in self.calls if c.method == method and (status is None or c.status == status)
        ]

    def texts(self, method: str) -> list[str]:
        """Everything visible in the messages sent through ``method``: text and blocks."""
        return [
            c.args.get("text", "") + "\n" + json.dumps(c.args.get("blocks", []))
            for c in self.calls_to(method)
        ]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        pred: Callable[[Call], bool] = lambda c: True,
    ) -> list[Call]:
        def matching() -> list[Call]:
            return [c for c in self.calls_to(method) if pred(c)]

        async with self._cond:
            await asyncio.wait_for(self._cond.wait_for(lambda: len(matching()) >= count), timeout)
            return matching()

    async def _record(self, call: Call) -> None:
        async with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    # ------------------------------------------------------------ handlers

    @staticmethod
    async def _parse(request: web.Request) -> tuple[dict[str, Any], str]:
        args: dict[str, Any] = dict(request.query)
        transport = "query"
        raw = await request.read()
        if raw and request.content_type == "application/json":
            args.update(json.loads(raw))
            transport = "json"
        elif raw:
            args.update(dict(parse_qsl(raw.decode(), keep_blank_values=True)))
            transport = "form"
        return args, transport

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args, transport = await self._parse(request)
        call = Call(method, args, transport, dict(request.headers), request.path)
        remaining, retry_after = self._rate_limits.get(method, (0, 0))
        if remaining > 0:
            self._rate_limits[method] = (remaining - 1, retry_after)
            call.status = 429
            await self._record(call)
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        error = self._errors.get(method, lambda a: None)(args)
        if error:
            call.status = 400  # recorded as failed; Slack itself answers 200 with ok=false
            await self._record(call)
            return web.json_response({"ok": False, "error": error})
        call.result = self._answer(method, args)
        await self._record(call)
        return web.json_response(call.result)

    async def _response_url(self, request: web.Request) -> web.Response:
        args, transport = await self._parse(request)
        call = Call("response_url", args, transport, dict(request.headers), request.path)
        error = self._errors.get("response_url", lambda a: None)(args)
        if error:
            call.status = 404
            await self._record(call)
            return web.Response(status=404, text=error)
        await self._record(call)
        return web.Response(text="ok")

    def _answer(self, method: str, a: dict[str, Any]) -> dict[str, Any]:
        self._ts += 1
        ts = f"{self._ts}.000100"
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://test.slack.com/",
                "team": "Test",
                "user": "copbot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            return {"ok": True, "channel": a.get("channel"), "ts": ts}
        if method in ("chat.update", "chat.delete"):  # a tracked post edited or removed
            return {"ok": True, "channel": a.get("channel"), "ts": a.get("ts")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "conversations.open":
            users = str(a.get("users", "X")).split(",")
            prefix = "D0" if len(users) == 1 else "G0"
            return {"ok": True, "channel": {"id": prefix + "".join(u[-3:] for u in users)}}
        if method in ("views.open", "views.update", "views.push"):
            view = a.get("view")
            view = json.loads(view) if isinstance(view, str) else (view or {})
            return {"ok": True, "view": {**view, "id": "V0TEST", "team_id": TEAM_ID}}
        return {"ok": True}


# ---------------------------------------------------------------- signing and payloads


def signed_headers(
    secret: str,
    body: str,
    timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
        "Content-Type": content_type,
    }


async def post_signed(
    session: aiohttp.ClientSession, url: str, secret: str, body: str, **kw: Any
) -> tuple[int, str]:
    if body.startswith("{") and "content_type" not in kw:
        kw["content_type"] = "application/json"
    headers = signed_headers(secret, body, **kw)
    async with session.post(url, data=body.encode(), headers=headers) as response:
        return response.status, await response.text()


def slash_command_body(
    *,
    text: str = "",
    response_url: str,
    user_id: str = "U0ALICE",
    user_name: str = "alice",
    channel_id: str = "C0GENERAL",
    team_id: str = TEAM_ID,
    trigger_id: str = "1337.42.abcd",
    command: str = "/cop",
) -> str:
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": team_id,
            "team_domain": "test",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": "A0TEST",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def as_slack_sends(typed: str) -> str:
    """A member's typed text as Slack puts it in a payload: ``&``, ``<``, ``>`` as entities.

    (With ``should_escape`` Slack also turns typed mentions and links into ``<…>`` tokens;
    tests write those tokens themselves, e.g. ``<@U0BOB|bob>`` or ``<https://x.org>``.)
    """
    return typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _payload(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def block_actions_body(
    *,
    value: str,
    response_url: str,
    action_id: str = "cop-btn-0",
    user_id: str = "U0ALICE",
    user_name: str = "alice",
    channel_id: str = "C0GENERAL",
    team_id: str = TEAM_ID,
    trigger_id: str = "1337.43.abcd",
) -> str:
    return _payload(
        {
            "type": "block_actions",
            "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
            "api_app_id": "A0TEST",
            "token": "legacy-verification-token",
            "container": {
                "type": "message",
                "message_ts": "1700000000.000100",
                "channel_id": channel_id,
                "is_ephemeral": False,
            },
            "trigger_id": trigger_id,
            "team": {"id": team_id, "domain": "test"},
            "channel": {"id": channel_id, "name": "general"},
            "message": {"type": "message", "ts": "1700000000.000100", "text": "", "blocks": []},
            "response_url": response_url,
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "b1",
                    "value": value,
                    "text": {"type": "plain_text", "text": "Go"},
                    "action_ts": str(time.time()),
                }
            ],
        }
    )


def view_submission_body(
    *,
    view: dict[str, Any],
    values: dict[str, str | None],
    user_id: str = "U0ALICE",
    user_name: str = "alice",
    team_id: str = TEAM_ID,
) -> str:
    """Submit a modal as opened through views.open; ``values`` by input block id."""
    state = {
        block: {"value": {"type": "plain_text_input", "value": value}}
        for block, value in values.items()
    }
    return _payload(
        {
            "type": "view_submission",
            "team": {"id": team_id, "domain": "test"},
            "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
            "api_app_id": "A0TEST",
            "token": "legacy-verification-token",
            "trigger_id": "1337.44.abcd",
            "view": {
                **view,
                "id": "V0TEST",
                "team_id": team_id,
                "state": {"values": state},
                "hash": "h1",
                "app_id": "A0TEST",
                "bot_id": BOT_ID,
            },
            "response_urls": [],
        }
    )


def message_im_body(
    *, text: str, user_id: str = "U0ALICE", channel_id: str = "D0ALICE", team_id: str = TEAM_ID
) -> str:
    return json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": team_id,
            "api_app_id": "A0TEST",
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:8]}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team_id, "user_id": BOT_USER_ID, "is_bot": True}],
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": channel_id,
                "user": user_id,
                "text": text,
                "ts": "1700000001.000200",
                "team": team_id,
            },
        }
    )
