"""Every sentence the bot says comes from prompts/*.toml; this module loads and renders them.

Templates use a small neutral markup (``**bold**``, ``_italic_``, `` `code` ``) and
``{placeholder}`` fields. ``{count:member|members}`` picks a word by the count's value
(singular for 1, plural otherwise; write the count itself as ``{count}`` next to it, e.g.
``{count} {count:vote|votes}``). A renderer converts the template's own markup for its platform
first and only then fills in escaped data, so user text can never become markup.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources

from bot.text import Lines, Link, Mention, Moment, Msg, Value

PROMPTS_PACKAGE = "prompts"


class PromptError(KeyError):
    pass


def _flatten(prefix: str, table: Mapping[str, object]) -> Iterator[tuple[str, str]]:
    for key, value in table.items():
        full = f"{prefix}.{key}"
        if isinstance(value, dict):
            yield from _flatten(full, value)
        elif isinstance(value, str):
            yield full, value
        else:
            raise PromptError(f"{full}: prompts must be strings")


@cache
def catalogue() -> dict[str, str]:
    """All templates, keyed ``<file stem>.<key>`` (nested tables join with dots)."""
    found: dict[str, str] = {}
    for entry in sorted(resources.files(PROMPTS_PACKAGE).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            table = tomllib.loads(entry.read_text(encoding="utf-8"))
            found.update(_flatten(entry.name.removesuffix(".toml"), table))
    return found


def template(key: str) -> str:
    try:
        return catalogue()[key]
    except KeyError:
        raise PromptError(f"no prompt {key!r} in prompts/") from None


def placeholders(tmpl: str) -> list[str]:
    """The data names a template needs; a plural field ``{count:one|many}`` needs ``count``."""
    return [name for _, name, _, _ in string.Formatter().parse(tmpl) if name]


# ``{name:singular|plural}``; ``{{`` is a literal brace, never a field.
_PLURAL_RE = re.compile(r"(?<!\{)\{(\w+):([^{}|]*)\|([^{}|]*)\}")


def _is_one(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return abs(value) == 1
    if isinstance(value, str):
        try:
            return abs(float(value.strip())) == 1
        except ValueError:
            return False
    return False


def pluralize(tmpl: str, data: Mapping[str, object]) -> str:
    """Replace every ``{count:singular|plural}`` field with the word its count calls for.

    Runs on the raw template, before any markup conversion or data is filled in, so the
    chosen word is template text like its neighbours. A field whose count is missing from
    ``data`` is left alone and reported as missing by the renderer.
    """

    def word(match: re.Match[str]) -> str:
        name, singular, plural = match.groups()
        if name not in data:
            return match.group(0)
        return (singular if _is_one(data[name]) else plural).replace("{", "{{").replace("}", "}}")

    return _PLURAL_RE.sub(word, tmpl)


class Renderer:
    """Base renderer: plain text with no markup. Platforms override the hooks."""

    def escape(self, text: str) -> str:
        return text

    def markup(self, tmpl: str) -> str:
        """Convert the neutral template markup; default strips it."""
        tmpl = re.sub(r"\*\*(.+?)\*\*", r"\1", tmpl)
        tmpl = re.sub(r"(?<![\w])_(\S(?:.*?\S)?)_(?![\w])", r"\1", tmpl)
        return re.sub(r"`([^`]+)`", r"\1", tmpl)

    def moment(self, value: Moment) -> str:
        from bot.timefmt import format_moment

        return format_moment(value)

    def mention(self, value: Mention) -> str:
        return "@" + self.escape(value.name)

    def link(self, value: Link) -> str:
        return f"{self.escape(value.label)} ({value.url})"

    def value(self, value: Value) -> str:
        if isinstance(value, Msg):
            return self.render(value)
        if isinstance(value, Lines):
            if not value.items and value.empty is not None:
                return self.render(value.empty)
            return value.sep.join(self.render(item) for item in value.items)
        if isinstance(value, Moment):
            return self.moment(value)
        if isinstance(value, Mention):
            return self.mention(value)
        if isinstance(value, Link):
            return self.link(value)
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, float):
            return f"{value:.1f}"
        if isinstance(value, int):
            return str(value)
        return self.escape(str(value))

    def render(self, msg: Msg) -> str:
        tmpl = self.markup(pluralize(template(msg.key), msg.data))
        data = {name: self.value(msg.data[name]) for name in placeholders(tmpl) if name in msg.data}
        missing = [name for name in placeholders(tmpl) if name not in data]
        if missing:
            raise PromptError(f"prompt {msg.key!r} is missing data for {missing}")
        return tmpl.format_map(data)


PLAIN = Renderer()
