"""``copbot run --platform slack`` with SLACK_APP_TOKEN: Socket Mode, without connecting.

The handler's ``start_async`` (which would open a websocket to Slack) is replaced; a slash
command is then fed to the handler exactly as the Socket Mode client would hand it over.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.socket_mode.request import SocketModeRequest

from adapters.runtime import start_ticker as real_ticker
from adapters.slack import app as slack_app
from tests.slack_standin import SlackStandIn, slash_command_body


async def test_run_slack_with_an_app_token_serves_the_same_adapter_over_socket_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    standin = await SlackStandIn().start()
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-socket")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-socket")
    monkeypatch.setenv("SLACK_API_URL", standin.api_base_url)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)  # not needed in Socket Mode
    handlers: list[AsyncSocketModeHandler] = []
    tickers: list[Any] = []

    async def no_connection(self: AsyncSocketModeHandler) -> None:
        handlers.append(self)

    async def ticker(app: Any) -> Any:
        tickers.append(await real_ticker(app))
        return tickers[-1]

    monkeypatch.setattr(AsyncSocketModeHandler, "start_async", no_connection)
    monkeypatch.setattr(slack_app, "start_ticker", ticker)
    try:
        code = await slack_app.run_slack(database_url=f"sqlite:///{tmp_path}/socket.db")
        assert code == 0
        [handler] = handlers
        assert handler.app_token == "xapp-socket"
        assert handler.client.web_client.base_url == standin.api_base_url
        # The handler's Bolt app is the adapter's: its /cop listener answers.
        acks: list[Any] = []

        monkeypatch.setattr(handler.client, "send_socket_mode_response", _ack_recorder(acks))
        form = dict(
            parse_qsl(slash_command_body(text="help", response_url=standin.new_response_url()))
        )
        request = SocketModeRequest(type="slash_commands", envelope_id="env-1", payload=form)
        await handler.handle(handler.client, request)
        assert acks == ["env-1"]
        [reply] = await standin.wait_for("response_url")
        assert "copbot commands" in reply.args["text"]
    finally:
        for handler in handlers:
            await handler.client.aiohttp_client_session.close()
        for t in tickers:
            t.shutdown(wait=False)
        await standin.close()


def _ack_recorder(acks: list[Any]) -> Any:
    async def send(response: Any) -> None:
        acks.append(response.envelope_id)

    return send
