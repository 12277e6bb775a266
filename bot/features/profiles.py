"""Member profiles, the member directory and ``/cop forget-me`` (GDPR erasure)."""

from __future__ import annotations

from dataclasses import replace

from bot.commands import Arg, Kind
from bot.context import Context
from bot.ports import Member, Profile, UnitOfWork
from bot.registry import REGISTRY, command, forget
from bot.replies import Card, Field, Reply
from bot.text import Lines, Msg

SECTORS = (
    "commissioner",
    "provider",
    "investor",
    "intermediary",
    "researcher",
    "government",
    "other",
)
LEVELS = ("new", "experienced")
PROFILE_FIELDS = ("sector", "organisation", "topics", "level", "region", "timezone")
# What a member sees of others, by the community's ``member_directory`` setting.
DIRECTORY_FIELDS = {
    "names": (),
    "basic": ("sector", "organisation", "topics"),
    "full": PROFILE_FIELDS,
}


@command(
    "profile",
    help="profiles.help_profile",
    args=(
        Arg("sector", Kind.CHOICE, help="profiles.arg_sector", choices=SECTORS),
        Arg("organisation", Kind.TEXT, help="profiles.arg_organisation", max_length=200),
        Arg("topics", Kind.LIST, help="profiles.arg_topics", max_length=1000),
        Arg("level", Kind.CHOICE, help="profiles.arg_level", choices=LEVELS),
        Arg("region", Kind.TEXT, help="profiles.arg_region", max_length=100),
        Arg("timezone", Kind.TIMEZONE),
    ),
)
async def profile(ctx: Context) -> Reply:
    current = ctx.uow.profiles.get(ctx.me.id) or Profile(member_id=ctx.me.id)
    if not ctx.args:
        return ctx.reply("profiles.yours", card=profile_card(ctx.me, current, PROFILE_FIELDS))
    updated = replace(current, **{k: v for k, v in ctx.args.items() if k in PROFILE_FIELDS})
    ctx.uow.profiles.save(updated, ctx.now())
    return ctx.reply("profiles.saved", card=profile_card(ctx.me, updated, PROFILE_FIELDS))


def profile_fields(profile: Profile | None, shown: tuple[str, ...]) -> tuple[Field, ...]:
    if profile is None:
        return ()
    fields: list[Field] = []
    for name in shown:
        value = getattr(profile, name)
        if isinstance(value, tuple):
            value = ", ".join(value)
        if value:
            fields.append(Field(Msg(f"profiles.field_{name}"), Msg.plain(str(value))))
    return tuple(fields)


def profile_card(member: Member, profile: Profile | None, shown: tuple[str, ...]) -> Card:
    fields = profile_fields(profile, shown)
    return Card(
        title=Msg.plain(member.display_name),
        fields=fields,
        body=None if fields else Msg("profiles.empty_profile"),
    )


def directory_line(member: Member, profile: Profile | None, shown: tuple[str, ...]) -> Msg:
    parts: list[Msg] = []
    for name in shown:
        value = getattr(profile, name) if profile else None
        if isinstance(value, tuple):
            value = ", ".join(value)
        if value:
            parts.append(Msg(f"profiles.part_{name}", {"value": str(value)}))
    role = Msg("profiles.facilitator_badge") if member.is_facilitator else Msg("common.empty")
    return Msg(
        "profiles.directory_line",
        {"name": member.display_name, "role": role, "details": Lines(tuple(parts), sep="")},
    )


@command("members", help="profiles.help_members")
async def members(ctx: Context) -> Reply:
    facilitator = ctx.me.is_facilitator
    # A stored value this version does not know (hand-edited, renamed) shows the least.
    allowed = DIRECTORY_FIELDS.get(ctx.settings.raw("member_directory"), DIRECTORY_FIELDS["names"])
    shown = PROFILE_FIELDS if facilitator else allowed
    rows = ctx.uow.profiles.list(ctx.c.id)
    lines = tuple(directory_line(m, p, shown) for m, p in rows)
    key = "profiles.directory_facilitator" if facilitator else "profiles.directory"
    return ctx.reply(key, count=len(rows), name=ctx.c.name, lines=Lines(lines))


@forget
def _forget_profile(uow: UnitOfWork, member: Member) -> list[Msg]:
    return [Msg("profiles.forgot_profile")] if uow.profiles.delete(member.id) else []


@command("forget-me", help="profiles.help_forget_me")
async def forget_me(ctx: Context) -> Reply:
    me = ctx.me
    deleted: list[Msg] = []
    for hook in REGISTRY.forget_hooks:
        deleted.extend(hook(ctx.uow, me))
    others = [m for m in ctx.uow.members.list(ctx.c.id) if m.is_facilitator and m.id != me.id]
    ctx.uow.members.delete(me.id)
    deleted.append(Msg("profiles.forgot_membership", {"name": ctx.c.name}))
    if me.is_facilitator and not others:
        deleted.append(Msg("profiles.forgot_last_facilitator"))
    ctx.member = None
    return ctx.reply("profiles.forgotten", items=Lines(tuple(deleted)), name=ctx.c.name)
