"""The core's front door: one invocation in, one reply out, posts delivered after commit.

Parsing, community lookup, membership, roles and member resolution happen here once, so
handlers only do their feature's work. Nothing raises out of ``handle``: refusals become
private replies showing the correct usage, and unexpected errors roll the transaction back.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.commands import CommandSpec, Kind, Parsed, Registry, Role, tokenize
from bot.context import Actor, Context
from bot.errors import CommandError, UsageError
from bot.ports import Chat, Clock, Community, Member, UnitOfWork, UnitOfWorkFactory
from bot.replies import (
    ChannelPost,
    DeletePost,
    DirectMessage,
    EditPost,
    Form,
    Outgoing,
    Place,
    Reply,
)
from bot.text import Msg

log = logging.getLogger(__name__)

_MENTION_RE = re.compile(r"^<@!?([A-Za-z0-9_.-]+)(?:\|([^>]*))?>$")


@dataclass(frozen=True)
class Invocation:
    place: Place
    actor: Actor
    text: str = ""  # typed: the words after ``/cop`` (a button sends its command here too)
    command: str | None = None  # structured (form, Discord options): command name …
    raw: Mapping[str, str] = field(default_factory=dict)  # … and its raw argument strings
    via: str = "typed"
    supports_forms: bool = False
    is_dm: bool = False
    community_id: int | None = None  # a button pressed in a DM names its community


@dataclass(frozen=True)
class Outcome:
    reply: Reply
    ok: bool = True
    field: str | None = None  # the argument a refusal is about (shown beside a form field)
    spec: CommandSpec | None = None


class Core:
    def __init__(
        self, registry: Registry, uow_factory: UnitOfWorkFactory, clock: Clock, chat: Chat
    ) -> None:
        self.registry = registry
        self.uow_factory = uow_factory
        self.clock = clock
        self.chat = chat

    # ------------------------------------------------------------ entry point

    async def handle(self, inv: Invocation) -> Outcome:
        spec: CommandSpec | None = None
        try:
            bare = self._bare_form_spec(inv)
            if bare is not None:
                # A form command run with nothing typed opens its form, even when some of
                # its arguments are required (the form asks for them).
                return Outcome(Reply(Msg("common.form_opened"), form=self._form(bare)), spec=bare)
            parsed = self._parse(inv)
            spec = parsed.spec
            return await self._run(inv, parsed)
        except CommandError as err:
            spec = spec or getattr(err, "spec", None)
            return self._refusal(err, spec)
        except Exception:
            # Never log the arguments: they may be an anonymous question.
            log.exception("command %s failed", spec.name if spec else "?")
            return Outcome(Reply(Msg("common.internal_error")), ok=False, spec=spec)

    def _parse(self, inv: Invocation) -> Parsed:
        if inv.command is None:
            return self.registry.parse(inv.text)
        spec = self.registry.get(inv.command)
        if spec is None:
            raise UsageError("common.unknown_command", command=inv.command)
        try:
            parsed = self.registry.bind(spec, {k: v for k, v in inv.raw.items() if v is not None})
        except CommandError as err:
            err.spec = spec
            raise
        parsed.given = any(str(v).strip() for v in inv.raw.values())
        return parsed

    def _bare_form_spec(self, inv: Invocation) -> CommandSpec | None:
        """The spec of a form command invoked with no arguments where forms can open."""
        if not inv.supports_forms:
            return None
        if inv.command is not None:
            spec = self.registry.get(inv.command)
            given = any(str(v).strip() for v in inv.raw.values() if v is not None)
        else:
            try:
                found = self.registry.match(tokenize(inv.text))
            except CommandError:
                return None
            if found is None:
                return None
            spec, rest = found
            given = bool(rest)
        return spec if spec is not None and spec.form and not given else None

    def _form(self, spec: CommandSpec) -> Form:
        return Form(
            command=spec.name,
            title=Msg(spec.form_title or spec.help),
            fields=spec.form_fields(),
            intro=Msg(spec.form_intro) if spec.form_intro else None,
        )

    def _refusal(self, err: CommandError, spec: CommandSpec | None) -> Outcome:
        if err.show_usage and spec is not None:
            text = Msg("common.refusal_with_usage", {"error": err.msg, "usage": spec.usage()})
        elif err.show_usage:
            text = Msg("common.refusal_with_help", {"error": err.msg})
        else:
            text = err.msg
        return Outcome(Reply(text), ok=False, field=err.field, spec=spec)

    async def _run(self, inv: Invocation, parsed: Parsed) -> Outcome:
        spec = parsed.spec
        if not spec.sensitive:
            log.info("command %s in %s by %s", spec.name, inv.place.channel, inv.actor.user_id)
        with self.uow_factory() as uow:
            community = self._community(uow, inv)
            if community is None and spec.role is not Role.ANYONE:
                raise CommandError("common.not_set_up")
            member = (
                self._member(uow, community, inv.actor, write=not spec.sensitive)
                if community
                else None
            )
            if spec.role is Role.FACILITATOR and not (member and member.is_facilitator):
                raise CommandError("common.facilitators_only", command=spec.name)
            args = dict(parsed.values)
            if community is not None:
                self._resolve_members(uow, community, spec, args)
            ctx = Context(
                core=self,
                uow=uow,
                clock=self.clock,
                place=community.place if community else inv.place,
                actor=inv.actor,
                spec=spec,
                args=args,
                community=community,
                member=member,
                via=inv.via,
                is_dm=inv.is_dm,
            )
            try:
                reply = await spec.handler(ctx)
            except CommandError as err:
                err.spec = spec
                raise
            uow.commit()
        await self.deliver(ctx.outbox.items)
        return Outcome(reply, spec=spec)

    async def emit(self, event: str, scope: Any, **payload: Any) -> None:
        """Tell other features that something happened, inside the caller's transaction."""
        for listener in self.registry.listeners.get(event, []):
            await listener(scope, payload)

    async def handle_dm_text(self, place: Place, actor: Actor, text: str) -> Reply:
        """A direct message that is not a command; features may claim it (question drafts)."""
        handler = self.registry.dm_text_handler
        if handler is None:
            return Reply(Msg("common.dm_not_command"))
        try:
            return await handler(self, place, actor, text)
        except CommandError as err:
            return Reply(err.msg)
        except Exception:
            log.exception("direct message handling failed")
            return Reply(Msg("common.internal_error"))

    # ------------------------------------------------------------ lookups

    def _community(self, uow: UnitOfWork, inv: Invocation) -> Community | None:
        if inv.community_id is not None:
            found = uow.communities.by_id(inv.community_id)
            # Only honour the id for someone who belongs to that community.
            if found and uow.members.get(found.id, inv.actor.user_id) is not None:
                return found
            return None
        return uow.communities.get(inv.place)

    def _member(
        self, uow: UnitOfWork, community: Community, actor: Actor, write: bool = True
    ) -> Member | None:
        member = uow.members.get(community.id, actor.user_id)
        if not write:
            # A sensitive command (an anonymous question, an upvote) writes nothing about
            # who ran it: a member row added or renamed in the same transaction as a
            # question would link the two (its joined_at; PostgreSQL's xmin).
            return member
        if member is None:
            return uow.members.add(community.id, actor.user_id, actor.name, self.clock.now())
        if actor.name and member.display_name != actor.name and actor.name != actor.user_id:
            uow.members.rename(member.id, actor.name)
        uow.members.clear_dm_blocked(member.id)  # they are here again: try DMs afresh
        return uow.members.by_id(member.id) or member

    def _resolve_members(
        self, uow: UnitOfWork, community: Community, spec: CommandSpec, args: dict[str, Any]
    ) -> None:
        for arg in spec.arguments:
            if arg.name not in args:
                continue
            if arg.kind is Kind.MEMBER:
                args[arg.name] = self.find_member(uow, community, str(args[arg.name]), arg.name)
            elif arg.kind is Kind.MEMBERS:
                refs: Sequence[str] = args[arg.name]
                args[arg.name] = tuple(
                    self.find_member(uow, community, ref, arg.name) for ref in refs
                )

    def find_member(self, uow: UnitOfWork, community: Community, ref: str, arg: str) -> Member:
        """Resolve ``<@U1|name>``, ``<@!123>``, ``@name`` or ``name`` to a member."""
        ref = ref.strip()
        match = _MENTION_RE.match(ref)
        if match:
            user_id, name = match.group(1), match.group(2)
            found = uow.members.get(community.id, user_id)
            if found is None:
                # Mentioned but never used the bot yet: a member all the same.
                found = uow.members.add(community.id, user_id, name or user_id, self.clock.now())
            return found
        name = ref.removeprefix("@").strip()
        if not name:
            raise UsageError("common.unknown_member", field=arg, name=ref)
        candidates = uow.members.by_name(community.id, name) or (
            [m] if (m := uow.members.get(community.id, name)) else []
        )
        if not candidates:
            raise UsageError("common.unknown_member", field=arg, name=ref)
        if len(candidates) > 1:
            raise UsageError("common.ambiguous_member", field=arg, name=ref)
        return candidates[0]

    # ------------------------------------------------------------ delivery

    async def deliver(self, items: Sequence[Outgoing]) -> None:
        """Send committed posts; a closed DM is reported to facilitators once.

        A tracked ChannelPost's message reference is remembered under its key; EditPost and
        DeletePost look it up (no reference: nothing to change, so nothing is sent).
        """
        for item in items:
            if isinstance(item, DirectMessage) and self._dm_blocked(item):
                continue
            if isinstance(item, EditPost | DeletePost):
                ref = self._post_ref(item.place, item.track)
                if ref is None:
                    continue
                item = replace(item, ref=ref)
            try:
                result = await self.chat.send(item)
            except Exception:
                log.exception("delivery of a %s failed", type(item).__name__)
                continue
            if isinstance(item, DirectMessage) and not result.ok and result.reason == "dm_closed":
                await self._report_closed_dm(item)
            elif isinstance(item, ChannelPost) and item.track and result.ok and result.ref:
                self._track_post(item.place, item.track, result.ref)
            elif isinstance(item, DeletePost | EditPost) and (
                result.reason == "not_found" or (isinstance(item, DeletePost) and result.ok)
            ):
                self._track_post(item.place, item.track, None)  # gone: forget it

    def _post_ref(self, place: Place, key: str) -> str | None:
        try:
            with self.uow_factory() as uow:
                community = uow.communities.get(place)
                return uow.posts.ref(community.id, key) if community else None
        except Exception:
            log.exception("could not look up a tracked post")
            return None

    def _track_post(self, place: Place, key: str, ref: str | None) -> None:
        """Remember (or, with ``ref`` None, forget) where a tracked post went."""
        try:
            with self.uow_factory() as uow:
                community = uow.communities.get(place)
                if community is None:
                    return
                if ref is None:
                    uow.posts.forget(community.id, key)
                else:
                    uow.posts.remember(community.id, key, ref)
                uow.commit()
        except Exception:
            log.exception("could not record a tracked post")

    def _dm_blocked(self, item: DirectMessage) -> bool:
        with self.uow_factory() as uow:
            community = uow.communities.get(item.place)
            if community is None:
                return False
            member = uow.members.get(community.id, item.user_id)
            return bool(member and uow.members.dm_blocked(member.id))

    async def _report_closed_dm(self, item: DirectMessage) -> None:
        notices: list[Outgoing] = []
        with self.uow_factory() as uow:
            community = uow.communities.get(item.place)
            member = uow.members.get(community.id, item.user_id) if community else None
            if community is None or member is None:
                return
            first = uow.members.mark_dm_blocked(member.id, self.clock.now())
            uow.commit()
            if first:
                for f in uow.members.list(community.id):
                    if f.is_facilitator and f.id != member.id:
                        notices.append(
                            DirectMessage(
                                community.place,
                                f.user_id,
                                Reply(Msg("common.dm_closed", {"name": member.display_name})),
                            )
                        )
        for notice in notices:
            try:
                await self.chat.send(notice)
            except Exception:
                log.exception("could not report a closed DM")
