"""The Slack adapter: a Bolt app, generic over the command registry.

``/cop <text>``        -> Invocation(text) -> core -> ephemeral via response_url, or a channel post
button (block_actions) -> the button's typed command, run as if typed (via="button")
modal (view_submission)-> Invocation(command, raw field values); refusals shown on the field
DM to the app          -> core.handle_dm_text, answered in the DM (message.im)
``/cop`` typed in a DM -> no community lives there: ``help`` lists the commands, anything
                          else points to the member's community channels

HTTP mode runs on one event loop. The aiohttp handler reads each request and checks its
signature; for the kinds whose answer is always an empty 200 (slash commands, button
presses, events) it answers at once and puts the request on a queue. A few worker tasks
(``WORKERS``) take requests in arrival order and let Bolt dispatch each one to the end (its
listener acks, then runs the core), yielding to the loop between requests. The core's
database work is synchronous, so while a worker runs it nothing else does; but asyncio runs
ready callbacks first in, first out, so the reads and acks of requests arriving meanwhile
wait for at most a few such chunks instead of behind every request in flight. Requests whose
answer Bolt must compute (modal submissions with their field errors, bad signatures,
url_verification) are dispatched in the handler and answered with Bolt's response. Socket
Mode runs Bolt as it comes (the ack travels over the socket when the listener calls
``ack()``).

Measured with bench/slack_ack.py (100 signed ``/cop profile``, loopback, 2 cores; medians
of 3 sets of 5 rounds; ms, ack p50/p99, reply p99). All at once: bare aiohttp handler
12/14, 21; this queue 17/18, 232; a task per request on the same loop 29/42, 211 (each ack
waits behind every other request's database work); the former design, Bolt and the core
on a second event loop in a thread, 53/76, 237. Spread over 200 ms: queue 3/7, 90; thread
1/3, 172. Running the database work in threads was not needed to reach these.

Nothing here logs a request body or an argument: a command may be an anonymous question.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters.runtime import App, build_app, start_ticker
from adapters.slack.chat import CURRENT_ORIGIN, Origin, SlackChat, SlackError, make_client
from adapters.slack.render import (
    BUTTON_ACTION,
    FORM_PREFIX,
    FormOrigin,
    error_text,
    form_values,
    from_slack,
    modal_view,
    reply_messages,
)
from bot.buttons import parse_button_id
from bot.commands import tokenize
from bot.context import Actor
from bot.core import Invocation, Outcome
from bot.errors import CommandError
from bot.replies import Place, Reply
from bot.text import Lines, Link, Msg

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
SLASH_COMMAND = "/cop"
# Opens a channel in the Slack app (or the browser) from any conversation.
CHANNEL_LINK = "https://slack.com/app_redirect?team={team}&channel={channel}"
# Tasks running acknowledged HTTP requests. bench/slack_ack.py: with 2, 3 or 4, p99 ack
# stays within a few ms of a bare aiohttp handler and replies are alike (within noise).
WORKERS = 3


def quiet_slack_loggers() -> None:
    """Bolt and the SDK log request and response bodies at DEBUG: never let them.

    A body may hold an anonymous question (``ask``); so these loggers stay at INFO or above
    whatever ``COPBOT_LOG_LEVEL`` says.
    """
    for name in ("slack_bolt", "slack_sdk"):
        logger = logging.getLogger(name)
        if logger.level < logging.INFO:  # unset (inherits) or DEBUG
            logger.setLevel(logging.INFO)


def _actor(user: dict[str, Any]) -> Actor:
    user_id = str(user.get("id", ""))
    return Actor(user_id, str(user.get("name") or user.get("username") or user_id))


def _is_dm(channel: str) -> bool:
    return channel.startswith("D")


class SlackAdapter:
    """Bolt listeners translating Slack payloads to invocations and outcomes to messages."""

    def __init__(
        self,
        app: App,
        chat: SlackChat,
        signing_secret: str,
        workers: int = WORKERS,
        fast_ack: bool = True,
    ) -> None:
        """``workers``: how many tasks run acknowledged HTTP requests (see the module
        docstring); 0 runs each in a task of its own (Socket Mode passes 0: there Bolt
        acks over the socket when a listener calls ``ack()``). ``fast_ack=False`` lets
        Bolt answer every HTTP request (a set-up of bench/slack_ack.py)."""
        self.app = app
        self.core = app.core
        self.chat = chat
        self.signing_secret = signing_secret
        self.fast_ack = fast_ack
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.workers = workers
        self._queue: asyncio.Queue[Coroutine[Any, Any, Any]] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        quiet_slack_loggers()
        self.bolt = AsyncApp(
            name="copbot",
            client=chat.client,
            signing_secret=signing_secret,
            request_verification_enabled=bool(signing_secret),
            # With workers, a dispatch returns when the listener has finished (a worker
            # runs one request at a time); without, as soon as the listener calls ack().
            process_before_response=workers > 0,
        )
        self._register()

    # ------------------------------------------------------------ listeners

    def _register(self) -> None:
        self.bolt.command(SLASH_COMMAND)(self.on_command)
        self.bolt.action({"type": "block_actions", "action_id": _button_action()})(self.on_button)
        self.bolt.view_submission(_form_callback())(self.on_form)
        self.bolt.view_closed(_form_callback())(self.on_form_closed)
        self.bolt.event("message")(self.on_message)

    async def on_command(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any]) -> None:
        await ack()  # first: the empty 200 goes back to Slack now, the work follows
        team, channel = str(body.get("team_id", "")), str(body.get("channel_id", ""))
        user = {"id": body.get("user_id", ""), "name": body.get("user_name", "")}
        origin = Origin(team, channel, str(user["id"]), body.get("response_url") or None)
        text = from_slack(str(body.get("text", "")))
        if _is_dm(channel) and not self._is_help(text):
            # No community lives in a direct message (and none may be set up there).
            reply = Reply(self._dm_pointer(team, origin.user_id, text))
            await self._show(Outcome(reply, ok=False), origin, trigger_id=None)
            return
        inv = Invocation(
            place=Place("slack", team, channel),
            actor=_actor(user),
            text=text,
            supports_forms=True,
            is_dm=_is_dm(channel),
        )
        await self._run(inv, origin, trigger_id=body.get("trigger_id"))

    def _is_help(self, text: str) -> bool:
        try:
            found = self.core.registry.match(tokenize(text))
        except CommandError:
            return False
        return found is not None and found[0].name == "help"

    def _channels(self, team: str, user_id: str) -> Lines | None:
        """Links to the channels of the member's communities on this workspace."""
        with self.core.uow_factory() as uow:
            mine = [c for c, _m in uow.members.memberships("slack", user_id)]
        links = [
            Msg.plain(
                Link(CHANNEL_LINK.format(team=c.place.workspace, channel=c.place.channel), c.name)
            )
            for c in mine
            if c.place.workspace == team
        ]
        return Lines(tuple(links), sep=", ") if links else None

    def _dm_pointer(self, team: str, user_id: str, text: str) -> Msg:
        channels = self._channels(team, user_id)
        if channels is None:
            return Msg("slack.dm_no_community")
        return Msg("slack.dm_use_channel", {"command": text.strip(), "channels": channels})

    def _dm_help(self, team: str, user_id: str, reply: Reply) -> Reply:
        """Help typed in a direct message: the command list, pointing to the channel."""
        if reply.text.key != "help.overview_not_set_up":
            return reply
        lines = reply.text.data.get("lines", "")
        channels = self._channels(team, user_id)
        if channels is None:
            return replace(reply, text=Msg("slack.dm_help_no_community", {"lines": lines}))
        return replace(reply, text=Msg("slack.dm_help", {"channels": channels, "lines": lines}))

    async def on_button(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any]) -> None:
        await ack()
        action = (body.get("actions") or [{}])[0]
        target = parse_button_id(str(action.get("value", "")))
        if target is None:
            log.warning(
                "ignored a button with an unknown value (action %s)", action.get("action_id")
            )
            return
        team = str((body.get("team") or {}).get("id", ""))
        channel = str(
            (body.get("channel") or {}).get("id")
            or (body.get("container") or {}).get("channel_id", "")
        )
        user = body.get("user") or {}
        origin = Origin(team, channel, str(user.get("id", "")), body.get("response_url") or None)
        inv = Invocation(
            place=target.place("slack", Place("slack", team, channel)),
            actor=_actor(user),
            text=target.command,
            via="button",
            supports_forms=True,
            is_dm=_is_dm(channel),
        )
        await self._run(inv, origin, trigger_id=body.get("trigger_id"))

    async def on_form(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        where = FormOrigin.load(str(view.get("private_metadata", "")))
        command = str(view.get("callback_id", "")).removeprefix(FORM_PREFIX)
        if where is None:
            await ack(response_action="errors", errors=self._any_field(view, "slack.form_gone"))
            return
        user = body.get("user") or {}
        raw = {**form_values(view), **dict(where.hidden)}
        origin = Origin(where.team, where.channel, str(user.get("id", "")))
        inv = Invocation(
            place=Place("slack", where.team, where.channel),
            actor=_actor(user),
            command=command,
            raw=raw,
            via="form",
            is_dm=_is_dm(where.channel),
        )
        token = CURRENT_ORIGIN.set(origin)
        try:
            outcome = await self.core.handle(inv)
            if not outcome.ok and (errors := self._field_errors(view, outcome)):
                await ack(response_action="errors", errors=errors)
                return
            await ack()  # closes the modal
            # In HTTP mode Bolt answers once this listener returns: answer the member after.
            self._spawn(self._show(outcome, origin, trigger_id=None))
        finally:
            CURRENT_ORIGIN.reset(token)

    async def on_form_closed(self, ack: Callable[..., Awaitable[Any]]) -> None:
        await ack()

    async def on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """A direct message to the app (message.im): not a command, so the core decides."""
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype"):
            return
        team = str(body.get("team_id") or event.get("team", ""))
        channel, user_id = str(event.get("channel", "")), str(event.get("user", ""))
        if not user_id:
            return
        origin = Origin(team, channel, user_id)
        token = CURRENT_ORIGIN.set(origin)
        try:
            reply = await self.core.handle_dm_text(
                Place("slack", team, channel),
                Actor(user_id, user_id),
                from_slack(str(event.get("text", ""))),
            )
            await self.chat.post(channel, reply_messages(reply))
        except SlackError as err:
            log.warning("could not answer a direct message: %s", err.method)
        finally:
            CURRENT_ORIGIN.reset(token)

    # ------------------------------------------------------------ running and answering

    async def _run(self, inv: Invocation, origin: Origin, trigger_id: Any) -> None:
        token = CURRENT_ORIGIN.set(origin)
        try:
            outcome = await self.core.handle(inv)
            if inv.is_dm and inv.via == "typed":
                team = inv.place.workspace
                outcome = replace(outcome, reply=self._dm_help(team, origin.user_id, outcome.reply))
            trigger = str(trigger_id) if trigger_id else None
            await self._show(outcome, origin, trigger_id=trigger, place=inv.place)
        finally:
            CURRENT_ORIGIN.reset(token)

    async def _show(
        self,
        outcome: Outcome,
        origin: Origin,
        trigger_id: str | None,
        place: Place | None = None,
    ) -> None:
        """Answer the member; a form opens as a modal that submits in ``place`` (the
        community a button from a DM names; else where the member acted)."""
        reply = outcome.reply
        try:
            if reply.form is not None and trigger_id:
                where = (
                    FormOrigin(place.workspace, place.channel)
                    if place is not None
                    else FormOrigin(origin.team, origin.channel)
                )
                try:
                    await self.chat.call(
                        "views.open", trigger_id=trigger_id, view=modal_view(reply.form, where)
                    )
                    return
                except SlackError as err:  # logged by chat.call; the member is told here
                    reply = Reply(self._form_failure(err, reply.form.command))
            await self.chat.answer(origin, reply)
        except SlackError as err:
            await self.chat.report(err, origin)

    @staticmethod
    def _form_failure(err: SlackError, command: str) -> Msg:
        if err.error == "expired_trigger_id":  # trigger ids last 3 seconds
            return Msg("slack.form_expired")
        return Msg("slack.form_failed", {"error": err.error, "command": command})

    def _field_errors(self, view: dict[str, Any], outcome: Outcome) -> dict[str, str]:
        blocks = list((view.get("state") or {}).get("values", {}))
        if not blocks:
            return {}
        block = outcome.field if outcome.field in blocks else None
        return {str(block or blocks[0]): error_text(outcome.reply.text)}

    def _any_field(self, view: dict[str, Any], key: str) -> dict[str, str]:
        blocks = list((view.get("state") or {}).get("values", {})) or ["_"]
        return {blocks[0]: error_text(Msg(key))}

    # ------------------------------------------------------------ HTTP front

    def web_app(self, path: str = EVENTS_PATH) -> web.Application:
        web_app = web.Application(client_max_size=1024**2)
        web_app.router.add_post(path, self.handle_http)
        web_app.on_cleanup.append(lambda _: self.close())
        return web_app

    async def handle_http(self, request: web.Request) -> web.Response:
        body = (await request.read()).decode("utf-8", errors="replace")
        headers: dict[str, str | Sequence[str]] = {
            k.lower(): [v] for k, v in request.headers.items()
        }
        work = self._dispatch(body, request.query_string, headers)
        if self.fast_ack and self._fire_and_forget(body, request.headers):
            if self.workers:
                self._start_workers()
                self._queue.put_nowait(work)
            else:
                self._spawn(work)
            return web.Response(status=200)
        return _to_aiohttp(await work)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _start_workers(self) -> None:
        if not self._workers:
            self._workers = [asyncio.create_task(self._work()) for _ in range(self.workers)]

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                await job
            except Exception:  # Bolt handles listener errors; this is a last resort
                log.exception("a Slack request failed")
            finally:
                self._queue.task_done()
            # get() does not yield when the queue is not empty: yield here, so the reads
            # and acks that became ready during this job run before the next job starts.
            await asyncio.sleep(0)

    async def idle(self) -> None:
        """Wait until every request acknowledged so far, and what it started, has finished."""
        while True:
            await self._queue.join()
            if not self._tasks:
                return
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self, timeout: float = 10.0) -> None:
        """Finish the acknowledged requests (for up to ``timeout`` seconds), then stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle(), timeout)
        left = [*self._workers, *self._tasks]
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)
        self._workers = []
        while not self._queue.empty():
            self._queue.get_nowait().close()
            self._queue.task_done()

    async def _dispatch(
        self, body: str, query: str, headers: dict[str, str | Sequence[str]]
    ) -> BoltResponse:
        req = AsyncBoltRequest(body=body, query=query, headers=headers)
        return await self.bolt.async_dispatch(req)

    def _fire_and_forget(self, body: str, headers: Any) -> bool:
        """Signed, and of a kind whose ack is always an empty 200 (decided before parsing)."""
        timestamp = headers.get("X-Slack-Request-Timestamp", "")
        signature = headers.get("X-Slack-Signature", "")
        if self._verifier is None or not timestamp.isdigit() or not signature:
            return False  # Bolt answers 401
        if not self._verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
            return False
        if body.startswith("{"):
            return _json_type(body) == "event_callback"
        if body.startswith("payload="):
            payload = parse_qs(body).get("payload", [""])[0]
            return _json_type(payload) == "block_actions"
        return "command=" in body and "ssl_check=" not in body


def _json_type(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return str(data.get("type")) if isinstance(data, dict) else None


def _to_aiohttp(response: BoltResponse) -> web.Response:
    headers = {k: ", ".join(v) for k, v in response.headers.items() if k.lower() != "set-cookie"}
    headers.pop("content-length", None)
    return web.Response(status=response.status, body=response.body.encode(), headers=headers)


def _button_action() -> re.Pattern[str]:
    return re.compile("^" + re.escape(BUTTON_ACTION) + r"-\d+$")


def _form_callback() -> re.Pattern[str]:
    return re.compile("^" + re.escape(FORM_PREFIX))


# ---------------------------------------------------------------- running


def slack_settings() -> dict[str, str | None]:
    return {
        "token": os.environ.get("SLACK_BOT_TOKEN"),
        "app_token": os.environ.get("SLACK_APP_TOKEN"),
        "signing_secret": os.environ.get("SLACK_SIGNING_SECRET"),
        "api_url": os.environ.get("SLACK_API_URL"),
    }


async def run_slack(port: int = 3000, database_url: str | None = None) -> int:
    """``copbot run --platform slack``: Socket Mode with SLACK_APP_TOKEN, else HTTP on ``port``."""
    settings = slack_settings()
    if not settings["token"]:
        log.error("SLACK_BOT_TOKEN is not set (see README 'Connect to Slack')")
        return 2
    client = make_client(settings["token"], settings["api_url"])
    chat = SlackChat(client)
    if settings["app_token"]:
        return await _run_socket_mode(chat, settings["app_token"], database_url, settings)
    if not settings["signing_secret"]:
        log.error("HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)")
        return 2
    app = build_app(chat, database_url=database_url)
    ticker = await start_ticker(app)
    adapter = SlackAdapter(app, chat, settings["signing_secret"])
    runner = web.AppRunner(adapter.web_app(), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "0.0.0.0", port).start()
        log.info("copbot on Slack (HTTP mode): listening on port %d at %s", port, EVENTS_PATH)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()  # finishes the requests already acknowledged
        ticker.shutdown(wait=False)
    return 0


async def _run_socket_mode(
    chat: SlackChat, app_token: str, database_url: str | None, settings: dict[str, str | None]
) -> int:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    app = build_app(chat, database_url=database_url)
    await start_ticker(app)
    adapter = SlackAdapter(app, chat, settings["signing_secret"] or "", workers=0)
    web_client = AsyncWebClient(token=chat.client.token, base_url=chat.client.base_url)
    handler = AsyncSocketModeHandler(adapter.bolt, app_token, web_client=web_client)
    log.info("copbot on Slack (Socket Mode)")
    await handler.start_async()  # type: ignore[no-untyped-call]
    return 0
