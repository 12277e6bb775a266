"""What a handler receives: the parsed arguments and everything it may touch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.errors import CommandError, NotAllowed
from bot.ports import Clock, Community, Member, UnitOfWork
from bot.replies import Card, Outbox, Place, Reply, Visibility
from bot.settings import Settings
from bot.text import Msg, Value

if TYPE_CHECKING:
    from bot.commands import CommandSpec
    from bot.core import Core


@dataclass(frozen=True)
class Actor:
    user_id: str
    name: str


@dataclass
class Context:
    core: Core
    uow: UnitOfWork
    clock: Clock
    place: Place
    actor: Actor
    spec: CommandSpec
    args: dict[str, Any]
    community: Community | None = None
    member: Member | None = None
    via: str = "typed"  # "typed", "button" or "form"
    is_dm: bool = False
    outbox: Outbox = field(default_factory=Outbox)

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def c(self) -> Community:
        """The community; commands with role MEMBER or above always have one."""
        if self.community is None:
            raise CommandError("common.not_set_up")
        return self.community

    @property
    def me(self) -> Member:
        if self.member is None:
            raise CommandError("common.not_set_up")
        return self.member

    @property
    def settings(self) -> Settings:
        return Settings(self.uow.communities.settings(self.c.id))

    def require_facilitator(self) -> None:
        if not self.me.is_facilitator:
            raise NotAllowed("common.facilitators_only", command=self.spec.name)

    def reply(
        self,
        key: str,
        card: Card | None = None,
        visibility: Visibility | None = None,
        **data: Value,
    ) -> Reply:
        """A reply whose privacy defaults to what the command's spec declares."""
        if visibility is None:
            visibility = Visibility.PRIVATE if self.spec.private else Visibility.CHANNEL
        return Reply(Msg(key, data), card=card, visibility=visibility)

    def post(self, reply: Reply, mentions: tuple[str, ...] = (), track: str | None = None) -> None:
        """Post in the community channel once the transaction has committed.

        With ``track`` (a stable key naming no member), the post can later be changed with
        ``edit_post`` or removed with ``delete_post``."""
        self.outbox.post(self.c.place, reply, mentions, track)

    def edit_post(self, track: str, reply: Reply) -> None:
        """Replace the tracked post's content after commit (nothing if it was never posted)."""
        self.outbox.edit(self.c.place, track, reply)

    def delete_post(self, track: str) -> None:
        """Remove the tracked post from the channel after commit."""
        self.outbox.delete(self.c.place, track)

    def dm(self, member: Member, reply: Reply) -> None:
        self.outbox.dm(self.c.place, member.user_id, reply)
