"""``/cop help``: generated from the registry, so it can never fall out of date."""

from __future__ import annotations

from bot.commands import Arg, Kind, Role
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
    if topic:
        chosen = [s for s in specs if s.name == topic or s.path[0] == topic.split()[0]]
        if not chosen:
            return ctx.reply("help.unknown_topic", topic=topic, lines=_overview(specs))
        lines = Lines(tuple(_line(s.name) for s in chosen))
        return ctx.reply("help.topic", topic=topic, lines=lines)
    key = "help.overview" if ctx.community else "help.overview_not_set_up"
    return ctx.reply(key, lines=_overview(specs))


def _overview(specs: list) -> Lines:  # type: ignore[type-arg]
    return Lines(tuple(_line(s.name) for s in specs))
