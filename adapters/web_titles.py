"""The title look-up for suggested resources: aiohttp behind the core's TitleFetcher port.

A member must not be able to make the bot probe its own network, so every hop is checked:
only http(s); the host's addresses are resolved here and refused if any is private,
loopback, link-local, reserved or otherwise not global, and the connection goes to exactly
the addresses that were checked (no second DNS answer to rebind to). Redirects are
followed by hand, at most three, each checked the same way. The whole look-up has a 5 s
timeout and reads at most 1 MB; it sends an honest User-Agent and never raises: any
failure leaves the fallback title.

Tests point it at a local server by allowing loopback explicitly (``allow_loopback=True``
or ``COPBOT_ALLOW_PRIVATE_URLS=1``); it is off by default.
"""

from __future__ import annotations

import asyncio
import codecs
import ipaddress
import logging
import os
import socket
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from bot.features.resources.title_lookup import TitleScanner, parse_title

log = logging.getLogger(__name__)

USER_AGENT = "copbot/0.1 (+https://github.com/copbot)"
TIMEOUT_SECONDS = 5.0
MAX_BYTES = 1024 * 1024
MAX_REDIRECTS = 3
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 16 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedAddress(Exception):
    """The URL leads somewhere the bot must not go (private network, bad scheme)."""


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64, compatible)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client's address
    if any(ip in net for net in _NAT64) or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_allowed(ip: IPAddress, allow_loopback: bool = False) -> bool:
    """Public unicast addresses only (loopback too when explicitly allowed, for tests).

    An IPv6 address that carries an IPv4 one (``::ffff:10.0.0.1``, ``2002:7f00:1::``,
    ``64:ff9b::a9fe:a9fe``) is judged by the IPv4 address it leads to.
    """
    if isinstance(ip, ipaddress.IPv6Address) and (inner := embedded_ipv4(ip)) is not None:
        ip = inner
    if ip.is_loopback:
        return allow_loopback
    if ip.is_private or ip.is_link_local or ip.is_reserved or ip.is_multicast:
        return False
    if ip.is_unspecified or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local):
        return False
    return ip.is_global  # also refuses shared (100.64/10) and documentation ranges


class CheckedResolver(AbstractResolver):
    """Resolves with the system resolver, then refuses the host if any address is not public."""

    def __init__(self, allow_loopback: bool = False) -> None:
        self.allow_loopback = allow_loopback
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if not results:
            raise RefusedAddress(host)
        for result in results:
            if not address_allowed(ipaddress.ip_address(result["host"]), self.allow_loopback):
                raise RefusedAddress(host)
        return results

    async def close(self) -> None:
        await self._inner.close()


class WebTitleFetcher:
    """Implements ``bot.features.resources.title_lookup.TitleFetcher`` over HTTP."""

    def __init__(
        self,
        *,
        allow_loopback: bool = False,
        timeout: float = TIMEOUT_SECONDS,
        max_bytes: int = MAX_BYTES,
        max_redirects: int = MAX_REDIRECTS,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.allow_loopback = allow_loopback
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent

    async def fetch_title(self, url: str) -> str | None:
        try:
            async with asyncio.timeout(self.timeout):
                return await self._fetch(url)
        except RefusedAddress:
            log.info("title look-up refused: the address is not public")
        except TimeoutError:
            log.info("title look-up timed out")
        except (aiohttp.ClientError, OSError, ValueError, UnicodeError) as exc:
            log.info("title look-up failed: %s", type(exc).__name__)
        return None

    def _check(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise RefusedAddress(url)
        try:
            literal = ipaddress.ip_address(parts.hostname)
        except ValueError:
            return  # a name: CheckedResolver checks what it resolves to
        if not address_allowed(literal, self.allow_loopback):
            raise RefusedAddress(url)

    async def _fetch(self, url: str) -> str | None:
        connector = aiohttp.TCPConnector(
            resolver=CheckedResolver(self.allow_loopback), use_dns_cache=False, limit=2
        )
        headers = {"User-Agent": self.user_agent, "Accept": "text/html,application/xhtml+xml"}
        async with aiohttp.ClientSession(
            connector=connector, headers=headers, trust_env=False
        ) as session:
            current = url
            for _hop in range(self.max_redirects + 1):
                self._check(current)
                async with session.get(current, allow_redirects=False) as resp:
                    if resp.status in REDIRECTS:
                        location = resp.headers.get("Location")
                        if not location:
                            return None
                        current = urljoin(current, location)
                        continue
                    if resp.status != 200:
                        return None
                    content_type = resp.headers.get("Content-Type", "text/html").lower()
                    if "html" not in content_type:
                        return None
                    if resp.content_length is not None and resp.content_length > self.max_bytes:
                        return None
                    return await self._read_title(resp)
            return None  # more redirects than allowed (or a loop)

    async def _read_title(self, resp: aiohttp.ClientResponse) -> str | None:
        try:
            decoder = codecs.getincrementaldecoder(resp.charset or "utf-8")(errors="replace")
        except LookupError:
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        scanner = TitleScanner()
        seen = 0
        text: list[str] = []
        async for chunk in resp.content.iter_chunked(_CHUNK):
            seen += len(chunk)
            if seen > self.max_bytes:
                return None  # over the cap before any complete title: stop reading
            piece = decoder.decode(chunk)
            text.append(piece)
            if scanner.feed(piece):
                return scanner.title
        return parse_title("".join(text) + decoder.decode(b"", final=True))


def from_env() -> WebTitleFetcher | None:
    """The fetcher ``build_app`` attaches; ``COPBOT_TITLE_LOOKUP=off`` turns look-ups off."""
    if os.environ.get("COPBOT_TITLE_LOOKUP", "on").strip().lower() in ("off", "0", "no", "false"):
        return None
    allow = os.environ.get("COPBOT_ALLOW_PRIVATE_URLS", "").strip() == "1"
    return WebTitleFetcher(allow_loopback=allow)
