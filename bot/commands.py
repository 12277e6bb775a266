"""The command registry: specs drive parsing, help, and both platform adapters.

``/cop <group> <action> [positional ...] [key=value ...]``; double quotes (straight or
curly) for values with spaces. A spec names its arguments with types; adapters read the
registry (Slack parses the typed text, Discord builds application-command options from the
same specs), so no adapter hard-codes a command.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, available_timezones

from bot.errors import UsageError
from bot.replies import FormField
from bot.text import Msg

if TYPE_CHECKING:
    from bot.context import Actor, Context
    from bot.core import Core
    from bot.ports import Community, Member, UnitOfWork
    from bot.replies import Place, Reply
    from bot.scheduler import JobContext

Handler = Callable[["Context"], Awaitable["Reply"]]
JobHandler = Callable[["JobContext"], Awaitable[None]]
# Deletes one member's data for a feature; returns prompt keys naming what went.
ForgetHook = Callable[["UnitOfWork", "Member"], list[Msg]]
# Event listeners get the emitting scope (a command Context or a JobContext).
EventHandler = Callable[["Context | JobContext", Mapping[str, Any]], Awaitable[None]]
# (uow, community, meeting id) -> agenda lines for that meeting (resource, top questions).
AgendaSlot = Callable[["UnitOfWork", "Community", int], list[Msg]]
# A direct message to the bot that is not a command (anonymous question drafts):
# (core, the DM's place, the writer, the text) -> the reply shown in the DM.
DmTextHandler = Callable[["Core", "Place", "Actor", str], Awaitable["Reply"]]


class Kind(StrEnum):
    TEXT = "text"
    INT = "int"
    CHOICE = "choice"
    BOOL = "bool"
    DURATION = "duration"  # 90m, 2h, 14d, 2w
    DATE = "date"  # ISO date
    TIME = "time"  # HH:MM
    WHEN = "when"  # free date-time phrase, read by the feature in the community's timezone
    MEMBER = "member"  # @name or a platform mention; resolved by the dispatcher
    MEMBERS = "members"  # one or more members (takes the remaining positionals)
    URL = "url"
    TIMEZONE = "timezone"
    LIST = "list"  # comma-separated values


class Role(StrEnum):
    ANYONE = "anyone"  # also works in a channel that is not yet a community
    MEMBER = "member"
    FACILITATOR = "facilitator"


@dataclass(frozen=True)
class Arg:
    name: str
    kind: Kind = Kind.TEXT
    help: str = ""  # prompt key; empty means the kind's generic description
    required: bool = False
    positional: bool = False
    rest: bool = False  # a positional text that swallows the remaining words
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    multiline: bool = False  # shown as a paragraph field in forms

    @property
    def help_key(self) -> str:
        return self.help or f"common.arg_{self.kind.value}"


@dataclass(frozen=True)
class CommandSpec:
    path: tuple[str, ...]
    handler: Handler
    help: str  # prompt key of the one-line description
    args: tuple[Arg, ...] = ()
    role: Role = Role.MEMBER
    private: bool = True  # whether the reply is private to the one who ran it
    form: tuple[str, ...] = ()  # argument names a form asks for when run with no arguments
    form_title: str = ""  # prompt key
    form_intro: str = ""  # prompt key
    sensitive: bool = False  # never log this command's arguments (anonymous questions)
    args_factory: Callable[[], tuple[Arg, ...]] | None = None  # for args known only at run time

    @property
    def name(self) -> str:
        return " ".join(self.path)

    @property
    def arguments(self) -> tuple[Arg, ...]:
        return self.args + (self.args_factory() if self.args_factory else ())

    def arg(self, name: str) -> Arg | None:
        return next((a for a in self.arguments if a.name == name), None)

    def usage(self) -> str:
        parts = ["/cop", self.name]
        for a in self.arguments:
            if a.positional:
                shown = a.name.upper() if not a.choices else "|".join(a.choices)
                if a.kind is Kind.MEMBERS:
                    shown = "@name ..."
                elif a.kind is Kind.MEMBER:
                    shown = "@name"
                elif a.rest:
                    shown = f'"{a.name}"'
                parts.append(shown if a.required else f"[{shown}]")
            else:
                shown = f"{a.name}=" + ("|".join(a.choices) if a.choices else a.kind.value)
                parts.append(shown if a.required else f"[{shown}]")
        return " ".join(parts)

    def form_fields(self) -> tuple[FormField, ...]:
        fields = []
        for name in self.form:
            a = self.arg(name)
            if a is None:
                raise ValueError(f"{self.name}: form names unknown argument {name}")
            fields.append(
                FormField(
                    name=a.name,
                    label=Msg(a.help_key),
                    multiline=a.multiline,
                    required=a.required,
                    max_length=a.max_length,
                )
            )
        return tuple(fields)


# ---------------------------------------------------------------- tokenising

_QUOTES = {'"': '"', "“": "”", "”": "”", "„": "“"}


@dataclass(frozen=True)
class Token:
    text: str
    quoted: bool = False
    key: str | None = None  # set for key=value tokens


def tokenize(line: str) -> list[Token]:
    """Split on whitespace; double quotes group words. Raises UsageError on a lone quote."""
    tokens: list[Token] = []
    i, n = 0, len(line)
    while i < n:
        if line[i].isspace():
            i += 1
            continue
        buf: list[str] = []
        quoted = False
        key: str | None = None
        while i < n and not line[i].isspace():
            ch = line[i]
            if ch in _QUOTES:
                close = _QUOTES[ch]
                end = _find_close(line, i + 1, close)
                if end < 0:
                    raise UsageError("common.unclosed_quote")
                if key is None and buf and buf[-1] == "=" and _is_key("".join(buf[:-1])):
                    key = "".join(buf[:-1])
                    buf = []
                buf.append(line[i + 1 : end])
                quoted = True
                i = end + 1
            else:
                buf.append(ch)
                i += 1
        text = "".join(buf)
        if key is None and not quoted and "=" in text:
            k, _, v = text.partition("=")
            if _is_key(k):
                key, text = k, v
        tokens.append(Token(text=text, quoted=quoted, key=key.lower() if key else None))
    return tokens


def _find_close(line: str, start: int, close: str) -> int:
    for j in range(start, len(line)):
        if (
            line[j] == close
            or (close == "”" and line[j] == '"')
            or (close == '"' and line[j] == "”")
        ):
            return j
    return -1


_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def _is_key(text: str) -> bool:
    return bool(_KEY_RE.match(text))


# ---------------------------------------------------------------- value conversion

_DURATION_RE = re.compile(r"^\s*(\d+)\s*(m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)\s*$", re.I)
_MEMBER_REFS_RE = re.compile(r"<@[^>]*>|[^\s,]+")
_TRUE = {"yes", "y", "on", "true", "1"}
_FALSE = {"no", "n", "off", "false", "0"}


def parse_duration(text: str) -> timedelta:
    m = _DURATION_RE.match(text)
    if not m:
        raise ValueError(text)
    amount, unit = int(m.group(1)), m.group(2).lower()[0]
    minutes = amount * {"m": 1, "h": 60, "d": 1440, "w": 10080}[unit]
    try:
        return timedelta(minutes=minutes)
    except OverflowError:
        raise ValueError(text) from None  # "99999999999w": not a duration anyone means


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds // 60}m"


def parse_time(text: str) -> time:
    m = re.match(r"^\s*(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\s*$", text, re.I)
    if not m:
        raise ValueError(text)
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if m.group(3):
        if not 1 <= hour <= 12:
            raise ValueError(text)
        hour = hour % 12 + (12 if m.group(3).lower() == "pm" else 0)
    return time(hour, minute)


_TIMEZONES: frozenset[str] = frozenset()


def valid_timezone(name: str) -> str:
    """Return the canonical IANA name, case-insensitively matched; ValueError otherwise."""
    global _TIMEZONES
    if not _TIMEZONES:
        _TIMEZONES = frozenset(available_timezones())
    if name in _TIMEZONES:
        return name
    for known in _TIMEZONES:
        if known.lower() == name.lower():
            return known
    raise ValueError(name)


def convert(arg: Arg, raw: str) -> Any:
    """Turn one raw string into the argument's typed value, or raise UsageError."""
    text = raw.strip()
    if arg.max_length is not None and len(text) > arg.max_length:
        raise UsageError("common.too_long", field=arg.name, arg=arg.name, limit=arg.max_length)
    try:
        match arg.kind:
            case Kind.TEXT | Kind.WHEN | Kind.MEMBER:
                if not text:
                    raise ValueError(raw)
                return text
            case Kind.INT:
                return int(text.lstrip("#Qq") if text[:1] in "#Qq" else text)
            case Kind.CHOICE:
                lowered = text.lower()
                if lowered not in arg.choices:
                    raise UsageError(
                        "common.bad_choice",
                        field=arg.name,
                        arg=arg.name,
                        value=raw,
                        choices=", ".join(arg.choices),
                    )
                return lowered
            case Kind.BOOL:
                if text.lower() in _TRUE:
                    return True
                if text.lower() in _FALSE:
                    return False
                raise ValueError(raw)
            case Kind.DURATION:
                return parse_duration(text)
            case Kind.DATE:
                return date.fromisoformat(text)
            case Kind.TIME:
                return parse_time(text)
            case Kind.URL:
                parts = urlsplit(text)
                if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
                    raise ValueError(raw)
                return text
            case Kind.TIMEZONE:
                canonical = valid_timezone(text)
                ZoneInfo(canonical)
                return canonical
            case Kind.LIST:
                return tuple(item.strip() for item in text.split(",") if item.strip())
            case Kind.MEMBERS:
                # Several mentions or names in one value (a form or Discord text option).
                refs = tuple(_MEMBER_REFS_RE.findall(text))
                if not refs:
                    raise ValueError(raw)
                return refs
    except UsageError:
        raise
    except (ValueError, KeyError, OverflowError):
        pass
    raise UsageError(
        "common.bad_value", field=arg.name, arg=arg.name, value=raw, expected=Msg(arg.help_key)
    )


# ---------------------------------------------------------------- registry


@dataclass
class Parsed:
    spec: CommandSpec
    values: dict[str, Any] = field(default_factory=dict)
    given: bool = False  # whether any argument was typed at all


class Registry:
    """Commands, scheduled-job kinds and hooks that the features register."""

    def __init__(self) -> None:
        self._specs: dict[tuple[str, ...], CommandSpec] = {}
        self.jobs: dict[str, JobHandler] = {}
        self.forget_hooks: list[ForgetHook] = []
        self.dm_text_handler: DmTextHandler | None = None
        self.listeners: dict[str, list[EventHandler]] = {}
        self.agenda_slots: dict[str, AgendaSlot] = {}

    def on(self, event: str) -> Callable[[EventHandler], EventHandler]:
        """Decorator: run inside the emitting transaction when ``event`` happens.

        Events: ``meeting.scheduled``, ``meeting.moved``, ``meeting.cancelled``,
        ``meeting.host_confirmed``, ``meeting.notes`` (payload ``meeting_id``, plus
        ``member_id`` for host_confirmed and ``notes``, the summary text, for notes).
        """

        def register(handler: EventHandler) -> EventHandler:
            self.listeners.setdefault(event, []).append(handler)
            return handler

        return register

    def agenda_slot(self, name: str) -> Callable[[AgendaSlot], AgendaSlot]:
        """Decorator: a feature's part of a meeting's agenda (and of its reminders)."""

        def register(provider: AgendaSlot) -> AgendaSlot:
            self.agenda_slots[name] = provider
            return provider

        return register

    def job(self, kind: str) -> Callable[[JobHandler], JobHandler]:
        """Decorator registering the handler of one kind of due work."""

        def register(handler: JobHandler) -> JobHandler:
            if kind in self.jobs:
                raise ValueError(f"job kind {kind!r} registered twice")
            self.jobs[kind] = handler
            return handler

        return register

    def forget(self, hook: ForgetHook) -> ForgetHook:
        """Decorator: a feature's part of ``/cop forget-me`` (returns what it deleted)."""
        self.forget_hooks.append(hook)
        return hook

    def add(self, spec: CommandSpec) -> CommandSpec:
        if spec.path in self._specs:
            raise ValueError(f"command {spec.name!r} registered twice")
        self._specs[spec.path] = spec
        return spec

    def command(
        self,
        name: str,
        *,
        help: str,
        args: Sequence[Arg] = (),
        role: Role = Role.MEMBER,
        private: bool = True,
        form: Sequence[str] = (),
        form_title: str = "",
        form_intro: str = "",
        sensitive: bool = False,
        args_factory: Callable[[], tuple[Arg, ...]] | None = None,
    ) -> Callable[[Handler], Handler]:
        """Decorator registering a handler under ``name`` (e.g. ``"meeting schedule"``)."""

        def register(handler: Handler) -> Handler:
            self.add(
                CommandSpec(
                    path=tuple(name.split()),
                    handler=handler,
                    help=help,
                    args=tuple(args),
                    role=role,
                    private=private,
                    form=tuple(form),
                    form_title=form_title,
                    form_intro=form_intro,
                    sensitive=sensitive,
                    args_factory=args_factory,
                )
            )
            return handler

        return register

    def specs(self) -> list[CommandSpec]:
        return sorted(self._specs.values(), key=lambda s: s.path)

    def get(self, name: str) -> CommandSpec | None:
        return self._specs.get(tuple(name.split()))

    def groups(self) -> dict[str, list[CommandSpec]]:
        grouped: dict[str, list[CommandSpec]] = {}
        for spec in self.specs():
            grouped.setdefault(spec.path[0], []).append(spec)
        return grouped

    def match(self, tokens: Sequence[Token]) -> tuple[CommandSpec, list[Token]] | None:
        """The longest registered path made of the leading unquoted words."""
        words: list[str] = []
        for tok in tokens:
            if tok.quoted or tok.key is not None:
                break
            words.append(tok.text.lower())
        for length in range(len(words), 0, -1):
            spec = self._specs.get(tuple(words[:length]))
            if spec is not None:
                return spec, list(tokens[length:])
        return None

    def parse(self, line: str) -> Parsed:
        """Parse the text after ``/cop``; raises UsageError (never anything else)."""
        tokens = tokenize(line)
        if not tokens:
            help_spec = self.get("help")
            if help_spec is None:
                raise UsageError("common.unknown_command", command="")
            return Parsed(help_spec)
        found = self.match(tokens)
        if found is None:
            raise UsageError("common.unknown_command", command=" ".join(t.text for t in tokens[:2]))
        spec, rest = found
        raw: dict[str, str] = {}
        positional: list[str] = []
        for tok in rest:
            if tok.key is not None and spec.arg(tok.key.replace("-", "_")) is not None:
                key = tok.key.replace("-", "_")
                if key in raw:
                    err = UsageError("common.repeated_arg", field=key, arg=key)
                    err.spec = spec
                    raise err
                raw[key] = tok.text
            elif tok.key is not None:
                err = UsageError("common.unknown_arg", arg=tok.key)
                err.spec = spec
                raise err
            else:
                positional.append(tok.text)
        try:
            parsed = self.bind(spec, raw, positional)
        except UsageError as err:
            err.spec = spec
            raise
        parsed.given = bool(rest)
        return parsed

    def bind(
        self, spec: CommandSpec, raw: dict[str, str], positional: Sequence[str] = ()
    ) -> Parsed:
        """Check and convert raw strings (typed, from a form, or from Discord options)."""
        values: dict[str, Any] = {}
        queue = list(positional)
        for a in spec.arguments:
            if not a.positional or a.name in raw or not queue:
                continue
            if a.kind is Kind.MEMBERS:
                values[a.name] = tuple(queue)
                queue.clear()
            elif a.rest:
                raw[a.name] = " ".join(queue)
                queue.clear()
            else:
                raw[a.name] = queue.pop(0)
        if queue:
            raise UsageError("common.extra_words", words=" ".join(queue))
        for a in spec.arguments:
            if a.name in values:
                continue
            if a.name in raw and raw[a.name].strip():
                converted = convert(a, raw[a.name])
                values[a.name] = converted
            elif a.required:
                raise UsageError("common.missing_arg", field=a.name, arg=a.name)
        return Parsed(spec, values, given=bool(raw or values))
