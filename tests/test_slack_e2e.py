"""The real Bolt app over HTTP on 127.0.0.1, signed requests, and a stand-in Slack Web API.

Nothing leaves the machine: the app's Web API client and every response_url point at the
stand-in (tests/slack_standin.py), which records each call.
"""

from __future__ import annotations

import json
import logging
import time
import types
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from slack_sdk.http_retry import builtin_async_handlers
from sqlalchemy import Engine

from adapters.runtime import App, build_app
from adapters.slack.app import SlackAdapter
from adapters.slack.chat import SlackChat, make_client
from adapters.slack.render import FORM_PREFIX
from bot.clock import ManualClock
from bot.commands import Arg, Kind, Registry, Role
from bot.context import Context
from bot.core import Core
from bot.features import load_registry
from bot.prompts import PLAIN
from bot.replies import Reply, Visibility
from bot.scheduler import Scheduler
from bot.text import Msg
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import START
from tests.slack_standin import (
    TEAM_ID,
    Call,
    SlackStandIn,
    as_slack_sends,
    block_actions_body,
    message_im_body,
    post_signed,
    slash_command_body,
    view_submission_body,
)

SECRET = "test-signing-secret"
CHANNEL = "C0GENERAL"
T = TypeVar("T")
UNKNOWN = PLAIN.render(Msg("common.unknown_command", {"command": ""})).split("`")[0]


@dataclass
class SameLoop:
    """For tests written when Bolt ran on a loop of its own: it now runs on the test's loop."""

    adapter: SlackAdapter

    async def idle(self) -> None:
        await self.adapter.idle()

    async def call(self, work: Awaitable[T]) -> T:
        return await work


@dataclass
class Rig:
    standin: SlackStandIn
    url: str
    session: aiohttp.ClientSession
    adapter: SlackAdapter
    app: App

    async def cop(
        self, text: str, user: str = "U0ALICE", name: str = "alice", channel: str = CHANNEL
    ) -> tuple[int, str, str]:
        """Type ``/cop text``; returns (status, ack body, the response_url it was given)."""
        response_url = self.standin.new_response_url()
        body = slash_command_body(
            text=text,
            response_url=response_url,
            user_id=user,
            user_name=name,
            channel_id=channel,
            trigger_id=f"trig-{time.perf_counter_ns()}",
        )
        status, ack = await post_signed(self.session, self.url, SECRET, body)
        await self.adapter.idle()
        return status, ack, response_url

    async def private(self, text: str, user: str = "U0ALICE", name: str = "alice") -> str:
        """Type ``/cop text`` and return the private answer (through its response_url)."""
        status, ack, response_url = await self.cop(text, user, name)
        assert (status, ack) == (200, "")
        return "\n".join(_shown(c) for c in self.replies_to(response_url))

    @property
    def loop(self) -> SameLoop:
        """Prefer ``adapter.idle()``; this keeps ``slack.loop.idle()/call()`` working."""
        return SameLoop(self.adapter)

    def replies_to(self, response_url: str) -> list[Call]:
        path = response_url.removeprefix(self.standin.url)
        return [c for c in self.standin.calls_to("response_url") if c.path == path]

    def posts(self, channel: str = CHANNEL) -> list[str]:
        return [
            _shown(c)
            for c in self.standin.calls_to("chat.postMessage")
            if c.args["channel"] == channel
        ]


def _shown(call: Call) -> str:
    return str(call.args.get("text", "")) + "\n" + json.dumps(call.args.get("blocks", []))


async def _rig(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, app: App | None = None
) -> AsyncIterator[Rig]:
    # The 429 handler sleeps Retry-After plus up to a second of jitter: no jitter in tests.
    monkeypatch.setattr(builtin_async_handlers, "random", types.SimpleNamespace(random=lambda: 0.0))
    standin = await SlackStandIn().start()
    chat = SlackChat(make_client("xoxb-test", standin.api_base_url))
    if app is None:
        app = build_app(chat, clock=ManualClock(START), engine=engine)
    else:
        app.core.chat = chat
    adapter = SlackAdapter(app, chat, SECRET)
    server = TestServer(adapter.web_app(), host="127.0.0.1", port=0)
    await server.start_server()
    session = aiohttp.ClientSession()
    try:
        yield Rig(standin, str(server.make_url("/slack/events")), session, adapter, app)
    finally:
        await session.close()
        await server.close()
        await standin.close()


@pytest.fixture
async def slack(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    async for rig in _rig(engine, monkeypatch):
        yield rig


async def _setup(slack: Rig) -> None:
    status, ack, _ = await slack.cop('setup name="North" timezone=Europe/London')
    assert (status, ack) == (200, "")
    assert any("North" in text for text in slack.posts())


# ---------------------------------------------------------------- commands


async def test_slash_command_acks_empty_at_once_and_answers_privately(slack: Rig) -> None:
    text = await slack.private("help")
    assert "copbot commands" in text
    [call] = slack.standin.calls_to("response_url")
    assert call.transport == "json" and call.args["response_type"] == "ephemeral"
    [auth] = slack.standin.calls_to("auth.test")
    assert auth.headers["Authorization"] == "Bearer xoxb-test"


async def test_setup_posts_in_the_channel_and_shows_settings_as_a_card(slack: Rig) -> None:
    await _setup(slack)
    [post] = slack.standin.calls_to("chat.postMessage")
    assert post.transport == "json" and post.args["channel"] == CHANNEL
    _, _, url = await slack.cop("setup")
    [reply] = slack.replies_to(url)
    kinds = [b["type"] for b in reply.args["blocks"]]
    assert "header" in kinds and any("fields" in b for b in reply.args["blocks"])
    assert "Europe/London" in _shown(reply)


async def test_profile_members_facilitator_help_and_forget_me(slack: Rig) -> None:
    await _setup(slack)
    saved = await slack.private('profile sector=provider topics="SPVs, outcomes"', "U0BOB", "bob")
    assert "Profile saved" in saved and "SPVs, outcomes" in saved
    directory = await slack.private("members")
    assert "bob" in directory and "provider" in directory
    added = await slack.private("facilitator add <@U0BOB|bob>")
    assert "bob" in added
    assert "bob" in await slack.private("facilitator list")
    assert "/cop profile" in await slack.private("help profile")
    forgotten = await slack.private("forget-me", "U0BOB", "bob")
    assert "deleted" in forgotten
    assert "bob" not in await slack.private("members")


async def test_mention_tokens_typed_by_members_never_ping(slack: Rig) -> None:
    await _setup(slack)
    typed = "<!channel> <!here> <!everyone> <@U123> & co"  # typed literally: Slack encodes it
    await slack.private(f'profile organisation="{as_slack_sends(typed)}"', "U0BOB", "bob")
    # "@here" typed as a word reaches the app as Slack's token; it is kept as inert text.
    await slack.private('profile topics="<!here> news"', "U0CAT", "cat")
    await slack.private("setup member_directory=full")
    directory = await slack.private("members")
    assert "&lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt; &lt;@U123&gt; &amp; co" in directory
    assert "@\\u2060here news" in directory  # a word joiner: shown as @here, never parsed
    for call in slack.standin.calls:
        shown = _shown(call)
        for token in ("<!channel>", "<!here>", "<!everyone>", "<@U123>"):
            assert token not in shown, (call.method, token)


async def test_typed_text_is_decoded_once_and_typed_links_become_addresses(slack: Rig) -> None:
    await _setup(slack)
    typed = as_slack_sends('profile organisation="Tom & Jerry <b>"')
    shown = await slack.private(typed, "U0BOB", "bob")
    assert "Tom &amp; Jerry &lt;b&gt;" in shown and "&amp;amp;" not in shown
    # should_escape: Slack sends a typed address as a <…> token, with & encoded inside.
    answer = await slack.private('resource suggest <https://ex.org/a?b=1&amp;c=2> title="Café"')
    assert "ex.org/a?b=1&amp;c=2" in answer and "&amp;amp;" not in answer


@pytest.fixture
def registry_specs() -> list[Any]:
    return load_registry().specs()


async def test_every_command_is_listed_by_help_and_runs_in_the_core(
    slack: Rig, registry_specs: list[Any]
) -> None:
    await _setup(slack)
    for spec in registry_specs:
        listing = await slack.private(f"help {spec.path[0]}")
        usage = spec.usage().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert usage in listing, spec.name
    for index, spec in enumerate(registry_specs):
        before = len(slack.standin.calls)
        user = f"U0P{index:03d}"
        status, ack, _ = await slack.cop(spec.name, user=user, name=f"p{index}")
        assert (status, ack) == (200, ""), spec.name
        answers = slack.standin.calls[before:]
        opened = [c for c in answers if c.method == "views.open"]
        if opened:
            assert spec.form, spec.name
            assert opened[0].args["view"]["callback_id"] == FORM_PREFIX + spec.name
            continue
        shown = [_shown(c) for c in answers if c.method in ("response_url", "chat.postMessage")]
        assert shown, f"no answer for {spec.name}"
        assert not any(UNKNOWN in text for text in shown), spec.name


# ---------------------------------------------------------------- buttons and modals


async def test_button_press_runs_its_typed_command(slack: Rig) -> None:
    await _setup(slack)
    response_url = slack.standin.new_response_url()
    body = block_actions_body(value="cop:facilitator list", response_url=response_url)
    assert await post_signed(slack.session, slack.url, SECRET, body) == (200, "")
    await slack.adapter.idle()
    [reply] = slack.replies_to(response_url)
    assert "alice" in _shown(reply) and reply.args["replace_original"] is False


async def test_button_pressed_in_a_dm_runs_in_the_community_it_names(slack: Rig) -> None:
    await _setup(slack)
    response_url = slack.standin.new_response_url()
    body = block_actions_body(
        value=f"cop@{TEAM_ID}/{CHANNEL}:facilitator list",
        response_url=response_url,
        channel_id="D0ALICE",
    )
    assert await post_signed(slack.session, slack.url, SECRET, body) == (200, "")
    await slack.adapter.idle()
    [reply] = slack.replies_to(response_url)
    assert "alice" in _shown(reply)


def _form_app(engine: Engine) -> App:
    """A registry with one form command (a stand-in for e.g. ``meeting schedule``)."""
    registry = Registry()

    @registry.command(
        "note add",
        help="help.help_help",
        role=Role.ANYONE,
        private=False,
        args=(Arg("title", Kind.TEXT, required=True), Arg("count", Kind.INT)),
        form=("title", "count"),
    )
    async def note_add(ctx: Context) -> Reply:
        return Reply(
            Msg.plain(f"{ctx.args['title']} x{ctx.args.get('count', 1)}"),
            visibility=Visibility.CHANNEL,
        )

    from storage.db import migrate

    migrate(engine)
    chat = SlackChat(make_client("xoxb-unused", "http://127.0.0.1:9/api/"))
    core = Core(registry, SqlUnitOfWorkFactory(engine), ManualClock(START), chat)
    return App(engine, core, Scheduler(core))


async def test_modal_opens_shows_field_errors_and_submits(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async for slack in _rig(engine, monkeypatch, app=_form_app(engine)):
        status, ack, _ = await slack.cop("note add")
        assert (status, ack) == (200, "")
        [opened] = slack.standin.calls_to("views.open")
        view = opened.args["view"]
        assert view["callback_id"] == FORM_PREFIX + "note add"
        assert json.loads(view["private_metadata"]) == {
            "team": TEAM_ID,
            "channel": CHANNEL,
            "hidden": {},
        }
        assert "U0ALICE" not in json.dumps(view) and "alice" not in json.dumps(view)

        bad = view_submission_body(view=view, values={"title": "Café", "count": "many"})
        status, answer = await post_signed(slack.session, slack.url, SECRET, bad)
        assert status == 200
        errors = json.loads(answer)
        assert errors["response_action"] == "errors" and list(errors["errors"]) == ["count"]
        assert "many" in errors["errors"]["count"]
        assert slack.standin.calls_to("chat.postMessage") == []

        good = view_submission_body(view=view, values={"title": "Café <!here>", "count": "3"})
        assert await post_signed(slack.session, slack.url, SECRET, good) == (200, "")
        await slack.adapter.idle()
        assert any("Café &lt;!here&gt; x3" in text for text in slack.posts())


# ---------------------------------------------------------------- direct messages


async def test_direct_message_text_goes_to_the_core_and_is_answered_in_the_dm(slack: Rig) -> None:
    body = message_im_body(text="hello bot")
    assert await post_signed(slack.session, slack.url, SECRET, body) == (200, "")
    await slack.adapter.idle()
    [answer] = slack.posts("D0ALICE")  # whatever the core answers (a feature may claim DMs)
    assert answer.strip()
    assert slack.standin.calls_to("response_url") == []


async def test_dm_conversations_open_then_post(slack: Rig) -> None:
    from bot.replies import DirectMessage, GroupMessage, Place

    chat = slack.app.core.chat
    place = Place("slack", TEAM_ID, CHANNEL)
    delivery = await chat.send(DirectMessage(place, "U0BOB", Reply(Msg.plain("hi"))))
    assert delivery.ok
    delivery = await chat.send(
        GroupMessage(place, ("U0BOB", "U0CAT", "U0DAN"), Reply(Msg.plain("hey")))
    )
    assert delivery.ok
    opens = slack.standin.calls_to("conversations.open")
    assert [c.args["users"] for c in opens] == ["U0BOB", "U0BOB,U0CAT,U0DAN"]
    assert opens[0].transport in ("query", "form")
    assert len(slack.posts("D0BOB")) == 1 and len(slack.posts("G0BOBCATDAN")) == 1


# ---------------------------------------------------------------- security and errors


async def test_bad_or_stale_signatures_get_401_and_nothing_runs(slack: Rig) -> None:
    body = slash_command_body(text="help", response_url=slack.standin.new_response_url())
    assert (await post_signed(slack.session, slack.url, "wrong-secret", body))[0] == 401
    stale = int(time.time()) - 6 * 60
    assert (await post_signed(slack.session, slack.url, SECRET, body, timestamp=stale))[0] == 401
    async with slack.session.post(slack.url, data=body) as response:
        assert response.status == 401
    await slack.adapter.idle()
    assert slack.standin.calls == []


async def test_rate_limited_call_is_retried_after_retry_after(slack: Rig) -> None:
    slack.standin.rate_limit("chat.postMessage", times=2, retry_after=0)
    status, _, url = await slack.cop('setup name="North" timezone=Europe/London')
    assert status == 200
    assert len(slack.standin.calls_to("chat.postMessage", status=429)) == 2
    [post] = slack.standin.calls_to("chat.postMessage")
    assert "North" in _shown(post)
    assert slack.replies_to(url) == []  # nothing to report


async def test_rate_limited_call_waits_the_retry_after_seconds_slack_asks_for(
    slack: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    waits: list[float] = []

    async def recorded_sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(0)

    fake_asyncio = types.SimpleNamespace(sleep=recorded_sleep)
    monkeypatch.setattr(builtin_async_handlers, "asyncio", fake_asyncio)
    slack.standin.rate_limit("chat.postMessage", times=2, retry_after=7)
    status, _, url = await slack.cop('setup name="North" timezone=Europe/London')
    assert status == 200
    assert waits == [7, 7]
    assert len(slack.standin.calls_to("chat.postMessage")) == 1
    assert slack.replies_to(url) == []


async def test_failing_method_is_logged_and_reported_to_the_member(
    slack: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    slack.standin.fail("chat.postMessage", "not_in_channel")
    with caplog.at_level(logging.WARNING, logger="adapters.slack"):
        status, _, url = await slack.cop('setup name="North" timezone=Europe/London')
    assert status == 200
    [report] = slack.replies_to(url)
    assert "chat.postMessage" in _shown(report) and "not_in_channel" in _shown(report)
    assert "Slack chat.postMessage failed: not_in_channel" in caplog.text


async def test_no_request_body_is_logged_even_at_debug(
    slack: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        await slack.cop('setup name="SECRET-NAME-42" timezone=Europe/London')
        await slack.private('profile organisation="SECRET-ORG-42"')
    assert "SECRET-" not in caplog.text
