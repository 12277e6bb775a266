"""Tracked posts on Slack: an upvote button press updates the question's post (chat.update)."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.clock import ManualClock
from tests.slack_standin import block_actions_body, post_signed
from tests.test_slack_e2e import CHANNEL, SECRET, Rig, _setup, slack  # noqa: F401


async def test_an_upvote_press_updates_the_question_post_with_chat_update(slack: Rig) -> None:  # noqa: F811
    await _setup(slack)
    status, _, _ = await slack.cop("setup questions_min_batch=1")
    assert status == 200
    status, _, _ = await slack.cop('ask "How do rate cards work?"', user="U0BOB", name="bob")
    assert status == 200
    clock = slack.app.core.clock
    assert isinstance(clock, ManualClock)
    await slack.app.scheduler.run_until(clock, clock.now() + timedelta(days=1, minutes=1))
    [question] = [
        c
        for c in slack.standin.calls_to("chat.postMessage")
        if "questions upvote 1" in json.dumps(c.args.get("blocks", []))
    ]
    assert "+1 (0)" in json.dumps(question.args["blocks"])
    assert question.result is not None
    ts = question.result["ts"]

    response_url = slack.standin.new_response_url()
    body = block_actions_body(
        value="cop:questions upvote 1", response_url=response_url, user_id="U0CAROL"
    )
    assert await post_signed(slack.session, slack.url, SECRET, body) == (200, "")
    await slack.loop.idle()
    [update] = await slack.standin.wait_for("chat.update")
    assert update.transport == "json"
    assert (update.args["channel"], update.args["ts"]) == (CHANNEL, ts)
    blocks = json.dumps(update.args["blocks"])
    assert "+1 (1)" in blocks and "How do rate cards work?" in blocks
    assert "carol" not in blocks and "U0CAROL" not in blocks

    # A facilitator hides it: the post is removed with chat.delete.
    status, _, _ = await slack.cop("questions hide Q1")
    assert status == 200
    [delete] = await slack.standin.wait_for("chat.delete")
    assert (delete.args["channel"], delete.args["ts"]) == (CHANNEL, ts)
