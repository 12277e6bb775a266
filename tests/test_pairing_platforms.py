"""Rapid pairing on Slack and Discord: the introduction goes to a private group conversation
(Slack group DM, Discord private thread) mentioning exactly its members, and the "did you
meet?" button pressed in that conversation finds its community and records the answer."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.clock import ManualClock
from tests.discord_harness import (
    BOB,
    CAROL,
    CHANNEL_ID,
    MESSAGES,
    THREAD_MEMBER,
    THREADS,
    OfflineDiscord,
    Recorder,
    component_payload,
    discord_bot,  # noqa: F401
    message_payload,
    recorder,  # noqa: F401
)
from tests.slack_standin import block_actions_body, post_signed
from tests.test_slack_e2e import CHANNEL, SECRET, Rig, _setup, _shown, slack  # noqa: F401

# ---------------------------------------------------------------- Slack


async def _slack_round(slack: Rig) -> None:  # noqa: F811
    await _setup(slack)
    for user, name, tz in (("U0BOB", "bob", "America/New_York"), ("U0CAROL", "carol", "")):
        if tz:
            await slack.private(f"profile timezone={tz}", user, name)
        assert "You're in" in await slack.private("pairing join", user, name)
    await slack.private("pairing schedule every=2w day=monday time=09:00")
    clock = slack.app.core.clock
    assert isinstance(clock, ManualClock)
    await slack.app.scheduler.run_until(clock, clock.now() + timedelta(days=14, hours=1))
    await slack.loop.idle()


async def test_slack_intro_goes_to_a_group_dm_mentioning_only_its_members(slack: Rig) -> None:  # noqa: F811
    await _slack_round(slack)
    opens = [c for c in slack.standin.calls_to("conversations.open") if "," in c.args["users"]]
    assert {c.args["users"] for c in opens} == {"U0BOB,U0CAROL"}
    group = opens[0].result["channel"]["id"]  # type: ignore[index]
    [intro, checkin] = slack.posts(group)
    assert "<@U0BOB>" in intro and "<@U0CAROL>" in intro
    assert {m for m in ("U0ALICE",) if f"<@{m}>" in intro} == set()
    # London and New York: 14:00-17:00 London is inside both working days.
    assert "09:00 EST" in intro and "14:00 GMT" in intro
    assert "did you meet" in checkin
    summary = [t for t in slack.posts() if "Rapid pairing round 1" in t]
    assert summary and "bob" not in summary[0] and "U0BOB" not in summary[0]


async def test_slack_did_you_meet_pressed_in_the_group_dm_is_recorded(slack: Rig) -> None:  # noqa: F811
    await _slack_round(slack)
    [checkin] = [
        c
        for c in slack.standin.calls_to("chat.postMessage")
        if "pairing met yes" in json.dumps(c.args.get("blocks", []))
    ]
    group = checkin.args["channel"]
    values = [
        e["value"]
        for b in checkin.args["blocks"]
        for e in b.get("elements", [])
        if e.get("type") == "button"
    ]
    yes = next(v for v in values if "met yes" in v)
    assert yes.startswith("cop@T0TEST/" + CHANNEL + ":")  # names the community's place
    response_url = slack.standin.new_response_url()
    body = block_actions_body(
        value=yes, response_url=response_url, user_id="U0BOB", user_name="bob", channel_id=group
    )
    assert await post_signed(slack.session, slack.url, SECRET, body) == (200, "")
    await slack.loop.idle()
    answer = "\n".join(_shown(c) for c in slack.replies_to(response_url))
    assert "you met" in answer, answer
    stats = await slack.private("pairing stats")
    assert "Met: 100% of 1" in stats


# ---------------------------------------------------------------- Discord


async def _discord_round(bot: OfflineDiscord) -> None:
    await bot.setup()
    await bot.slash("profile", user=BOB, timezone="America/New_York")
    for user in (BOB, CAROL):
        await bot.slash("pairing join", user=user)
    await bot.slash("pairing schedule", every="2w", day="monday", time="09:00")
    await bot.app.scheduler.run_until(bot.clock, bot.clock.now() + timedelta(days=14, hours=1))


async def test_discord_intro_in_a_private_thread_and_did_you_meet_pressed_there(
    discord_bot: OfflineDiscord,  # noqa: F811
    recorder: Recorder,  # noqa: F811
) -> None:
    recorder.meant_mentions |= {BOB, CAROL}
    await _discord_round(discord_bot)
    threads = recorder.find(THREADS, "POST")
    assert threads and all(c.path == f"/channels/{CHANNEL_ID}/threads" for c in threads)
    assert all(c.json["type"] == 12 for c in threads)  # private threads
    added = {int(c.path.split("/")[-1]) for c in recorder.find(THREAD_MEMBER, "PUT")}
    assert added == {BOB, CAROL}
    thread_ids = {int(c.result["id"]) for c in threads}
    in_threads = [
        c for c in recorder.find(MESSAGES, "POST") if int(c.path.split("/")[2]) in thread_ids
    ]
    intro = next(c for c in in_threads if "matched" in json.dumps(c.json))
    assert {int(u) for u in intro.json["allowed_mentions"]["users"]} == {BOB, CAROL}
    checkin = next(c for c in in_threads if "pairing met yes" in json.dumps(c.json))
    ids = [b["custom_id"] for row in checkin.json["components"] for b in row["components"]]
    yes = next(i for i in ids if "met yes" in i)
    thread = int(checkin.path.split("/")[2])
    recorder.clear()
    message = message_payload(channel_id=thread, components=checkin.json["components"])
    await discord_bot.feed(component_payload(yes, message=message, user=BOB, channel_id=thread))
    said = "\n".join(recorder.texts())
    assert "you met" in said, said
    recorder.clear()
    await discord_bot.slash("pairing stats")
    assert "Met: 100% of 1" in "\n".join(recorder.texts())
