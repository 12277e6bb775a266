"""The ``/cop`` application-command tree, generated from the core's registry.

``/cop <group> <action>`` for two-word commands and ``/cop <command>`` for one-word ones;
a longer path folds its tail into the action (``pairing live start`` ->
``/cop pairing live-start``), since Discord nests at most two levels under a command.
A one-word command that is also a group's name keeps its exact name (``/cop ask``,
``/cop questions``): Discord cannot have a subcommand and a group of the same name, so
that group's other commands are flattened beside it (``ask withdraw`` ->
``/cop ask-withdraw``). Only if that would pass Discord's 25 entries under ``/cop`` are
the largest such groups nested again, their bare command becoming ``show`` (``new`` when
it opens a form); tests/test_discord_tree.py fails when the real registry needs that.
Options are typed from each argument's kind, with choices, required flags, length limits
and descriptions from the prompts. Nothing here names a particular command.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import discord
from discord import AppCommandOptionType, app_commands

from adapters.discord.names import CommandNames
from bot.commands import Arg, CommandSpec, Kind, Registry
from bot.prompts import PLAIN, PromptError, placeholders, template
from bot.text import Msg

ROOT = "cop"
MAX_OPTIONS = 25
MAX_CHOICES = 25
MAX_CHILDREN = 25
MAX_DESCRIPTION = 100
MAX_STRING_LENGTH = 6000
MORE = "more"
SHOW_ALIASES = ("show", "view", "info")  # a bare group command that shows something …
FORM_ALIASES = ("new", "open", "start")  # … or that opens a form (``/cop ask`` -> ask new)
NAME_RE = re.compile(r"^[-_\w]{1,32}$")

log = logging.getLogger(__name__)


class TreeError(ValueError):
    """The registry cannot be expressed as Discord application commands."""


@dataclass(frozen=True)
class OptionPlan:
    name: str  # the Discord option name (the argument's name)
    param: str  # the Python parameter carrying it
    type: AppCommandOptionType
    description: str
    required: bool
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    arg: Arg | None = None  # None for the ``more`` option


@dataclass(frozen=True)
class CommandPlan:
    spec: CommandSpec
    path: tuple[str, ...]  # below /cop: ("setup",) or ("facilitator", "add")
    description: str
    options: tuple[OptionPlan, ...]
    extra: tuple[Arg, ...] = ()  # arguments typed into the ``more`` option as key=value

    @property
    def qualified_name(self) -> str:
        return " ".join((ROOT, *self.path))


@dataclass
class TreePlan:
    commands: list[CommandPlan] = field(default_factory=list)
    flattened: frozenset[str] = frozenset()  # groups whose bare command keeps its name

    def by_path(self) -> dict[tuple[str, ...], CommandPlan]:
        return {c.path: c for c in self.commands}

    def names(self) -> CommandNames:
        """Core command names <-> Discord ones, for help and usage lines."""
        return CommandNames((c.spec.path, c.path) for c in self.commands)

    def groups(self) -> dict[str, list[CommandPlan]]:
        found: dict[str, list[CommandPlan]] = {}
        for c in self.commands:
            if len(c.path) == 2:
                found.setdefault(c.path[0], []).append(c)
        return found


# ---------------------------------------------------------------- descriptions


def describe(key: str, **data: Any) -> str:
    """A prompt as a one-line, plain description of at most 100 characters."""
    try:
        tmpl = PLAIN.markup(template(key))
    except PromptError:  # a missing prompt fails tests/test_architecture.py, not the bot
        tmpl = key
    if all(name in data for name in placeholders(tmpl)):
        text = PLAIN.render(Msg(key, data))
    else:
        text = tmpl
    text = " ".join(text.split()) or "…"
    if len(text) > MAX_DESCRIPTION:
        text = text[: MAX_DESCRIPTION - 1].rstrip() + "…"
    return text


def option_type(kind: Kind) -> AppCommandOptionType:
    if kind is Kind.INT:
        return AppCommandOptionType.integer
    if kind is Kind.MEMBER:
        return AppCommandOptionType.user
    if kind is Kind.BOOL:
        return AppCommandOptionType.boolean
    return AppCommandOptionType.string  # MEMBERS: mentions typed into one text option


def _check_name(name: str, what: str) -> str:
    if not NAME_RE.match(name) or name != name.lower():
        raise TreeError(f"{what} {name!r} is not a valid Discord name (^[-_a-z0-9]{{1,32}}$)")
    return name


def _option(arg: Arg, index: int, required: bool) -> OptionPlan:
    kind = option_type(arg.kind)
    choices = arg.choices if arg.kind is Kind.CHOICE and len(arg.choices) <= MAX_CHOICES else ()
    max_length = None
    if kind is AppCommandOptionType.string and arg.max_length:
        max_length = min(arg.max_length, MAX_STRING_LENGTH)
    return OptionPlan(
        name=_check_name(arg.name, "option"),
        param=f"p{index}",
        type=kind,
        description=describe(arg.help_key),
        required=required,
        choices=choices,
        max_length=max_length,
        arg=arg,
    )


def _options(spec: CommandSpec) -> tuple[tuple[OptionPlan, ...], tuple[Arg, ...]]:
    args = list(spec.arguments)
    # A command with a form opens it when run with no options, so none can be required.
    required = {a.name: a.required and not spec.form for a in args}
    ordered = [a for a in args if required[a.name]] + [a for a in args if not required[a.name]]
    if len(ordered) <= MAX_OPTIONS:
        return tuple(_option(a, i, required[a.name]) for i, a in enumerate(ordered)), ()
    shown, extra = ordered[: MAX_OPTIONS - 1], ordered[MAX_OPTIONS - 1 :]
    if any(required[a.name] for a in extra):
        raise TreeError(f"/cop {spec.name} has more than {MAX_OPTIONS - 1} required arguments")
    if any(a.name == MORE for a in args):
        raise TreeError(f"/cop {spec.name} needs a `{MORE}` option but has an argument so named")
    more = OptionPlan(
        name=MORE,
        param=f"p{len(shown)}",
        type=AppCommandOptionType.string,
        description=describe("discord.more_options", example=f"{extra[0].name}=…"),
        required=False,
    )
    options = (_option(a, i, required[a.name]) for i, a in enumerate(shown))
    return (*options, more), tuple(extra)


def _paths(specs: Sequence[CommandSpec], flat: set[str]) -> dict[str, tuple[str, ...]]:
    """Each command's Discord path, with the groups in ``flat`` flattened beside their bare
    command and every other group that has a bare command nested with an alias for it."""
    group_names = {s.path[0] for s in specs if len(s.path) > 1}
    paths: dict[str, tuple[str, ...]] = {}
    for spec in specs:
        head = spec.path[0]
        if len(spec.path) == 1 and (head not in group_names or head in flat):
            paths[spec.name] = spec.path
        elif len(spec.path) == 1:
            siblings = {s.path[1] for s in specs if len(s.path) > 1 and s.path[0] == head}
            aliases = FORM_ALIASES if spec.form else SHOW_ALIASES
            alias = next((a for a in aliases if a not in siblings), None)
            if alias is None:
                raise TreeError(f"/cop {spec.name}: no free action name for the bare group command")
            paths[spec.name] = (head, alias)
        elif head in flat:
            paths[spec.name] = ("-".join(spec.path),)
        else:
            paths[spec.name] = (head, "-".join(spec.path[1:]))
    return paths


def _top_level(paths: Mapping[str, tuple[str, ...]]) -> int:
    return len({p[0] for p in paths.values()})


def plan_tree(registry: Registry) -> TreePlan:
    """Where each registered command lives in the Discord tree; raises TreeError if it cannot."""
    specs = registry.specs()
    group_names = {s.path[0] for s in specs if len(s.path) > 1}
    with_bare = {s.path[0] for s in specs if len(s.path) == 1 and s.path[0] in group_names}
    flat = set(with_bare)
    paths = _paths(specs, flat)
    while _top_level(paths) > MAX_CHILDREN and flat:
        # Nest the group whose flattening costs the most entries; keep the rest exact.
        size = {g: sum(1 for s in specs if len(s.path) > 1 and s.path[0] == g) for g in flat}
        nested = max(sorted(flat), key=lambda g: size[g])
        log.warning("/cop is full: /cop %s is nested as a group again", nested)
        flat.discard(nested)
        paths = _paths(specs, flat)
    taken: dict[tuple[str, ...], str] = {}
    plan = TreePlan(flattened=frozenset(flat))
    for spec in specs:
        path = paths[spec.name]
        for part in path:
            _check_name(part, "command")
        if path in taken:
            raise TreeError(f"/cop {spec.name} and /cop {taken[path]} both map to {path}")
        taken[path] = spec.name
        options, extra = _options(spec)
        plan.commands.append(CommandPlan(spec, path, describe(spec.help), options, extra))
    leaves = {c.path[0] for c in plan.commands if len(c.path) == 1}
    clash = leaves & set(plan.groups())
    if clash:
        raise TreeError(f"/cop {min(clash)} would be both a command and a group")
    top = {c.path[0] for c in plan.commands}
    if len(top) > MAX_CHILDREN:
        raise TreeError(f"/cop would have {len(top)} subcommands; Discord allows {MAX_CHILDREN}")
    for group, members in plan.groups().items():
        if len(members) > MAX_CHILDREN:
            raise TreeError(
                f"/cop {group} has {len(members)} actions; Discord allows {MAX_CHILDREN}"
            )
    return plan


# ---------------------------------------------------------------- building

CommandHandler = Callable[[discord.Interaction[Any], CommandPlan, dict[str, Any]], Awaitable[None]]

_PY_TYPES: dict[AppCommandOptionType, Any] = {
    AppCommandOptionType.string: str,
    AppCommandOptionType.integer: int,
    AppCommandOptionType.boolean: bool,
    AppCommandOptionType.user: discord.User,
}


def _callback(plan: CommandPlan, handler: CommandHandler) -> Callable[..., Awaitable[None]]:
    """A coroutine whose synthetic signature tells discord.py the options' types."""
    names = {o.param: o.name for o in plan.options}

    async def callback(interaction: discord.Interaction[Any], **kwargs: Any) -> None:
        values = {names[p]: v for p, v in kwargs.items() if v is not None}
        await handler(interaction, plan, values)

    params = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    choices: dict[str, list[app_commands.Choice[str]]] = {}
    for o in plan.options:
        annotation: Any = _PY_TYPES[o.type]
        if o.max_length is not None:
            annotation = app_commands.Range[str, 1, o.max_length]
        if o.choices:
            choices[o.param] = [app_commands.Choice(name=c, value=c) for c in o.choices]
        if not o.required:
            annotation = annotation | None
        params.append(
            inspect.Parameter(
                o.param,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=annotation,
                default=inspect.Parameter.empty if o.required else None,
            )
        )
    cb: Any = callback
    cb.__signature__ = inspect.Signature(params)
    cb.__discord_app_commands_param_description__ = {o.param: o.description for o in plan.options}
    cb.__discord_app_commands_param_rename__ = dict(names)
    if choices:
        cb.__discord_app_commands_param_choices__ = choices
    cb.__name__ = cb.__qualname__ = "cop_" + "_".join(plan.path).replace("-", "_")
    return callback


def build_root(
    plan: TreePlan, handler: CommandHandler, guild_ids: Sequence[int] | None = None
) -> app_commands.Group:
    """The ``/cop`` command with every registered command below it."""
    root = app_commands.Group(
        name=ROOT,
        description=describe("discord.root_description"),
        guild_ids=list(guild_ids) if guild_ids else None,
    )
    groups: dict[str, app_commands.Group] = {}
    members = plan.groups()
    for c in plan.commands:
        parent = root
        if len(c.path) == 2:
            parent = groups.get(c.path[0]) or groups.setdefault(
                c.path[0],
                app_commands.Group(
                    name=c.path[0],
                    description=describe(
                        "discord.group_description",
                        group=c.path[0],
                        actions=", ".join(m.path[1] for m in members[c.path[0]]),
                    ),
                    parent=root,
                ),
            )
        parent.add_command(
            app_commands.Command(
                name=c.path[-1],
                description=c.description,
                callback=_callback(c, handler),  # type: ignore[arg-type]
            )
        )
    return root
