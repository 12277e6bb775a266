"""Tracked posts on Discord: an upvote press edits the question's message (PATCH), hide
deletes it (DELETE)."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.discord_harness import (
    BOB,
    CAROL,
    CHANNEL_ID,
    MESSAGE,
    MESSAGES,
    OfflineDiscord,
    Recorder,
    discord_bot,
    recorder,
)

__all__ = ["discord_bot", "recorder"]  # fixtures


async def test_an_upvote_press_edits_the_question_message(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    bot = discord_bot
    await bot.setup()
    await bot.slash("setup", questions_min_batch="1")
    await bot.slash("ask", user=BOB, question="How do rate cards work?")
    await bot.app.scheduler.run_until(bot.clock, bot.clock.now() + timedelta(days=1, minutes=1))
    [question] = [
        c for c in recorder.find(MESSAGES, "POST") if "questions upvote 1" in json.dumps(c.json)
    ]
    assert "+1 (0)" in json.dumps(question.json)
    message_id = question.result["id"]

    await bot.press("cop:questions upvote 1", user=CAROL)
    [edit] = recorder.find(MESSAGE, "PATCH")
    assert edit.path == f"/channels/{CHANNEL_ID}/messages/{message_id}"
    body = json.dumps(edit.json)
    assert "+1 (1)" in body and "How do rate cards work?" in body
    assert edit.json["allowed_mentions"]["parse"] == []
    assert str(CAROL) not in body and "carol" not in body.lower()

    await bot.slash("questions hide", number=1)
    [delete] = recorder.find(MESSAGE, "DELETE")
    assert delete.path == f"/channels/{CHANNEL_ID}/messages/{message_id}"
