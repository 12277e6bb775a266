"""Replies as Discord messages: escaped markdown, native timestamps, embeds and buttons.

The neutral template markup (``**bold**``, ``_italic_``, `` `code` ``) is Discord's own, so
templates pass through unchanged; every piece of user text is escaped afterwards so it can
never become markup, a masked link, a mention or a timestamp. Inside a template's code span
a value is shown verbatim (only backticks are replaced), since Discord does not read
escapes there.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import discord

from adapters.discord.components import CopButton, CopModal, button_style, form_id
from adapters.discord.names import CommandNames
from bot.buttons import button_id
from bot.prompts import PromptError, Renderer, placeholders, pluralize, template
from bot.replies import Attachment, Button, Card, Form, FormField, Place, Reply
from bot.text import Link, Mention, Moment, Msg

log = logging.getLogger(__name__)

MAX_CONTENT = 2000
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_EMBED_TOTAL = 6000
MAX_BUTTONS = 25
BUTTONS_PER_ROW = 5
MAX_BUTTON_LABEL = 80
MAX_CUSTOM_ID = 100
MAX_FILES = 10
MAX_MODAL_TITLE = 45
MAX_MODAL_ITEMS = 5
MAX_LABEL = 45
MAX_LABEL_DESCRIPTION = 100
MAX_PLACEHOLDER = 100
MAX_INPUT_LENGTH = 4000
MAX_TEXT_DISPLAY = 4000
MAX_ALLOWED_USERS = 100
EMPTY = "\u200b"  # Discord refuses empty embed field names and values

# Bare web addresses stay as they are (Discord links them visibly); brackets and
# parentheses are never part of one, so they are always escaped around it.
_URL_RE = re.compile(r"https?://[^\s<>\[\]()`|\\]+", re.IGNORECASE)
# A backslash before any ASCII punctuation is removed by Discord's markdown, so
# over-escaping is invisible; these characters can start markup, links or tokens.
_SPECIAL_RE = re.compile(r"([\\*_~|`>\[\]<#])")
_LINE_START_RE = re.compile(r"^(\s*)([-+]|\d+\.)(?=\s)", re.MULTILINE)
_CODE_SPAN_RE = re.compile(r"`[^`]*`")
_COMMAND_PLACEHOLDER_RE = re.compile(r"/cop \{(\w+)\}")
_TIMESTAMP_STYLES = {"full": "F", "date": "D", "time": "t"}


def escape_text(text: str) -> str:
    """User text as inert Discord markdown: no markup, masked links, mentions or tokens."""
    parts: list[str] = []
    last = 0
    for match in _URL_RE.finditer(text):
        parts.append(_escape_plain(text[last : match.start()]))
        parts.append(match.group(0))
        last = match.end()
    parts.append(_escape_plain(text[last:]))
    return discord.utils.escape_mentions("".join(parts))


def _escape_plain(text: str) -> str:
    text = _SPECIAL_RE.sub(r"\\\1", text)
    return _LINE_START_RE.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def code_safe(text: str) -> str:
    """A value shown inside a code span: literal, except that it cannot close the span."""
    return text.replace("`", "ˋ").replace("\n", " ")


def clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if cut.endswith("\\"):
        cut = cut[:-1]
    return cut + "…"


def split_content(text: str, limit: int = MAX_CONTENT) -> list[str]:
    """Split a long message at line breaks (or, for one huge line, anywhere)."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = limit - 1 if line[limit - 1] == "\\" else limit
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        chunks.append(current)
    return [c for c in chunks if c.strip()]


class DiscordRenderer(Renderer):
    """``names`` rewrites the core's command names in templates and usage lines into the
    ``/cop`` tree's (``/cop ask withdraw`` -> ``/cop ask-withdraw``); none: left as typed."""

    def __init__(self, names: CommandNames | None = None) -> None:
        self.names = names or CommandNames()

    def escape(self, text: str) -> str:
        return escape_text(text)

    def markup(self, tmpl: str) -> str:
        return self.names.discord(tmpl)  # the neutral markup is Discord markdown already

    def moment(self, value: Moment) -> str:
        style = _TIMESTAMP_STYLES.get(value.style, "F")
        return f"<t:{int(value.at.timestamp())}:{style}>"

    def mention(self, value: Mention) -> str:
        if value.user_id.isdigit():
            return f"<@{value.user_id}>"
        return "@" + self.escape(value.name)

    def link(self, value: Link) -> str:
        parts = urlsplit(value.url)
        label = self.escape(value.label)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return label
        safe_url = quote(value.url, safe=":/?#[]@!$&'()*+,;=%~")
        return f"[{label}](<{safe_url}>)"

    def render(self, msg: Msg) -> str:
        tmpl = self.markup(pluralize(template(msg.key), msg.data))
        in_code = {n for span in _CODE_SPAN_RE.findall(tmpl) for n in placeholders(span)}
        outside = set(placeholders(_CODE_SPAN_RE.sub("", tmpl)))
        commands = set(_COMMAND_PLACEHOLDER_RE.findall(tmpl))
        data: dict[str, str] = {}
        for name in placeholders(tmpl):
            if name not in msg.data:
                continue
            value = msg.data[name]
            if isinstance(value, str) and name in commands:  # `/cop {command}`
                value = self.names.discord_command(value)
            elif isinstance(value, str) and name in in_code:  # `{usage}`: /cop ask withdraw …
                value = self.names.discord(value)
            if name in in_code and name not in outside and isinstance(value, (str, int)):
                data[name] = code_safe(str(value))
            else:
                data[name] = self.value(value)
        missing = [name for name in placeholders(tmpl) if name not in data]
        if missing:
            raise PromptError(f"prompt {msg.key!r} is missing data for {missing}")
        return tmpl.format_map(data)

    # ------------------------------------------------------------ cards and buttons

    def embed(self, card: Card) -> discord.Embed:
        url = card.url if card.url and urlsplit(card.url).scheme in ("http", "https") else None
        embed = discord.Embed(
            title=clip(self.render(card.title), MAX_TITLE) or None,
            description=clip(self.render(card.body), MAX_DESCRIPTION) if card.body else None,
            url=url,
        )
        if len(card.fields) > MAX_FIELDS:
            log.warning("card has %d fields; Discord shows %d", len(card.fields), MAX_FIELDS)
        for f in card.fields[:MAX_FIELDS]:
            embed.add_field(
                name=clip(self.render(f.label), MAX_FIELD_NAME) or EMPTY,
                value=clip(self.render(f.value), MAX_FIELD_VALUE) or EMPTY,
                inline=f.inline,
            )
        if card.footer is not None:
            embed.set_footer(text=clip(self.render(card.footer), MAX_FOOTER))
        while len(embed) > MAX_EMBED_TOTAL and embed.fields:
            embed.remove_field(len(embed.fields) - 1)
        if len(embed) > MAX_EMBED_TOTAL and embed.description:
            over = len(embed) - MAX_EMBED_TOTAL
            embed.description = clip(embed.description, max(1, len(embed.description) - over))
        return embed

    def view(self, buttons: Sequence[Button], about: Place | None = None) -> discord.ui.View | None:
        """Persistent buttons (no timeout) whose ids are their typed commands."""
        if not buttons:
            return None
        view = discord.ui.View(timeout=None)
        if len(buttons) > MAX_BUTTONS:
            log.error("a card has %d buttons; Discord allows %d", len(buttons), MAX_BUTTONS)
        for index, b in enumerate(buttons[:MAX_BUTTONS]):
            custom_id = button_id(b.command, about)
            if len(custom_id) > MAX_CUSTOM_ID:
                log.error(
                    "button id longer than %d characters dropped: %s", MAX_CUSTOM_ID, b.command
                )
                continue
            label = clip(PLAIN_TEXT.render(b.label), MAX_BUTTON_LABEL) or "…"
            view.add_item(
                CopButton(custom_id, label, button_style(b.style), row=index // BUTTONS_PER_ROW)
            )
        return view if view.children else None

    def modal(self, form: Form, about: Place | None = None) -> CopModal:
        """A form as a Discord modal; raises ValueError when Discord could not show it."""
        custom_id = form_id(form, about)
        if len(custom_id) > MAX_CUSTOM_ID:
            raise ValueError(f"form id longer than {MAX_CUSTOM_ID} characters: {form.command}")
        if len(form.fields) > MAX_MODAL_ITEMS:
            raise ValueError(f"form {form.command} has more than {MAX_MODAL_ITEMS} fields")
        title = clip(PLAIN_TEXT.render(form.title), MAX_MODAL_TITLE) or "…"
        modal = CopModal(title=title, custom_id=custom_id, timeout=None)
        if form.intro is not None and len(form.fields) < MAX_MODAL_ITEMS:
            intro = clip(self.render(form.intro), MAX_TEXT_DISPLAY)
            modal.add_item(discord.ui.TextDisplay(intro))
        for f in form.fields:
            text = field_label(f)
            full = PLAIN_TEXT.render(f.label)
            description = clip(full, MAX_LABEL_DESCRIPTION) if full != text else None
            max_length = None
            if f.max_length:
                max_length = max(1, min(f.max_length, MAX_INPUT_LENGTH))
            placeholder = None
            if f.placeholder is not None:
                placeholder = clip(PLAIN_TEXT.render(f.placeholder), MAX_PLACEHOLDER)
            text_input: discord.ui.TextInput[CopModal] = discord.ui.TextInput(
                custom_id=f.name,
                style=discord.TextStyle.paragraph if f.multiline else discord.TextStyle.short,
                required=f.required,
                max_length=max_length,
                placeholder=placeholder,
            )
            modal.add_item(
                discord.ui.Label(text=text, description=description, component=text_input)
            )
        return modal

    # ------------------------------------------------------------ whole messages

    def messages(
        self, reply: Reply, about: Place | None = None, buttons: Sequence[Button] = ()
    ) -> list[Outbound]:
        """One reply as the Discord messages that carry it (long text is split)."""
        text = self.render(reply.text) if reply.text else ""
        chunks = split_content(text)
        out = [Outbound(content=c) for c in chunks] or [Outbound()]
        last = out[-1]
        if reply.card is not None:
            last.embed = self.embed(reply.card)
        last.view = self.view((*(reply.card.buttons if reply.card else ()), *buttons), about)
        files = list(reply.attachments)
        last.attachments = files[:MAX_FILES]
        for start in range(MAX_FILES, len(files), MAX_FILES):
            out.append(Outbound(attachments=files[start : start + MAX_FILES]))
        return [m for m in out if not m.empty]


@dataclass
class Outbound:
    """One Discord message's parts; ``send_kwargs`` makes fresh files for every send."""

    content: str | None = None
    embed: discord.Embed | None = None
    view: discord.ui.View | None = None
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.content or self.embed or self.view or self.attachments)

    def send_kwargs(self, allowed_mentions: discord.AllowedMentions) -> dict[str, object]:
        kwargs: dict[str, object] = {"allowed_mentions": allowed_mentions}
        if self.content:
            kwargs["content"] = self.content
        if self.embed is not None:
            kwargs["embed"] = self.embed
        if self.view is not None:
            kwargs["view"] = self.view
        if self.attachments:
            kwargs["files"] = [
                discord.File(io.BytesIO(a.content), filename=a.filename) for a in self.attachments
            ]
        return kwargs


def field_label(f: FormField) -> str:
    """A form field's label as Discord can show it (45 characters at most)."""
    label = PLAIN_TEXT.render(f.label)
    if len(label) <= MAX_LABEL:
        return label
    return clip(f.name.replace("_", " ").capitalize(), MAX_LABEL)


class PlainText(Renderer):
    """Where Discord shows no markdown (button labels, modal titles, thread names)."""


PLAIN_TEXT = PlainText()
RENDERER = DiscordRenderer()


def allowed(user_ids: Sequence[str] = ()) -> discord.AllowedMentions:
    """No @everyone, no roles, no replies; only the users the bot means to ping (at most
    100, Discord's limit: it refuses the whole message otherwise)."""
    users = [discord.Object(int(u)) for u in dict.fromkeys(user_ids) if u.isdigit()]
    if len(users) > MAX_ALLOWED_USERS:
        log.warning("%d members to ping; Discord allows %d", len(users), MAX_ALLOWED_USERS)
        users = users[:MAX_ALLOWED_USERS]
    if not users:
        return discord.AllowedMentions.none()
    return discord.AllowedMentions(everyone=False, roles=False, users=users, replied_user=False)
