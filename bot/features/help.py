"""``/cop help``: generated from the registry, so it can never fall out of date."""

from __future__ import annotations

from bot.commands import Arg, CommandSpec, Kind, Role
from bot.context import Context
from bot.registry import REGISTRY, command
from bot.replies import Reply
from bot.text import Lines, Msg


def _line(spec_name: str) -> Msg:
    spec = REGISTRY.get(spec_name)
    assert spec is not None
    return Msg("help.line", {"usage": spec.usage(), "help": Msg(spec.help)})


@command(
    "help",
    help="help.help_help",
    role=Role.ANYONE,
    args=(Arg("topic", Kind.TEXT, positional=True, rest=True, help="help.arg_topic"),),
)
async def help_(ctx: Context) -> Reply:
    topic = str(ctx.args.get("topic", "")).strip().lower().removeprefix("/cop").strip()
    specs = REGISTRY.specs()
    if topic == "all":
        return ctx.reply("help.everything", lines=Lines(tuple(_line(s.name) for s in specs)))
    if topic:
        chosen = [s for s in specs if s.name == topic or s.path[0] == topic.split()[0]]
        if not chosen:
            return ctx.reply("help.unknown_topic", topic=topic, lines=_overview(specs))
        lines = Lines(tuple(_line(s.name) for s in chosen))
        return ctx.reply("help.topic", topic=topic, lines=lines)
    key = "help.overview" if ctx.community else "help.overview_not_set_up"
    return ctx.reply(key, lines=_overview(specs))


def _overview(specs: list[CommandSpec]) -> Lines:
    """One line per single command, one per group naming its actions: short enough to read."""
    groups: dict[str, list[CommandSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.path[0], []).append(spec)
    lines: list[Msg] = []
    for name, members in groups.items():
        if len(members) == 1 and len(members[0].path) == 1:
            lines.append(Msg("help.command_line", {"name": name, "help": Msg(members[0].help)}))
            continue
        bare = next((s for s in members if len(s.path) == 1), None)
        if bare is None:
            actions = " · ".join(" ".join(s.path[1:]) for s in members)
            lines.append(Msg("help.group_line", {"name": name, "actions": actions}))
            continue
        # Spelled out in full: on Discord these siblings have names of their own.
        others = tuple(Msg.of("help.command_ref", command=s.name) for s in members if s is not bare)
        lines.append(
            Msg.of(
                "help.group_line_with_command",
                name=name,
                help=Msg(bare.help),
                commands=Lines(others, sep=" · "),
            )
        )
    return Lines(tuple(lines))
