"""Slash commands typed in a direct message, and modals that cannot open."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import Engine

from adapters.slack.app import CHANNEL_LINK
from tests.slack_standin import TEAM_ID
from tests.test_slack_e2e import CHANNEL, Rig, _form_app, _rig, _setup, _shown, slack  # noqa: F401

DM = "D0ALICE"


async def _in_dm(rig: Rig, text: str, user: str = "U0ALICE") -> str:
    status, ack, url = await rig.cop(text, user=user, channel=DM)
    assert (status, ack) == (200, "")
    return "\n".join(_shown(c) for c in rig.replies_to(url))


async def test_a_command_typed_in_a_dm_points_to_the_members_community_channel(
    slack: Rig,  # noqa: F811
) -> None:
    await _setup(slack)
    answer = await _in_dm(slack, "members")
    assert "not in a direct message" in answer and "`/cop members`" in answer
    link = CHANNEL_LINK.format(team=TEAM_ID, channel=CHANNEL).replace("&", "&amp;")
    assert f"<{link}|North>" in answer
    assert "not a copbot community yet" not in answer


async def test_setup_typed_in_a_dm_creates_no_community_there(slack: Rig) -> None:  # noqa: F811
    answer = await _in_dm(slack, 'setup name="Hidden" timezone=Europe/London')
    assert "not in a direct message" in answer
    with slack.app.core.uow_factory() as uow:
        assert uow.communities.all() == []
    assert slack.standin.calls_to("chat.postMessage") == []


async def test_help_in_a_dm_lists_the_commands_and_points_to_the_channel(
    slack: Rig,  # noqa: F811
) -> None:
    await _setup(slack)
    answer = await _in_dm(slack, "help")
    assert "copbot commands" in answer and "/cop profile" in answer
    assert "|North>" in answer and "not in a direct message" in answer
    assert "not a community yet" not in answer  # no 'start one here' in a DM
    stranger = await _in_dm(slack, "help", user="U0NOBODY")
    assert "not in a copbot community on this workspace yet" in stranger


async def test_a_dm_command_from_someone_in_no_community_says_so(slack: Rig) -> None:  # noqa: F811
    await _setup(slack)
    answer = await _in_dm(slack, "profile", user="U0NOBODY")
    assert "not in a copbot community on this workspace yet" in answer
    assert "|North>" not in answer


async def test_an_expired_trigger_id_is_reported_to_the_member(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async for rig in _rig(engine, monkeypatch, app=_form_app(engine)):
        rig.standin.fail("views.open", "expired_trigger_id")
        status, _, url = await rig.cop("note add")
        assert status == 200
        [reply] = rig.replies_to(url)
        assert "could not open in time" in _shown(reply)


async def test_a_modal_that_slack_refuses_is_reported_with_the_error(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async for rig in _rig(engine, monkeypatch, app=_form_app(engine)):
        rig.standin.fail("views.open", "invalid_arguments")
        with caplog.at_level(logging.WARNING, logger="adapters.slack"):
            status, _, url = await rig.cop("note add")
        assert status == 200
        [reply] = rig.replies_to(url)
        shown = _shown(reply)
        assert "invalid_arguments" in shown and "/cop help note add" in shown
        assert "Slack views.open failed: invalid_arguments" in caplog.text


async def test_a_form_opened_by_a_button_in_a_dm_submits_in_the_community_it_names(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.slack_standin import block_actions_body, post_signed, view_submission_body
    from tests.test_slack_e2e import SECRET

    async for rig in _rig(engine, monkeypatch, app=_form_app(engine)):
        url = rig.standin.new_response_url()
        body = block_actions_body(
            value=f"cop@{TEAM_ID}/{CHANNEL}:note add", response_url=url, channel_id=DM
        )
        assert await post_signed(rig.session, rig.url, SECRET, body) == (200, "")
        await rig.adapter.idle()
        [opened] = rig.standin.calls_to("views.open")
        view = opened.args["view"]
        assert json.loads(view["private_metadata"])["channel"] == CHANNEL
        done = view_submission_body(view=view, values={"title": "Tea", "count": "2"})
        assert await post_signed(rig.session, rig.url, SECRET, done) == (200, "")
        await rig.adapter.idle()
        assert any("Tea x2" in text for text in rig.posts(CHANNEL))
