"""Looking up a suggested page's title, outside the request.

The core only knows the ``TitleFetcher`` port; the network implementation (timeouts,
size cap, redirects checked hop by hop, private addresses refused) lives in
``adapters/web_titles.py`` and is attached to a core by ``adapters.runtime.build_app``.
A core with no fetcher attached simply keeps the fallback title.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Protocol
from weakref import WeakKeyDictionary

MAX_TITLE = 200


class TitleFetcher(Protocol):
    async def fetch_title(self, url: str) -> str | None:
        """The page's <title>, or None for any failure (never raises)."""
        ...


_FETCHERS: WeakKeyDictionary[object, TitleFetcher] = WeakKeyDictionary()


def attach_fetcher(core: object, fetcher: TitleFetcher | None) -> None:
    """Give one core (one app) its title fetcher; None turns look-ups off."""
    if fetcher is None:
        _FETCHERS.pop(core, None)
    else:
        _FETCHERS[core] = fetcher


def fetcher_for(core: object) -> TitleFetcher | None:
    return _FETCHERS.get(core)


class _TitleParser(HTMLParser):
    """Collects the text of the first <title> outside <svg> (character references decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.inside = False
        self.done = False
        self.svg_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.svg_depth += 1
        elif tag == "title" and not self.done and self.svg_depth == 0:
            self.inside = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg" and self.svg_depth:
            self.svg_depth -= 1
        elif tag == "title" and self.inside:
            self.inside = False
            self.done = True

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.parts.append(data)


def tidy_title(text: str) -> str | None:
    """Collapse whitespace, drop control characters, cap at 200 characters."""
    cleaned = " ".join("".join(ch for ch in text if ch.isprintable() or ch.isspace()).split())
    if not cleaned:
        return None
    return cleaned if len(cleaned) <= MAX_TITLE else cleaned[: MAX_TITLE - 1] + "…"


class TitleScanner:
    """Feed HTML text in pieces; ``title`` is set once a complete <title> has been seen."""

    def __init__(self) -> None:
        self._parser = _TitleParser()

    def feed(self, text: str) -> str | None:
        self._parser.feed(text)
        return self.title

    @property
    def title(self) -> str | None:
        return tidy_title("".join(self._parser.parts)) if self._parser.done else None


def parse_title(html: str) -> str | None:
    """The <title> of a whole HTML document, or None."""
    scanner = TitleScanner()
    scanner.feed(html)
    if scanner.title is None and scanner._parser.parts:  # unclosed <title> at the end
        return tidy_title("".join(scanner._parser.parts))
    return scanner.title
