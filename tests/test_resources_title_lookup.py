"""The title look-up against a local aiohttp server (loopback allowed explicitly)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from adapters.web_titles import USER_AGENT, WebTitleFetcher, from_env
from tests.fakes import Harness


@dataclass
class Site:
    base: str
    hits: list[str] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    never = asyncio.Event()
    state = Site(base="")

    @web.middleware
    async def record(request: web.Request, handler):  # type: ignore[no-untyped-def]
        state.hits.append(request.path)
        state.agents.append(request.headers.get("User-Agent", ""))
        return await handler(request)

    async def page(request: web.Request) -> web.Response:
        return web.Response(
            text="<html><head><title>Outcomes &amp; evidence</title></head><body>hi</body></html>",
            content_type="text/html",
        )

    async def slow(request: web.Request) -> web.Response:
        await never.wait()
        return web.Response(text="late")

    async def huge(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/html"})
        await resp.prepare(request)
        await resp.write(b"<html><head>")
        for _ in range(40):  # 40 x 64 KiB = 2.5 MiB before the title
            await resp.write(b"<!--" + b"x" * 65536 + b"-->")
        await resp.write(b"<title>Too far</title></head></html>")
        return resp

    async def declared_huge(request: web.Request) -> web.Response:
        return web.Response(
            body=b"<title>big</title>" + b" " * (1024 * 1024 + 10), content_type="text/html"
        )

    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def hop(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        raise web.HTTPFound("/page" if n == 0 else f"/hop/{n - 1}")

    async def to_private(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")

    async def to_js(request: web.Request) -> web.Response:
        raise web.HTTPFound("javascript:alert(1)")

    async def pdf(request: web.Request) -> web.Response:
        return web.Response(body=b"%PDF-1.7 <title>no</title>", content_type="application/pdf")

    app = web.Application(middlewares=[record])
    app.add_routes(
        [
            web.get("/page", page),
            web.get("/slow", slow),
            web.get("/huge", huge),
            web.get("/declared-huge", declared_huge),
            web.get("/loop", loop),
            web.get("/hop/{n}", hop),
            web.get("/to-private", to_private),
            web.get("/to-js", to_js),
            web.get("/pdf", pdf),
        ]
    )
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.base = f"http://127.0.0.1:{port}"
    yield state
    never.set()
    await runner.cleanup()


def loopback(**kw: float) -> WebTitleFetcher:
    return WebTitleFetcher(allow_loopback=True, **kw)  # type: ignore[arg-type]


async def test_title_is_found_with_an_honest_user_agent(site: Site) -> None:
    assert await loopback().fetch_title(site.base + "/page") == "Outcomes & evidence"
    assert site.agents == [USER_AGENT]


async def test_a_slow_page_times_out_and_gives_no_title(site: Site) -> None:
    started = asyncio.get_running_loop().time()
    assert await loopback(timeout=0.3).fetch_title(site.base + "/slow") is None
    assert asyncio.get_running_loop().time() - started < 2


async def test_pages_over_the_size_cap_are_not_read_to_the_end(site: Site) -> None:
    assert await loopback().fetch_title(site.base + "/huge") is None
    assert await loopback().fetch_title(site.base + "/declared-huge") is None


async def test_redirects_are_followed_at_most_three_times(site: Site) -> None:
    assert await loopback().fetch_title(site.base + "/hop/2") == "Outcomes & evidence"
    site.hits.clear()
    assert await loopback().fetch_title(site.base + "/hop/3") is None
    assert len(site.hits) == 4  # the first request and three redirects, no more


async def test_a_redirect_loop_gives_up(site: Site) -> None:
    assert await loopback().fetch_title(site.base + "/loop") is None
    assert site.hits == ["/loop"] * 4


async def test_loopback_is_refused_unless_explicitly_allowed(site: Site) -> None:
    assert await WebTitleFetcher().fetch_title(site.base + "/page") is None
    port = site.base.rsplit(":", 1)[1]
    assert await WebTitleFetcher().fetch_title(f"http://localhost:{port}/page") is None
    assert await WebTitleFetcher().fetch_title(f"http://[::1]:{port}/page") is None
    assert site.hits == []  # refused before connecting


async def test_private_addresses_are_refused_on_every_hop(site: Site) -> None:
    fetcher = loopback()
    for url in (
        "http://10.0.0.1/",
        "http://192.168.1.1/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://0.0.0.0:8080/",
    ):
        assert await fetcher.fetch_title(url) is None  # no connection attempted (tests would fail)
    assert await fetcher.fetch_title(site.base + "/to-private") is None
    assert await fetcher.fetch_title(site.base + "/to-js") is None


async def test_non_html_is_ignored(site: Site) -> None:
    assert await loopback().fetch_title(site.base + "/pdf") is None


def test_loopback_setting_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COPBOT_ALLOW_PRIVATE_URLS", raising=False)
    monkeypatch.delenv("COPBOT_TITLE_LOOKUP", raising=False)
    fetcher = from_env()
    assert fetcher is not None and not fetcher.allow_loopback
    monkeypatch.setenv("COPBOT_ALLOW_PRIVATE_URLS", "1")
    allowed = from_env()
    assert allowed is not None and allowed.allow_loopback
    monkeypatch.setenv("COPBOT_TITLE_LOOKUP", "off")
    assert from_env() is None


async def test_the_suggest_reply_comes_first_and_the_job_fills_in_the_title(
    site: Site, bot: Harness
) -> None:
    from bot.features.resources.title_lookup import attach_fetcher

    attach_fetcher(bot.core, loopback())
    await bot.setup()
    outcome = await bot.run("bob", f"resource suggest url={site.base}/page")
    assert outcome.ok and site.hits == []  # nothing fetched while answering
    await bot.app.scheduler.tick()
    assert site.hits == ["/page"]
    assert "Outcomes & evidence" in await bot.say("bob", "/cop resource show 1")
    # A refused address leaves the fallback title, and the member sees no error.
    attach_fetcher(bot.core, WebTitleFetcher())
    await bot.say("bob", f"/cop resource suggest url={site.base}/hop/0")
    shown = await bot.say("bob", "/cop resource show 2")
    assert "127.0.0.1" in shown.splitlines()[1] and site.hits == ["/page"]
