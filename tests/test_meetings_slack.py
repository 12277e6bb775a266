"""Meetings on Slack (the real Bolt app and a stand-in Web API): date tokens, RSVP buttons
and the announcement updated in place."""

from __future__ import annotations

import json

from tests.slack_standin import block_actions_body, post_signed
from tests.test_slack_e2e import CHANNEL, SECRET, Rig, _setup, slack  # noqa: F401


def _mrkdwn(node: object) -> list[str]:
    """Every mrkdwn text in Block Kit (plain_text never pings, so it may hold raw tokens)."""
    if isinstance(node, list):
        return [t for item in node for t in _mrkdwn(item)]
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            return [str(node.get("text", ""))]
        return [t for value in node.values() for t in _mrkdwn(value)]
    return []


async def test_a_meeting_on_slack_echoes_a_date_token_and_rsvp_buttons_update_its_card(
    slack: Rig,  # noqa: F811
) -> None:
    await _setup(slack)
    echo = await slack.private(
        'meeting schedule when="next Tuesday 14:00" title="Club <!channel>" chatham=yes'
    )
    # Each reader sees the time in their own timezone; the fallback is the community's.
    assert "<!date^1799157600^" in echo and "Tue 5 Jan 2027, 14:00 GMT" in echo
    [announcement] = [
        c
        for c in slack.standin.calls_to("chat.postMessage")
        if "meeting rsvp 1 yes" in json.dumps(c.args.get("blocks", []))
    ]
    assert "<!channel>" not in announcement.args["text"]
    assert "<!channel>" not in json.dumps(_mrkdwn(announcement.args["blocks"]))
    assert announcement.result is not None
    ts = announcement.result["ts"]

    response_url = slack.standin.new_response_url()
    body = block_actions_body(
        value="cop:meeting rsvp 1 yes", response_url=response_url, user_id="U0BOB"
    )
    assert await post_signed(slack.session, slack.url, SECRET, body) == (200, "")
    await slack.loop.idle()
    [update] = await slack.standin.wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (CHANNEL, ts)
    blocks = json.dumps(update.args["blocks"])
    assert "1 yes" in blocks and "U0BOB" not in blocks  # Chatham: counts, never names

    assert "is cancelled" not in await slack.private("meeting show 1", "U0BOB", "bob")
    await slack.private("meeting cancel 1")
    updates = await slack.standin.wait_for("chat.update", 2)
    assert "This meeting is cancelled." in json.dumps(updates[-1].args["blocks"])
    assert "meeting rsvp 1 yes" not in json.dumps(updates[-1].args["blocks"])
