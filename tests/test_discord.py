"""The Discord adapter end to end, offline: raw interactions in, recorded HTTP calls out."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import discord
import pytest
from sqlalchemy import Engine

from adapters.discord.bot import CopClient, make_intents
from bot.commands import Arg, Kind, Registry, Role
from bot.context import Context
from bot.registry import REGISTRY
from bot.replies import Reply
from tests.discord_harness import (
    BOB,
    CALLBACK,
    CAROL,
    CHANNEL_ID,
    DM_OFFSET,
    FOLLOWUP,
    GUILD_ID,
    MESSAGES,
    ORIGINAL,
    Call,
    OfflineDiscord,
    Recorder,
    discord_bot,
    recorder,
)

__all__ = ["discord_bot", "recorder"]  # fixtures

EPHEMERAL = 64
MASKED_LINK_RE = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(")


def callbacks(rec: Recorder) -> list[dict[str, Any]]:
    return [c.json for c in rec.find(CALLBACK)]


def followups(rec: Recorder) -> list[Call]:
    return rec.find(FOLLOWUP, "POST")


async def test_client_asks_for_no_message_content_and_allows_no_mentions(
    discord_bot: OfflineDiscord,
) -> None:
    client = discord_bot.client
    assert client.intents.value == make_intents().value
    assert client.intents.message_content is False and client.intents.members is False
    assert client.intents.guilds and client.intents.dm_messages
    assert client.allowed_mentions is not None
    assert client.allowed_mentions.to_dict() == {"parse": []}


async def test_a_private_command_is_deferred_ephemerally_then_followed_up(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    await discord_bot.setup()
    recorder.clear()
    payload = await discord_bot.slash("profile", user=BOB, level="new")
    first = recorder.calls[0]
    assert first.template == CALLBACK  # answered before the core ran
    assert first.path == f"/interactions/{payload['id']}/{payload['token']}/callback"
    assert first.json == {"type": 5, "data": {"flags": EPHEMERAL}}
    (reply,) = followups(recorder)
    assert reply.path == f"/webhooks/{payload['application_id']}/{payload['token']}"
    assert reply.json["flags"] & EPHEMERAL
    assert reply.json["embeds"][0]["title"] == "Bob"
    assert not recorder.find(ORIGINAL, "DELETE")


async def test_a_public_reply_to_a_private_command_replaces_the_thinking_message(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    await discord_bot.slash("setup", name="North", timezone="Europe/London")
    assert recorder.calls[0].json == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert recorder.find(ORIGINAL, "DELETE")  # the ephemeral "thinking…" goes
    (post,) = followups(recorder)
    assert not post.json.get("flags", 0) & EPHEMERAL
    assert "**North** is now a copbot community" in post.json["content"]


async def test_a_member_option_arrives_as_a_mention_the_core_resolves(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    await discord_bot.setup()
    recorder.clear()
    await discord_bot.slash("facilitator add", member=BOB)
    text = "\n".join(recorder.texts())
    assert "Bob" in text and "facilitator" in text
    recorder.clear()
    await discord_bot.slash("facilitator list", user=BOB)
    assert "Bob" in "\n".join(recorder.texts())


def _sample(arg: Arg) -> Any:
    """A plausible value for an option, as Discord would send it."""
    return {
        Kind.INT: 1,
        Kind.MEMBER: BOB,
        Kind.BOOL: False,
        Kind.DURATION: "1h",
        Kind.DATE: "2027-02-01",
        Kind.TIME: "10:00",
        Kind.WHEN: "2027-02-01 10:00",
        Kind.URL: "https://example.org/a",
        Kind.TIMEZONE: "Europe/London",
        Kind.LIST: "a, b",
        Kind.MEMBERS: f"<@{BOB}>",
    }.get(arg.kind, arg.choices[0] if arg.choices else "x")


def _every_command() -> list[str]:
    names = [s.name for s in REGISTRY.specs() if s.name not in ("forget-me", "setup")]
    return [*names, "forget-me"]


async def test_every_registered_command_answers_through_discord(
    discord_bot: OfflineDiscord, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    """Each command of each group, with its required options: answered, no internal error."""
    await discord_bot.setup()
    groups_seen: set[str] = set()
    for name in _every_command():
        plan = discord_bot.plan(name)
        options = {o.name: _sample(o.arg) for o in plan.options if o.required and o.arg}
        recorder.clear()
        await discord_bot.slash(name, **options)
        assert recorder.calls, name
        first = recorder.calls[0]
        assert first.template == CALLBACK and first.json["type"] in (4, 5, 9), name
        if first.json["type"] == 9:  # a form opened instead
            assert first.json["data"]["custom_id"].startswith("cop-form:" + name)
            continue
        said = "\n".join(recorder.texts())
        assert said, name
        assert "something went wrong on our side" not in said, (name, said)
        groups_seen.add(plan.spec.path[0])
    assert groups_seen >= {s.path[0] for s in REGISTRY.specs() if not s.form} - {"setup"}
    assert "Traceback" not in caplog.text


async def test_a_command_in_a_thread_belongs_to_its_channels_community(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    await discord_bot.setup()
    recorder.clear()
    payload = discord_bot.slash_payload("profile", user=BOB, level="experienced")
    thread_id = 900000000000000999
    from tests.discord_harness import interaction_payload

    threaded = interaction_payload(2, payload["data"], user=BOB, channel_id=thread_id)
    await discord_bot.feed(threaded)
    text = "\n".join(recorder.texts())
    assert "not a copbot community" not in text
    assert "experienced" in text


# ---------------------------------------------------------------- buttons


async def test_a_button_still_works_after_the_bot_restarts(
    engine: Engine, recorder: Recorder, discord_bot: OfflineDiscord
) -> None:
    await discord_bot.setup()
    await discord_bot.slash("profile", user=BOB, level="new")
    # The process restarts: a brand-new client, nothing in memory but the registry.
    restarted = await OfflineDiscord(engine, discord_bot.clock, recorder).start()
    recorder.clear()
    await restarted.press("cop:profile level=experienced", user=BOB)
    first = recorder.calls[0]
    assert first.template == CALLBACK and first.json["type"] == 5
    assert first.json["data"]["flags"] & EPHEMERAL
    assert "experienced" in "\n".join(recorder.texts())
    recorder.clear()
    await restarted.slash("profile", user=BOB)
    assert "experienced" in "\n".join(recorder.texts())


async def test_a_button_in_a_direct_message_acts_in_the_community_it_names(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    await discord_bot.setup()
    recorder.clear()
    await discord_bot.press(f"cop@{GUILD_ID}/{CHANNEL_ID}:profile level=new", user=BOB, dm=True)
    text = "\n".join(recorder.texts())
    assert "not a copbot community" not in text and "new" in text


async def test_a_button_missing_from_its_message_is_ignored(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    from tests.discord_harness import message_payload

    await discord_bot.press("cop:help", message=message_payload(components=[]))
    assert recorder.calls == []


# ---------------------------------------------------------------- forms


@pytest.fixture
def note_command() -> Iterator[Registry]:
    """A form command registered for these tests only (registered before the client)."""

    async def note(ctx: Context) -> Reply:
        return ctx.reply(
            "common.value", value=f"noted {ctx.args['text']} ({ctx.args.get('mood', '-')})"
        )

    REGISTRY.command(
        "zz-discord note",
        help="help.help_help",
        args=(
            Arg("text", Kind.TEXT, required=True, max_length=20, help="profiles.arg_organisation"),
            Arg("mood", Kind.CHOICE, choices=("ok", "great")),
            Arg("meeting", Kind.INT),
        ),
        form=("text", "mood"),
        role=Role.MEMBER,
    )(note)
    try:
        yield REGISTRY
    finally:
        REGISTRY._specs.pop(("zz-discord", "note"))


async def test_a_form_opens_as_a_modal_and_its_submission_runs_the_command(
    note_command: Registry, engine: Engine, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.clock import ManualClock
    from tests.conftest import START

    bot = await OfflineDiscord(engine, ManualClock(START), recorder).start()
    await bot.setup()
    recorder.clear()
    await bot.slash("zz-discord note")
    (opened,) = recorder.calls
    assert opened.template == CALLBACK and opened.json["type"] == 9
    modal = opened.json["data"]
    assert modal["custom_id"] == "cop-form:zz-discord note"
    assert len(modal["title"]) <= 45
    labels = [c for c in modal["components"] if c["type"] == 18]
    assert [c["component"]["custom_id"] for c in labels] == ["text", "mood"]
    assert labels[0]["component"]["max_length"] == 20 and labels[0]["component"]["required"]
    assert all(len(c["label"]) <= 45 for c in labels)

    # Submitted to the same process: answered once, by the generic handler.
    recorder.clear()
    with caplog.at_level(logging.ERROR):
        await bot.submit(modal["custom_id"], {"text": "same", "mood": "great"})
    assert len(recorder.find(CALLBACK)) == 1 and "noted same (great)" in "\n".join(recorder.texts())
    assert "Ignoring exception" not in caplog.text

    # The bot restarts before the member submits: the Modal object is gone.
    restarted = await OfflineDiscord(engine, bot.clock, recorder).start()
    recorder.clear()
    await restarted.submit(modal["custom_id"], {"text": "hello @everyone", "mood": "ok"})
    assert recorder.calls[0].json == {"type": 5, "data": {"flags": EPHEMERAL}}
    (reply,) = followups(recorder)
    assert "noted hello @\u200beveryone (ok)" in reply.json["content"]


async def test_a_refused_form_says_which_field_and_offers_to_reopen_it(
    note_command: Registry, engine: Engine, recorder: Recorder
) -> None:
    from bot.clock import ManualClock
    from tests.conftest import START

    bot = await OfflineDiscord(engine, ManualClock(START), recorder).start()
    await bot.setup()
    recorder.clear()
    await bot.submit("cop-form:zz-discord note", {"text": "x" * 30, "mood": ""}, labelled=False)
    (reply,) = followups(recorder)
    assert reply.json["flags"] & EPHEMERAL
    content = reply.json["content"]
    assert content.startswith("**") and "too long" in content and "20" in content
    button = reply.json["components"][0]["components"][0]
    assert button["custom_id"] == "cop:zz-discord note"
    recorder.clear()
    await bot.press("cop:zz-discord note")  # the button reopens the form
    assert recorder.calls[0].json["type"] == 9


async def test_fixed_form_values_travel_in_the_modal_id(
    note_command: Registry, discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    await discord_bot.setup()
    recorder.clear()
    await discord_bot.submit("cop-form:zz-discord note?meeting=3", {"text": "hi", "mood": "great"})
    assert "noted hi (great)" in "\n".join(recorder.texts())


# ---------------------------------------------------------------- mentions and escaping

HOSTILE = "@everyone @here <@123> <@&456> [x](https://evil.example) **loud** `tick` <t:0:F>"


async def test_text_members_type_is_shown_back_inert(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    await discord_bot.setup()
    await discord_bot.slash("setup", member_directory="full")
    await discord_bot.slash("profile", user=BOB, organisation=HOSTILE[:200])
    recorder.clear()
    await discord_bot.slash("profile", user=BOB)
    await discord_bot.slash("members")
    shown = recorder.texts()
    org = [t for t in shown if "evil" in t]
    assert len(org) >= 2, shown  # the profile card and the directory
    for text in org:
        assert "@everyone" not in text and "@here" not in text
        assert "@\u200beveryone" in text and "@\u200bhere" in text
        assert not MASKED_LINK_RE.search(text), text
        assert "\\[x\\](https://evil.example)" in text
        assert "<@123>" not in text and "<@&456>" not in text and "<t:0:F>" not in text
        assert "\\*\\*loud\\*\\*" in text and "\\`tick\\`" in text
    for call in recorder.sends():
        assert call.message["allowed_mentions"] == {"parse": []}


async def test_every_outgoing_message_allows_no_mentions(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    await discord_bot.setup()
    await discord_bot.slash("profile", user=BOB, organisation="@everyone")
    await discord_bot.slash("members", user=BOB)
    await discord_bot.press("cop:help")
    await discord_bot.dm_text("hello @everyone", user=CAROL)  # not a member: no draft kept
    assert recorder.sends()
    for call in recorder.sends():
        assert call.message["allowed_mentions"] == {"parse": []}, call


# ---------------------------------------------------------------- direct messages


async def test_a_direct_message_that_is_not_a_command_is_answered_in_the_dm(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    await discord_bot.dm_text("hi there", user=BOB)
    (sent,) = recorder.find(MESSAGES, "POST")
    assert sent.path == f"/channels/{BOB + DM_OFFSET}/messages"
    assert sent.json["content"]
    recorder.clear()
    await discord_bot.dm_text("/cop help", user=BOB)
    assert "/cop" in recorder.find(MESSAGES, "POST")[0].json["content"]


async def test_guild_chatter_is_ignored(discord_bot: OfflineDiscord, recorder: Recorder) -> None:
    from tests.discord_harness import message_payload, user_payload

    data = message_payload(content="/cop help")
    data["author"] = user_payload(BOB)
    data["guild_id"] = str(GUILD_ID)
    discord_bot.client._connection.parse_message_create(data)  # type: ignore[arg-type]
    from tests.discord_harness import settle

    await settle()
    assert recorder.calls == []


# ---------------------------------------------------------------- sync and run


async def test_commands_sync_to_the_configured_guild(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    client: CopClient = discord_bot.client
    await client.sync_commands()
    (put,) = recorder.calls
    assert (put.method, put.path) == (
        "PUT",
        f"/applications/{client.application_id}/guilds/{GUILD_ID}/commands",
    )
    tree = client.tree
    expected = [c.to_dict(tree) for c in tree.get_commands(guild=discord.Object(GUILD_ID))]
    assert put.json == expected and [c["name"] for c in put.json] == ["cop"]


async def test_run_without_a_token_explains_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from adapters.discord.bot import run_discord

    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    assert await run_discord(None) == 2


def test_guild_ids_are_read_from_a_comma_separated_list() -> None:
    from adapters.discord.bot import parse_guild_ids

    assert parse_guild_ids("1, 2,3") == [1, 2, 3]
    assert parse_guild_ids("") == [] and parse_guild_ids(None) == []


async def test_a_dm_draft_button_pressed_in_the_dm_reaches_the_core(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    """The DM flow: text written to the bot, its reply's button pressed in the DM."""
    if REGISTRY.dm_text_handler is None:
        pytest.skip("no feature claims direct messages")
    from tests.discord_harness import message_payload

    await discord_bot.setup()
    await discord_bot.slash("profile", user=BOB, level="new")
    recorder.clear()
    await discord_bot.dm_text("What is the budget for next year?", user=BOB)
    (sent,) = recorder.find(MESSAGES, "POST")
    assert sent.json["allowed_mentions"] == {"parse": []}
    if not sent.json.get("components"):
        pytest.skip("the DM reply has no button")
    custom_id = sent.json["components"][0]["components"][0]["custom_id"]
    recorder.clear()
    message = message_payload(channel_id=BOB + DM_OFFSET, components=sent.json["components"])
    await discord_bot.press(custom_id, user=BOB, dm=True, message=message)
    assert recorder.calls[0].template == CALLBACK
    said = "\n".join(recorder.texts())
    assert said and "something went wrong" not in said and "not a copbot community" not in said
