"""The privacy audit through the real platform adapters, with logging at DEBUG.

Members ask (typed, through the modal, and from a DM draft's button) and upvote through
the Slack app (signed HTTP requests to Bolt, a stand-in Web API) and the offline
discord.py client. Then: every receipt went privately (Slack response_url ephemeral or
chat.postEphemeral; Discord ephemeral interaction responses), no log record names an
asker or a voter, and nothing sent to the platform names them except as the recipient of
their own private answer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from adapters.runtime import PAYLOAD_LOGGERS, configure_logging
from bot.clock import ManualClock
from tests.discord_harness import (
    CALLBACK,
    CHANNEL_ID,
    DM_OFFSET,
    FOLLOWUP,
    MESSAGES,
    NAMES,
    OfflineDiscord,
    Recorder,
    discord_bot,
    message_payload,
    recorder,
)
from tests.slack_standin import (
    block_actions_body,
    message_im_body,
    post_signed,
    view_submission_body,
)
from tests.test_slack_e2e import CHANNEL, SECRET, Rig, _setup, slack

__all__ = ["discord_bot", "recorder", "slack"]  # fixtures

CODE = "one-time code"
SLACK_PEOPLE = {"U0BOBX1": "Bobbington", "U0CARX2": "Carolyne", "U0DAVX3": "Davidsonne"}
SLACK_VOTER = {"U0ERIX4": "Erinsdottir"}


def _records(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [" ".join([r.name, r.getMessage(), r.exc_text or ""]) for r in caplog.records]


def _named(haystack: list[str], needles: set[str]) -> list[str]:
    return [h for h in haystack if any(n in h for n in needles)]


@pytest.fixture
def restore_loggers() -> Iterator[None]:
    levels = {name: logging.getLogger(name).level for name in PAYLOAD_LOGGERS}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_debug_logging_keeps_payload_logging_libraries_at_info(
    monkeypatch: pytest.MonkeyPatch, restore_loggers: None
) -> None:
    """discord.py logs every gateway event (member and typed options) at DEBUG."""
    monkeypatch.setenv("COPBOT_LOG_LEVEL", "DEBUG")
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    configure_logging()
    for name in ("discord.gateway", "discord.http", "slack_bolt.AsyncApp", "slack_sdk.web"):
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name


# ---------------------------------------------------------------- Slack


async def _slack_press(slack: Rig, value: str, user: str, channel: str) -> str:
    url = slack.standin.new_response_url()
    body = block_actions_body(value=value, response_url=url, user_id=user, channel_id=channel)
    assert await post_signed(slack.session, slack.url, SECRET, body) == (200, "")
    await slack.loop.idle()
    return url


def _addressing(call: Any) -> str:
    """A Web API call's arguments without the fields that only say who receives it."""
    return json.dumps({k: v for k, v in call.args.items() if k not in ("user", "users")})


async def test_slack_ask_paths_answer_privately_and_log_no_author(
    slack: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    await _setup(slack)
    for user, name in (SLACK_PEOPLE | SLACK_VOTER).items():
        await slack.private("profile sector=provider", user, name)
    caplog.set_level(logging.DEBUG)
    before = len(slack.standin.calls)
    bob, carol, dave = SLACK_PEOPLE

    # Typed: the receipt comes through the response_url, ephemeral.
    _, _, url = await slack.cop('ask "Slack typed question?"', user=bob, name="Bobbington")
    [typed] = slack.replies_to(url)
    assert typed.args["response_type"] == "ephemeral" and CODE in json.dumps(typed.args)

    # The modal: its view carries no user; the receipt is a chat.postEphemeral.
    await slack.cop("ask", user=carol, name="Carolyne")
    [opened] = slack.standin.calls_to("views.open")
    view = opened.args["view"]
    assert "Not stored: your name or id" in json.dumps(view)
    submit = view_submission_body(
        view=view, values={"question": "Slack form question?", "topic": None}, user_id=carol
    )
    assert await post_signed(slack.session, slack.url, SECRET, submit) == (200, "")
    await slack.loop.idle()
    [formed] = slack.standin.calls_to("chat.postEphemeral")
    assert formed.args["user"] == carol and CODE in json.dumps(formed.args)

    # A DM draft: the preview's button value names no one; its receipt is ephemeral.
    dm = "D0DRAFT1"
    body = message_im_body(text="Slack DM draft?", user_id=dave, channel_id=dm)
    assert await post_signed(slack.session, slack.url, SECRET, body) == (200, "")
    await slack.loop.idle()
    [preview] = slack.standin.calls_to("chat.postMessage")[-1:]
    assert preview.args["channel"] == dm
    values = [
        e["value"]
        for b in preview.args["blocks"]
        for e in b.get("elements", [])
        if str(e.get("value", "")).startswith("cop")
    ]
    assert len(values) == 1 and "ask send" in values[0]
    url = await _slack_press(slack, values[0], dave, dm)
    [drafted] = slack.replies_to(url)
    assert drafted.args["response_type"] == "ephemeral" and CODE in json.dumps(drafted.args)

    # Release, then an upvote press edits the post.
    clock = slack.app.core.clock
    assert isinstance(clock, ManualClock)
    await slack.loop.call(slack.app.scheduler.run_until(clock, clock.now() + timedelta(days=1)))
    posted = [c for c in slack.standin.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL]
    assert sum("Anonymous question Q" in json.dumps(c.args) for c in posted) == 3
    await _slack_press(slack, "cop:questions upvote 1", next(iter(SLACK_VOTER)), CHANNEL)
    await slack.standin.wait_for("chat.update")

    people = {*SLACK_PEOPLE, *SLACK_PEOPLE.values(), *SLACK_VOTER, *SLACK_VOTER.values()}
    assert _named(_records(caplog), people) == []
    sent = [_addressing(c) for c in slack.standin.calls[before:]]
    assert _named(sent, people) == []
    assert not any(CODE in _addressing(c) for c in posted)


# ---------------------------------------------------------------- Discord

DAVE = 900000000000000303
ERIN = 900000000000000304


def _private(recorder: Recorder, since: int) -> list[Any]:
    """The interaction answers since ``since``; each must be ephemeral (flag 64)."""
    calls = recorder.calls[since:]
    callbacks = [c for c in calls if c.template == CALLBACK]
    followups = [c for c in calls if c.template == FOLLOWUP and c.method == "POST"]
    for c in callbacks:
        if c.json.get("type") in (4, 5):  # a message or a deferred one (not a modal)
            assert c.json.get("data", {}).get("flags", 0) & 64, c.json
    for c in followups:
        assert c.json.get("flags", 0) & 64, c.json
    return callbacks + followups


async def test_discord_ask_paths_answer_ephemerally_and_log_no_author(
    discord_bot: OfflineDiscord,
    recorder: Recorder,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.discord_harness import BOB, CAROL

    monkeypatch.setitem(NAMES, DAVE, "davidsonne")
    monkeypatch.setitem(NAMES, ERIN, "erinsdottir")
    bot = discord_bot
    await bot.setup()
    for user in (BOB, CAROL, DAVE, ERIN):
        await bot.slash("profile", user=user, level="new")
    caplog.set_level(logging.DEBUG)
    before = len(recorder.calls)

    # Typed: deferred ephemerally, the receipt follows ephemerally.
    mark = len(recorder.calls)
    await bot.slash("ask", user=BOB, question="Discord typed question?")
    assert any(CODE in json.dumps(c.json) for c in _private(recorder, mark))

    # The modal: opened with no user in its id; the receipt is ephemeral.
    mark = len(recorder.calls)
    await bot.slash("ask", user=CAROL)
    [modal] = [c for c in recorder.calls[mark:] if c.template == CALLBACK]
    assert modal.json["type"] == 9
    custom_id = modal.json["data"]["custom_id"]
    assert str(CAROL) not in custom_id
    mark = len(recorder.calls)
    await bot.submit(custom_id, {"question": "Discord form question?"}, user=CAROL)
    assert any(CODE in json.dumps(c.json) for c in _private(recorder, mark))

    # A DM draft: its button id names no one; pressing it answers ephemerally.
    mark = len(recorder.calls)
    await bot.dm_text("Discord DM draft?", user=DAVE)
    [preview] = recorder.find(MESSAGES, "POST")[-1:]
    assert preview.path == f"/channels/{DAVE + DM_OFFSET}/messages"
    button = preview.json["components"][0]["components"][0]["custom_id"]
    assert "ask send" in button and str(DAVE) not in button
    mark = len(recorder.calls)
    message = message_payload(channel_id=DAVE + DM_OFFSET, components=preview.json["components"])
    await bot.press(button, user=DAVE, dm=True, message=message)
    assert any(CODE in json.dumps(c.json) for c in _private(recorder, mark))

    await bot.app.scheduler.run_until(bot.clock, bot.clock.now() + timedelta(days=1))
    posts = [
        c for c in recorder.find(MESSAGES, "POST") if c.path.endswith(f"/{CHANNEL_ID}/messages")
    ]
    assert sum("Anonymous question Q" in json.dumps(c.json) for c in posts) == 3
    await bot.press("cop:questions upvote 1", user=ERIN)

    people = {str(u) for u in (BOB, CAROL, DAVE, ERIN)}
    people |= {n for u in (BOB, CAROL, DAVE, ERIN) for n in (NAMES[u], NAMES[u].title())}
    assert _named(_records(caplog), people) == []
    sent = [json.dumps(c.json) for c in recorder.calls[before:]]
    assert _named(sent, people) == []
