"""Replies as Slack messages: mrkdwn text, Block Kit cards, modals, within Slack's limits.

Three renderings of the same ``Msg``:

* ``SlackRenderer`` (mrkdwn, for section/context text): the template's own text is escaped
  and its markup converted first, then every data value is escaped (``&``, ``<``, ``>``), so
  ``<!channel>``, ``<!here>``, ``<!everyone>``, ``<@U…>`` or ``<https://evil|click>`` typed
  by a member is shown, never obeyed. User text never formats either (the rule every
  renderer follows, as on Discord): mrkdwn has no backslash escape, so a ``*``, ``_`` or
  ``~`` that could open or close formatting and every backtick become look-alikes
  (``∗ ˍ ∼ ˋ``, the characters jsx-slack uses), a ``>`` starting a line gets an invisible
  soft hyphen before it (no quote), and ``@here``/``@channel``/``@everyone`` get a word
  joiner after the ``@``; bare web addresses are left whole. ``snake_case`` and
  ``:white_check_mark:`` are untouched (a marker between two letters never formats).
  Moments become ``<!date^…>`` tokens (each reader sees their own timezone), mentions the
  bot means become ``<@U…>``, links ``<https://…|label>``.
* ``FallbackRenderer``: the same, with the markup stripped: the ``text`` that Slack shows in
  notifications and where blocks cannot be drawn.
* ``PLAIN`` (bot.prompts): plain_text objects (headers, buttons, modal titles and labels).
  Slack shows plain_text literally: no mrkdwn, no links, no mentions
  (https://docs.slack.dev/reference/block-kit/composition-objects/text-object), and a raw
  ``&``/``<``/``>`` there is accepted and displayed as typed. So user text goes in
  unescaped: escaping it would risk showing ``&amp;`` to readers (pinned by a test).

Attachments (e.g. an ``.ics`` file) are shown as code blocks in the message rather than
uploaded: an upload is visible to the whole conversation even when the reply is private,
and it would need the extra ``files:write`` scope.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bot.buttons import button_id
from bot.prompts import PLAIN, Renderer
from bot.replies import Attachment, Button, Card, Form, Place, Reply
from bot.text import Link, Mention, Moment, Msg
from bot.timefmt import format_moment

# Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks)
SECTION_TEXT = 3000
FIELD_TEXT = 2000
FIELDS_PER_SECTION = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTONS_PER_ACTIONS = 25
CONTEXT_TEXT = 3000
MAX_BLOCKS = 50
PAGE_CHARS = 12000  # keep each message well under Slack's 40,000-character message cap
FALLBACK_TEXT = 3000
MODAL_TITLE = 24
MODAL_BUTTON = 24
MODAL_LABEL = 2000
MODAL_PLACEHOLDER = 150
MODAL_BLOCKS = 100
INPUT_MAX = 3000

FORM_PREFIX = "cop-form:"  # a modal's callback_id: FORM_PREFIX + the command it submits
BUTTON_ACTION = "cop-btn"  # action ids: cop-btn-0, cop-btn-1 … (the value carries the command)
INPUT_ACTION = "value"

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_DATE_TOKENS = {
    "full": "{date_long_pretty} at {time}",
    "date": "{date_long_pretty}",
    "time": "{time}",
}


def escape(text: str) -> str:
    """Slack's three control characters; all that is needed to disarm mentions and links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_SLACK_TOKEN_RE = re.compile(r"<([^<>]*)>")
_ENTITY_RE = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}


def from_slack(text: str) -> str:
    """What a member typed, from Slack's encoding of a slash command's or message's text.

    Slack sends typed ``&``, ``<``, ``>`` as entities and (``should_escape``) turns
    mentions, channels and links into ``<…>`` tokens. User mentions stay tokens (the core
    resolves ``<@U…|name>``); a link becomes its address, a channel ``#name``, a special
    mention ``@here``; then the entities are decoded. The text is data from here on and is
    escaped again whenever it is shown.
    """

    def token(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            return match.group(0)
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            special = target[1:].split("^")[0]
            if special in ("subteam", "date"):
                return label or special
            return "@" + special
        if target.lower().startswith("mailto:"):
            return label or target[len("mailto:") :]
        return target

    text = _SLACK_TOKEN_RE.sub(token, text)
    return _ENTITY_RE.sub(lambda m: _ENTITIES[m.group(1)], text)


_URL_RE = re.compile(r"https?://[^\s<>|`]+", re.IGNORECASE)
# A marker can open or close formatting unless it sits between two word characters.
_MARKER_RE = re.compile(r"(?<!\w)[*_~]|[*_~](?!\w)")
_LOOKALIKE = {"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"}
_QUOTE_RE = re.compile(r"^(\s*)(?=&gt;)", re.MULTILINE)
_BROADCAST_RE = re.compile(r"(?<!\w)@(?=(?:here|channel|everyone)\b)", re.IGNORECASE)
WORD_JOINER = "\u2060"
SOFT_HYPHEN = "\u00ad"


def _inert(text: str) -> str:
    text = _MARKER_RE.sub(lambda m: _LOOKALIKE[m.group(0)], text).replace("`", _LOOKALIKE["`"])
    text = _QUOTE_RE.sub(lambda m: m.group(1) + SOFT_HYPHEN, text)
    return _BROADCAST_RE.sub("@" + WORD_JOINER, text)


def escape_data(text: str) -> str:
    """User text for mrkdwn: escaped, and unable to format (see the module docstring)."""
    text = escape(text)
    parts: list[str] = []
    last = 0
    for match in _URL_RE.finditer(text):
        parts.append(_inert(text[last : match.start()]))
        parts.append(match.group(0))
        last = match.end()
    parts.append(_inert(text[last:]))
    return "".join(parts)


def safe_url(url: str) -> str | None:
    """An http(s) URL fit to sit inside ``<url|label>``, or None."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if any(ch.isspace() for ch in url):
        return None
    return url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    # Never leave half an entity or half a <…> token at the end.
    amp, lt = cut.rfind("&"), cut.rfind("<")
    if amp > cut.rfind(";"):
        cut = cut[:amp]
    if lt > cut.rfind(">"):
        cut = cut[:lt]
    return cut + "…"


def chunks(text: str, limit: int) -> list[str]:
    """Split mrkdwn on line breaks (or spaces) into pieces of at most ``limit`` characters."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            head, line = line[:cut], line[cut:].lstrip(" ")
            if current:
                pieces.append(current)
                current = ""
            pieces.append(truncate(head, limit))
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        pieces.append(current)
    return [p for p in pieces if p.strip()]


class SlackRenderer(Renderer):
    """mrkdwn for section, field and context text."""

    def escape(self, text: str) -> str:
        return escape_data(text)

    def markup(self, tmpl: str) -> str:
        # The template's own literal <, > and & are text too (e.g. "/cop help <group>").
        tmpl = escape(tmpl)
        # **bold** -> *bold*; _italic_ and `code` are already mrkdwn.
        return re.sub(r"\*\*(.+?)\*\*", r"*\1*", tmpl)

    def moment(self, value: Moment) -> str:
        fallback = escape(format_moment(value)).replace("|", "/")
        token = _DATE_TOKENS.get(value.style, _DATE_TOKENS["full"])
        return f"<!date^{int(value.at.timestamp())}^{token}|{fallback}>"

    def mention(self, value: Mention) -> str:
        if _USER_ID.match(value.user_id):
            return f"<@{value.user_id}>"
        return "@" + escape(value.name)

    def link(self, value: Link) -> str:
        url = safe_url(value.url)
        label = escape(value.label) or (url or "")
        if url is None:
            return label
        return f"<{url}|{label}>"


class FallbackRenderer(SlackRenderer):
    """The message's plain ``text``: escaped like mrkdwn, with the markup stripped."""

    def markup(self, tmpl: str) -> str:
        return escape(Renderer.markup(self, tmpl))

    def moment(self, value: Moment) -> str:
        return escape(format_moment(value))

    def link(self, value: Link) -> str:
        url = safe_url(value.url)
        return f"{escape(value.label)} ({url})" if url else escape(value.label)


MRKDWN = SlackRenderer()
FALLBACK = FallbackRenderer()


def plain(msg: Msg, limit: int) -> dict[str, Any]:
    text = truncate(PLAIN.render(msg).replace("\n", " ").strip(), limit) or "…"
    return {"type": "plain_text", "text": text, "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


@dataclass
class SlackMessage:
    """One message to send: ``text`` is the fallback shown in notifications."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def as_args(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def _sections(text: str) -> Iterator[dict[str, Any]]:
    for piece in chunks(text, SECTION_TEXT):
        yield {"type": "section", "text": mrkdwn(piece)}


def _buttons(buttons: tuple[Button, ...], about: Place | None) -> Iterator[dict[str, Any]]:
    elements: list[dict[str, Any]] = []
    for index, button in enumerate(buttons):
        element: dict[str, Any] = {
            "type": "button",
            "action_id": f"{BUTTON_ACTION}-{index}",
            "text": plain(button.label, BUTTON_TEXT),
            "value": button_id(button.command, about),
        }
        if button.style in ("primary", "danger"):
            element["style"] = button.style
        elements.append(element)
    for start in range(0, len(elements), BUTTONS_PER_ACTIONS):
        yield {"type": "actions", "elements": elements[start : start + BUTTONS_PER_ACTIONS]}


def card_blocks(card: Card, about: Place | None = None) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [{"type": "header", "text": plain(card.title, HEADER_TEXT)}]
    if card.url and (url := safe_url(card.url)):
        blocks.append({"type": "context", "elements": [mrkdwn(f"<{url}>")]})
    if card.body is not None:
        blocks.extend(_sections(MRKDWN.render(card.body)))
    inline = [f for f in card.fields if f.inline]
    for start in range(0, len(inline), FIELDS_PER_SECTION):
        fields = [
            mrkdwn(
                truncate(f"*{escape(PLAIN.render(f.label))}*\n{MRKDWN.render(f.value)}", FIELD_TEXT)
            )
            for f in inline[start : start + FIELDS_PER_SECTION]
        ]
        blocks.append({"type": "section", "fields": fields})
    for f in card.fields:
        if not f.inline:
            text = f"*{escape(PLAIN.render(f.label))}*\n{MRKDWN.render(f.value)}"
            blocks.extend(_sections(text))
    if card.footer is not None:
        footer = truncate(MRKDWN.render(card.footer), CONTEXT_TEXT)
        blocks.append({"type": "context", "elements": [mrkdwn(footer)]})
    blocks.extend(_buttons(card.buttons, about))
    return blocks


def attachment_blocks(attachment: Attachment) -> list[dict[str, Any]]:
    """A text file as code blocks (headed by its name); anything else by name and size."""
    name = escape(attachment.filename)
    if not attachment.mime.startswith("text/"):
        return [{"type": "context", "elements": [mrkdwn(f"{name} ({len(attachment.content)} B)")]}]
    body = escape(
        attachment.content.decode("utf-8", errors="replace").replace("```", "'''").rstrip()
    )
    blocks: list[dict[str, Any]] = [{"type": "context", "elements": [mrkdwn(f"`{name}`")]}]
    for piece in chunks(body, SECTION_TEXT - 8):
        blocks.append({"type": "section", "text": mrkdwn(f"```{piece}```")})
    return blocks


def _block_chars(block: Mapping[str, Any]) -> int:
    return len(json.dumps(block, ensure_ascii=False))


def _first_text(blocks: list[dict[str, Any]]) -> str:
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict) and text.get("text"):
            return str(text["text"])
        for element in block.get("fields", []) + block.get("elements", []):
            if element.get("type") == "mrkdwn":
                return str(element["text"])
    return "…"


def reply_messages(reply: Reply, about: Place | None = None) -> list[SlackMessage]:
    """A reply as one or more messages (long texts and lists paginate).

    ``about`` is the community a message sent outside its channel (a DM) is about: its
    buttons then carry that community, so a press runs in the right place.
    """
    blocks: list[dict[str, Any]] = []
    text = MRKDWN.render(reply.text) if reply.text else ""
    blocks.extend(_sections(text))
    if reply.card is not None:
        blocks.extend(card_blocks(reply.card, about))
    for attachment in reply.attachments:
        blocks.extend(attachment_blocks(attachment))

    fallback_parts = [FALLBACK.render(reply.text)] if reply.text else []
    if reply.card is not None:
        fallback_parts.append(escape(PLAIN.render(reply.card.title)))
    fallback = truncate("\n".join(p for p in fallback_parts if p.strip()), FALLBACK_TEXT)

    pages: list[list[dict[str, Any]]] = [[]]
    size = 0
    for block in blocks:
        chars = _block_chars(block)
        if pages[-1] and (len(pages[-1]) >= MAX_BLOCKS or size + chars > PAGE_CHARS):
            pages.append([])
            size = 0
        pages[-1].append(block)
        size += chars
    messages = []
    for number, page in enumerate(pages):
        page_text = fallback if number == 0 and fallback else truncate(_first_text(page), 300)
        messages.append(SlackMessage(page_text or "…", page))
    return messages


# ---------------------------------------------------------------- modals


@dataclass(frozen=True)
class FormOrigin:
    """What a modal remembers between opening and submission: where, never who."""

    team: str
    channel: str
    hidden: tuple[tuple[str, str], ...] = ()

    def dump(self) -> str:
        return json.dumps({"team": self.team, "channel": self.channel, "hidden": dict(self.hidden)})

    @staticmethod
    def load(raw: str) -> FormOrigin | None:
        try:
            data = json.loads(raw)
            hidden = tuple((str(k), str(v)) for k, v in dict(data.get("hidden", {})).items())
            return FormOrigin(str(data["team"]), str(data["channel"]), hidden)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


def modal_view(form: Form, origin: FormOrigin) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    if form.intro is not None:
        blocks.extend(_sections(MRKDWN.render(form.intro)))
    for f in form.fields:
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": INPUT_ACTION,
            "multiline": f.multiline,
            "max_length": min(f.max_length or INPUT_MAX, INPUT_MAX),
        }
        if f.placeholder is not None:
            element["placeholder"] = plain(f.placeholder, MODAL_PLACEHOLDER)
        blocks.append(
            {
                "type": "input",
                "block_id": f.name,
                "label": plain(f.label, MODAL_LABEL),
                "optional": not f.required,
                "element": element,
            }
        )
    origin = FormOrigin(origin.team, origin.channel, tuple(form.hidden) or origin.hidden)
    return {
        "type": "modal",
        "callback_id": FORM_PREFIX + form.command,
        "private_metadata": origin.dump(),
        "title": plain(form.title, MODAL_TITLE),
        "submit": plain(Msg("slack.submit"), MODAL_BUTTON),
        "close": plain(Msg("slack.cancel"), MODAL_BUTTON),
        "blocks": blocks[:MODAL_BLOCKS],
    }


def form_values(view: Mapping[str, Any]) -> dict[str, str]:
    """The submitted values of a modal built by ``modal_view``, by argument name."""
    values: dict[str, str] = {}
    state = view.get("state", {}).get("values", {})
    for block_id, actions in state.items():
        entry = actions.get(INPUT_ACTION) or {}
        value = entry.get("value")
        values[block_id] = "" if value is None else str(value)
    return values


def error_text(msg: Msg) -> str:
    """A refusal as plain text for a modal's field error."""
    return truncate(PLAIN.render(msg), 2000)
