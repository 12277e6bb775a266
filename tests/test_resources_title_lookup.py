"""The title look-up against a local aiohttp server (loopback allowed explicitly)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from adapters import web_titles
from adapters.web_titles import USER_AGENT, WebTitleFetcher, address_allowed, from_env
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


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:10.0.0.1",  # IPv4-mapped
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
        "::127.0.0.1",  # IPv4-compatible loopback
        "100.64.0.1",  # carrier-grade NAT
        "::",
    ],
)
def test_ipv6_addresses_carrying_a_private_ipv4_are_refused(address: str) -> None:
    assert not address_allowed(ipaddress.ip_address(address))


def test_public_addresses_are_allowed() -> None:
    for address in ("93.184.216.34", "2606:4700::1111", "64:ff9b::808:808"):
        assert address_allowed(ipaddress.ip_address(address))


class FakeDns(AbstractResolver):
    """Answers from a table; counts the questions (a rebinding server answers differently
    the second time, so the connection must use the first, checked answer)."""

    table: dict[str, list[str]] = {}
    asked: list[str] = []

    def __init__(self) -> None:
        pass

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        FakeDns.asked.append(host)
        answers = FakeDns.table[host]
        if len(FakeDns.asked) > 1:  # a rebinding answer: never to be used
            answers = ["10.0.0.1"]
        return [
            ResolveResult(hostname=host, host=a, port=port, family=socket.AF_INET, proto=0, flags=0)
            for a in answers
        ]

    async def close(self) -> None:
        pass


async def test_the_connection_goes_to_the_address_that_was_checked(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web_titles, "ThreadedResolver", FakeDns)
    FakeDns.asked = []
    FakeDns.table = {"rebind.test": ["127.0.0.1"]}
    port = site.base.rsplit(":", 1)[1]
    title = await loopback().fetch_title(f"http://rebind.test:{port}/page")
    # Resolved once, checked, and connected to exactly that answer (a second look-up
    # would have answered 10.0.0.1, and the no-network guard would have failed the test).
    assert title == "Outcomes & evidence" and FakeDns.asked == ["rebind.test"]


async def test_a_name_with_any_private_answer_is_refused_before_connecting(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web_titles, "ThreadedResolver", FakeDns)
    FakeDns.asked = []
    FakeDns.table = {"mixed.test": ["93.184.216.34", "192.168.0.10"]}
    assert await WebTitleFetcher().fetch_title("http://mixed.test/") is None
    FakeDns.asked = []
    FakeDns.table = {"inside.test": ["127.0.0.1"]}
    port = site.base.rsplit(":", 1)[1]
    assert await WebTitleFetcher().fetch_title(f"http://inside.test:{port}/page") is None
    assert site.hits == []


async def test_the_title_job_is_due_at_once_and_built_apps_get_the_web_fetcher(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adapters.runtime import build_app
    from bot.features.resources.title_lookup import fetcher_for

    await bot.setup()
    outcome = await bot.run("bob", "resource suggest url=https://example.org/guide")
    assert outcome.ok
    with bot.core.uow_factory() as uow:
        pending = uow.jobs.pending("resource:title:")
    assert [job.due_at for job in pending] == [bot.clock.now()]  # the next tick runs it
    # Slack, Discord and the console build their app through build_app: the real fetcher.
    monkeypatch.delenv("COPBOT_TITLE_LOOKUP")
    app = build_app(bot.chat, clock=bot.clock, engine=bot.engine)
    assert isinstance(fetcher_for(app.core), WebTitleFetcher)
