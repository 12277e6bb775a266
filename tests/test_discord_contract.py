"""The Discord issue's contract, checked offline: exact command names, help that names
Discord's commands, privacy of follow-ups, forms within three seconds, pairing intros."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from adapters.discord.bot import CopClient
from adapters.discord.render import DiscordRenderer
from adapters.discord.tree import plan_tree
from bot.features import load_registry
from bot.text import Msg
from tests.discord_harness import (
    ALICE,
    BOB,
    CALLBACK,
    CAROL,
    CHANNEL_ID,
    DM_OFFSET,
    FOLLOWUP,
    MESSAGES,
    ORIGINAL,
    THREAD_MEMBER,
    THREADS,
    OfflineDiscord,
    Recorder,
    discord_bot,
    recorder,
)

__all__ = ["discord_bot", "recorder"]  # fixtures

EPHEMERAL = 64
DAN, ERIN = 900000000000000303, 900000000000000304


def _renderer() -> DiscordRenderer:
    return DiscordRenderer(plan_tree(load_registry()).names())


# ---------------------------------------------------------------- names in help and usage


def test_usage_lines_and_command_names_are_shown_as_discord_names_them() -> None:
    renderer = _renderer()
    refusal = Msg(
        "common.refusal_with_usage",
        {"error": Msg("common.value", {"value": "x"}), "usage": "/cop ask withdraw CODE"},
    )
    assert "`/cop ask-withdraw CODE`" in renderer.render(refusal)
    only = renderer.render(Msg("common.facilitators_only", {"command": "questions approve"}))
    assert "`/cop questions-approve`" in only and "`/cop facilitator list`" in only
    live = renderer.render(Msg("help.line", {"usage": "/cop pairing live start", "help": "h"}))
    assert "`/cop pairing live-start`" in live
    # Commands whose names are the same on Discord, and user text, are left alone.
    same = renderer.render(Msg("help.line", {"usage": "/cop ask [topic=text]", "help": "h"}))
    assert same.startswith("`/cop ask [topic=text]`")
    said = renderer.render(Msg("common.value", {"value": "/cop ask withdraw"}))
    assert said == "/cop ask withdraw"


async def test_help_on_discord_lists_the_commands_under_their_discord_names(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    await discord_bot.setup()
    recorder.clear()
    await discord_bot.slash("help", topic="ask")
    text = "\n".join(recorder.texts())
    assert "`/cop ask-withdraw CODE`" in text and "`/cop ask-status CODE`" in text
    assert "/cop ask withdraw" not in text
    recorder.clear()
    await discord_bot.slash("help", topic="questions")
    text = "\n".join(recorder.texts())
    assert "`/cop questions [open|answered|all]`" in text
    assert "`/cop questions-answer NUMBER" in text


async def test_a_dm_accepts_the_discord_names_help_shows(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    await discord_bot.setup()
    await discord_bot.slash("profile", user=BOB, level="new")
    recorder.clear()
    await discord_bot.dm_text("/cop ask-status ZZZZ", user=BOB)
    await discord_bot.dm_text("/cop ask status ZZZZ", user=BOB)
    first, second = (c.json["content"] for c in recorder.find(MESSAGES, "POST"))
    assert first == second and "code" in first and "not a command" not in first.lower()


# ---------------------------------------------------------------- privacy of follow-ups


async def test_a_private_refusal_to_a_public_command_is_ephemeral(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    """`pairing schedule` replies in public; bob is no facilitator, so his refusal is his."""
    await discord_bot.setup()
    await discord_bot.slash("profile", user=BOB, level="new")
    spec = discord_bot.plan("pairing schedule").spec
    assert spec.private is False
    recorder.clear()
    payload = await discord_bot.slash(
        "pairing schedule", user=BOB, every="1w", day="monday", time="10:00"
    )
    defer, delete, post = recorder.calls
    assert defer.template == CALLBACK and defer.json["type"] == 5
    assert not (defer.json.get("data") or {}).get("flags", 0) & EPHEMERAL  # public thinking…
    assert (delete.method, delete.template) == ("DELETE", ORIGINAL)  # … removed first …
    assert (
        delete.path
        == f"/webhooks/{payload['application_id']}/{payload['token']}/messages/@original"
    )
    assert (post.method, post.template) == ("POST", FOLLOWUP)  # … then a new, private message
    assert post.json["flags"] & EPHEMERAL and "facilitator" in post.json["content"].lower()


async def test_a_public_reply_to_a_public_command_keeps_the_thinking_message(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    await discord_bot.setup()
    recorder.clear()
    await discord_bot.slash("pairing schedule", every="1w", day="monday", time="10:00")
    assert not recorder.find(ORIGINAL, "DELETE")
    (post,) = recorder.find(FOLLOWUP, "POST")
    assert not post.json.get("flags", 0) & EPHEMERAL


# ---------------------------------------------------------------- forms within three seconds


async def test_a_form_opens_as_the_first_response_without_touching_the_database(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    """`/cop ask` opens its modal at once; the database is not even reachable here."""
    await discord_bot.setup()

    def no_database() -> Any:
        raise AssertionError("the database was used before the modal opened")

    discord_bot.app.core.uow_factory = no_database
    recorder.clear()
    await discord_bot.slash("ask", user=BOB)
    await discord_bot.press("cop:ask", user=BOB)
    assert [c.template for c in recorder.calls] == [CALLBACK, CALLBACK]
    for call in recorder.calls:
        assert call.json["type"] == 9  # MODAL, as the first and only response
        assert call.json["data"]["custom_id"] == "cop-form:ask"


# ---------------------------------------------------------------- pairing intros


async def _pairing_round(bot: OfflineDiscord, recorder: Recorder) -> None:
    await bot.setup()
    for user in (BOB, CAROL, DAN, ERIN):
        await bot.slash("profile", user=user, level="new")
        await bot.slash("pairing join", user=user)
    await bot.slash("pairing schedule", every="1w", day="monday", time="10:00")
    recorder.clear()
    await bot.app.scheduler.run_until(bot.clock, bot.clock.now() + timedelta(hours=2))


async def test_a_pairing_intro_pings_exactly_its_group_in_a_private_thread(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    recorder.meant_mentions = {BOB, CAROL, DAN, ERIN}
    await _pairing_round(discord_bot, recorder)
    threads = [c.result["id"] for c in recorder.find(THREADS, "POST")]
    assert len(threads) == 2
    for thread in threads:
        members = {
            int(c.path.rsplit("/", 1)[1])
            for c in recorder.find(THREAD_MEMBER, "PUT")
            if c.path.startswith(f"/channels/{thread}/")
        }
        (intro,) = [c for c in recorder.find(MESSAGES, "POST") if f"/{thread}/" in c.path]
        assert len(members) == 2 and ALICE not in members
        mentions = intro.json["allowed_mentions"]
        assert mentions["parse"] == [] and set(mentions["users"]) == members
        assert all(f"<@{m}>" in intro.json["content"] for m in members)
    for post in recorder.find(MESSAGES, "POST"):
        if post.path == f"/channels/{CHANNEL_ID}/messages":
            assert post.json["allowed_mentions"] == {"parse": []}


async def test_a_member_the_thread_cannot_hold_gets_the_intro_by_dm(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    recorder.meant_mentions = {BOB, CAROL, DAN, ERIN}
    recorder.thread_member_refused.add(DAN)
    await _pairing_round(discord_bot, recorder)
    to_dan = [
        c
        for c in recorder.find(MESSAGES, "POST")
        if c.path == f"/channels/{DAN + DM_OFFSET}/messages"
    ]
    assert len(to_dan) == 1 and to_dan[0].json["allowed_mentions"] == {"parse": []}
    for call in recorder.find(MESSAGES, "POST"):
        assert str(DAN) not in [str(u) for u in call.json["allowed_mentions"].get("users", [])]


# ---------------------------------------------------------------- running and syncing


def test_copbot_run_picks_discord_when_only_discord_token_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from adapters.cli import choose_platform

    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setenv("DISCORD_TOKEN", "token")
    assert choose_platform(None) == "discord"
    assert choose_platform("discord") == "discord"


async def test_without_guild_ids_the_commands_sync_globally(recorder: Recorder) -> None:
    client = CopClient(load_registry())
    client.http.request = recorder.http_request  # type: ignore[method-assign]
    client._connection.application_id = 77
    await client.sync_commands()
    (put,) = recorder.calls
    assert (put.method, put.path) == ("PUT", "/applications/77/commands")
    assert [c["name"] for c in put.json] == ["cop"]
    top = {o["name"] for o in put.json[0]["options"]}
    assert {"ask", "ask-withdraw", "questions", "questions-answer", "pairing"} <= top


def test_a_post_naming_more_than_100_members_allows_only_100_pings() -> None:
    from adapters.discord.render import allowed

    many = [str(900000000000001000 + i) for i in range(130)]
    mentions = allowed([*many, many[0]]).to_dict()
    assert mentions["parse"] == [] and len(mentions["users"]) == 100
    assert mentions["users"][0] == int(many[0])
