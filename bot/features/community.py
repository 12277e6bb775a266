"""Communities and roles: ``/cop setup`` binds a channel, facilitators manage facilitators."""

from __future__ import annotations

from bot.commands import Arg, Kind, Role
from bot.context import Context
from bot.errors import CommandError, UsageError
from bot.registry import command
from bot.replies import Card, Field, Reply, Visibility
from bot.settings import SETTINGS, Setting, register_setting
from bot.text import Lines, Msg

DEFAULT_TIMEZONE = "UTC"

register_setting(
    Setting(
        "member_directory",
        default="basic",
        help="community.setting_member_directory",
        choices=("names", "basic", "full"),
    )
)


def _setting_args() -> tuple[Arg, ...]:
    return tuple(SETTINGS[key].as_arg() for key in sorted(SETTINGS))


@command(
    "setup",
    help="community.help_setup",
    role=Role.ANYONE,
    args=(
        Arg("name", Kind.TEXT, help="community.arg_name", max_length=100),
        Arg("timezone", Kind.TIMEZONE),
    ),
    args_factory=_setting_args,
)
async def setup(ctx: Context) -> Reply:
    args = ctx.args
    if not args:
        if ctx.community is None:
            return ctx.reply("community.not_set_up_yet")
        return _settings_reply(ctx)
    # Validate every setting before writing anything: no half-applied setup.
    changes: dict[str, str] = {}
    for key, setting in SETTINGS.items():
        if key in args:
            try:
                changes[key] = setting.normalise(str(args[key]))
            except ValueError:
                raise UsageError(
                    "community.bad_setting",
                    field=key,
                    key=key,
                    value=str(args[key]),
                    expected=Msg(setting.help),
                ) from None
    if ctx.community is None:
        if "name" not in args:
            raise UsageError("community.name_needed", field="name")
        community = ctx.uow.communities.create(
            ctx.place, args["name"], args.get("timezone", DEFAULT_TIMEZONE), ctx.now()
        )
        ctx.uow.members.add(
            community.id, ctx.actor.user_id, ctx.actor.name, ctx.now(), facilitator=True
        )
        for key, value in changes.items():
            ctx.uow.communities.set_setting(community.id, key, value)
        ctx.community = community
        return Reply(
            Msg("community.created", {"name": community.name, "timezone": community.timezone}),
            visibility=Visibility.CHANNEL,
        )
    members = ctx.uow.members.list(ctx.c.id)
    if not any(m.is_facilitator for m in members):
        # The last facilitator left (forget-me): whoever sets up next takes the role.
        ctx.uow.members.set_facilitator(ctx.me.id, True)
    elif not ctx.me.is_facilitator:
        raise CommandError("common.facilitators_only", command="setup")
    community = ctx.uow.communities.update(
        ctx.c.id,
        name=args.get("name", ctx.c.name),
        timezone=args.get("timezone", ctx.c.timezone),
    )
    ctx.community = community
    for key, value in changes.items():
        ctx.uow.communities.set_setting(community.id, key, value)
    if changes:  # features re-plan what depends on a setting (e.g. the resource vote window)
        await ctx.core.emit("community.settings_changed", ctx, keys=tuple(sorted(changes)))
    return _settings_reply(ctx, key="community.updated")


def _settings_reply(ctx: Context, key: str = "community.settings") -> Reply:
    settings = ctx.settings
    fields = (
        Field(Msg("community.field_name"), Msg.plain(ctx.c.name)),
        Field(Msg("community.field_timezone"), Msg.plain(ctx.c.timezone)),
        *(Field(Msg.plain(k), Msg.plain(v)) for k, v in settings.items()),
    )
    card = Card(title=Msg("community.settings_title", {"name": ctx.c.name}), fields=fields)
    return ctx.reply(key, card=card, name=ctx.c.name)


@command(
    "facilitator add",
    help="community.help_facilitator_add",
    role=Role.FACILITATOR,
    args=(Arg("member", Kind.MEMBER, required=True, positional=True),),
)
async def facilitator_add(ctx: Context) -> Reply:
    target = ctx.args["member"]
    if target.is_facilitator:
        return ctx.reply("community.already_facilitator", name=target.display_name)
    ctx.uow.members.set_facilitator(target.id, True)
    return ctx.reply("community.facilitator_added", name=target.display_name)


@command(
    "facilitator remove",
    help="community.help_facilitator_remove",
    role=Role.FACILITATOR,
    args=(Arg("member", Kind.MEMBER, required=True, positional=True),),
)
async def facilitator_remove(ctx: Context) -> Reply:
    target = ctx.args["member"]
    if not target.is_facilitator:
        return ctx.reply("community.not_facilitator", name=target.display_name)
    others = [m for m in ctx.uow.members.list(ctx.c.id) if m.is_facilitator and m.id != target.id]
    if not others:
        raise CommandError("community.last_facilitator")
    ctx.uow.members.set_facilitator(target.id, False)
    return ctx.reply("community.facilitator_removed", name=target.display_name)


@command("facilitator list", help="community.help_facilitator_list")
async def facilitator_list(ctx: Context) -> Reply:
    names = [m.display_name for m in ctx.uow.members.list(ctx.c.id) if m.is_facilitator]
    lines = Lines(
        tuple(Msg("community.facilitator_line", {"name": n}) for n in names),
        empty=Msg("community.no_facilitators"),
    )
    return ctx.reply("community.facilitators", lines=lines)
