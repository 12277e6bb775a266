"""Checking and normalising the web addresses members suggest.

``clean_url`` returns the address as shown (host lower-cased, default port, tracking
parameters and unsafe characters dealt with); ``url_key`` is what two suggestions are
compared on, so ``HTTPS://Example.org/report/?utm_source=x#intro`` and
``https://example.org/report`` are the same resource.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

MAX_URL_LENGTH = 2000
SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that only say where a click came from.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "s_cid",
        "spm",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")

# Characters quoted in the stored address so that no platform's link markup
# (<url|label>, [label](url), angle brackets) can be broken out of.
_SAFE_PATH = "/:@!$&'*+,;=-._~%"
_SAFE_QUERY = "/?:@!$'*+,;=-._~%"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BadUrl(ValueError):
    """Not an http(s) address a member may share; ``reason`` is a prompt key suffix."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _host(hostname: str) -> str:
    host = hostname.lower().rstrip(".")
    if not host:
        raise BadUrl("unparsable")
    if ":" in host:  # IPv6 literal
        return f"[{host}]"
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise BadUrl("unparsable") from None
    if not re.fullmatch(r"[a-z0-9.-]+", host):
        raise BadUrl("unparsable")
    return host


def _parts(text: str) -> tuple[str, str, str, list[tuple[str, str]], str]:
    raw = text.strip()
    if not raw:
        raise BadUrl("unparsable")
    if len(raw) > MAX_URL_LENGTH:
        raise BadUrl("too_long")
    if _CONTROL.search(raw):
        raise BadUrl("unparsable")
    try:
        parts = urlsplit(raw)
        port = parts.port
        hostname = parts.hostname
    except ValueError:
        raise BadUrl("unparsable") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise BadUrl("scheme" if scheme else "unparsable")
    if not hostname:
        raise BadUrl("unparsable")
    if parts.username is not None or parts.password is not None:
        # https://trusted.org@elsewhere.net/ reads as one site and goes to another.
        raise BadUrl("userinfo")
    host = _host(hostname)
    if port is not None and port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    path = quote(parts.path, safe=_SAFE_PATH) or "/"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    fragment = quote(parts.fragment, safe=_SAFE_QUERY)
    return scheme, host, path, query, fragment


def clean_url(text: str) -> str:
    """The address to store and show; raises BadUrl."""
    scheme, host, path, query, fragment = _parts(text)
    encoded = urlencode(query, quote_via=quote, safe=_SAFE_QUERY.replace("&", "").replace("=", ""))
    return urlunsplit((scheme, host, path, encoded, fragment))


def url_key(text: str) -> str:
    """The comparison key: no scheme, no fragment, no trailing slash, sorted query."""
    _scheme, host, path, query, _fragment = _parts(text)
    path = path.rstrip("/")
    encoded = urlencode(sorted(query), quote_via=quote, safe="/:@!$'*+,;-._~%")
    return host + path + ("?" + encoded if encoded else "")


def fallback_title(url: str) -> str:
    """The host and path, used until (or instead of) a looked-up title."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    path = unquote(parts.path).rstrip("/")
    title = " ".join((host + path).split())
    return title if len(title) <= 200 else title[:199] + "…"


# A web address or a bare domain written in a title ("https://bank.example/login",
# "www.bank.example"): shown as a link's text, it would hide where the link goes.
_DOMAIN_IN_TEXT = re.compile(
    r"(?<![\w.-])(?:[a-z][a-z0-9+.-]*://)?((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63})(?![\w-])",
    re.IGNORECASE,
)


def _related(name: str, host: str) -> bool:
    return name == host or host.endswith("." + name) or name.endswith("." + host)


def link_label(title: str, url: str) -> str:
    """The text to show for a link: the title, plus the real host when the title names
    another site (a title is never a link in disguise)."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    for match in _DOMAIN_IN_TEXT.finditer(title):
        name = match.group(1).lower().rstrip(".").removeprefix("www.")
        if not _related(name, host):
            return f"{title} ({host})" if host else title
    return title
