"""``copbot run --platform slack`` in HTTP mode, end to end against the stand-in."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

import aiohttp
import pytest

from adapters.slack.app import run_slack
from tests.slack_standin import SlackStandIn, post_signed, slash_command_body

SECRET = "run-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_run_slack_serves_signed_commands_at_slack_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    standin = await SlackStandIn().start()
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-run")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_API_URL", standin.api_base_url)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    port = _free_port()
    task = asyncio.create_task(run_slack(port=port, database_url=f"sqlite:///{tmp_path}/run.db"))
    url = f"http://127.0.0.1:{port}/slack/events"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(500):  # until the server listens (migrations run first)
                with contextlib.suppress(aiohttp.ClientConnectionError):
                    async with session.post(url, data=b"") as response:
                        assert response.status == 401  # unsigned
                        break
                await asyncio.sleep(0.02)
            body = slash_command_body(text="help", response_url=standin.new_response_url())
            assert await post_signed(session, url, SECRET, body) == (200, "")
            [reply] = await standin.wait_for("response_url")
            assert "copbot commands" in reply.args["text"]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await standin.close()


async def test_run_slack_without_a_token_explains_and_exits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert await run_slack(port=_free_port()) == 2
