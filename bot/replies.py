"""What handlers return: replies, cards, buttons, forms and outgoing posts."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from bot.text import Msg


class Visibility(StrEnum):
    PRIVATE = "private"  # only the member who acted sees it (ephemeral)
    CHANNEL = "channel"  # posted in the community channel


@dataclass(frozen=True)
class Button:
    """A button. ``command`` is its typed-command equivalent, e.g. ``meeting rsvp 3 yes``.

    Adapters use the command as the button's id, so a press runs exactly what typing
    ``/cop <command>`` would. It must never carry anything that identifies an author.
    """

    label: Msg
    command: str
    style: Literal["primary", "danger", "default"] = "default"


@dataclass(frozen=True)
class Field:
    label: Msg
    value: Msg
    inline: bool = True


@dataclass(frozen=True)
class Card:
    title: Msg
    body: Msg | None = None
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()
    footer: Msg | None = None
    url: str | None = None


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime: str = "text/plain"


@dataclass(frozen=True)
class FormField:
    name: str  # the command argument it fills
    label: Msg
    multiline: bool = False
    required: bool = False
    placeholder: Msg | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class Form:
    """A form (Slack modal, Discord modal) that submits the typed command ``command``."""

    command: str
    title: Msg
    fields: tuple[FormField, ...]
    intro: Msg | None = None
    hidden: tuple[tuple[str, str], ...] = ()  # fixed argument values, never identity


@dataclass(frozen=True)
class Reply:
    text: Msg
    card: Card | None = None
    visibility: Visibility = Visibility.PRIVATE
    attachments: tuple[Attachment, ...] = ()
    form: Form | None = None  # adapters that can, open this form instead of replying

    @property
    def private(self) -> bool:
        return self.visibility is Visibility.PRIVATE


@dataclass(frozen=True)
class Place:
    """Where a community lives: (platform, workspace or guild, channel)."""

    platform: str
    workspace: str
    channel: str


@dataclass(frozen=True)
class ChannelPost:
    place: Place
    reply: Reply
    mentions: tuple[str, ...] = ()  # user ids the bot means to ping
    # A stable key (e.g. "question:3:7") under which the core remembers the posted message,
    # so that EditPost / DeletePost can change it later. Never anything naming a member.
    track: str | None = None


@dataclass(frozen=True)
class DirectMessage:
    place: Place  # the community the message is about
    user_id: str
    reply: Reply


@dataclass(frozen=True)
class GroupMessage:
    """A private conversation with several members (Slack group DM, Discord thread)."""

    place: Place
    user_ids: tuple[str, ...]
    reply: Reply
    mentions: tuple[str, ...] = ()


@dataclass(frozen=True)
class EditPost:
    """Replace the content of the channel post tracked as ``track`` (if it was tracked).

    Handlers leave ``ref`` empty; the core fills in the platform's message reference
    (remembered when the tracked ChannelPost was delivered) before the chat sees it.
    """

    place: Place
    track: str
    reply: Reply
    ref: str | None = None


@dataclass(frozen=True)
class DeletePost:
    """Remove the channel post tracked as ``track`` (if it was tracked); ``ref`` as above."""

    place: Place
    track: str
    ref: str | None = None


Outgoing = ChannelPost | DirectMessage | GroupMessage | EditPost | DeletePost


@dataclass
class Outbox:
    """Messages a handler wants sent; delivered only after its transaction commits."""

    items: list[Outgoing] = field(default_factory=list)

    def post(
        self,
        place: Place,
        reply: Reply,
        mentions: tuple[str, ...] = (),
        track: str | None = None,
    ) -> None:
        self.items.append(ChannelPost(place, reply, mentions, track))

    def edit(self, place: Place, track: str, reply: Reply) -> None:
        """Update a tracked post; an earlier pending edit of the same post is superseded."""
        self.items = [
            i
            for i in self.items
            if not (isinstance(i, EditPost) and i.place == place and i.track == track)
        ]
        self.items.append(EditPost(place, track, reply))

    def delete(self, place: Place, track: str) -> None:
        """Remove a tracked post (pending edits of it are dropped)."""
        self.items = [
            i
            for i in self.items
            if not (isinstance(i, EditPost) and i.place == place and i.track == track)
        ]
        self.items.append(DeletePost(place, track))

    def dm(self, place: Place, user_id: str, reply: Reply) -> None:
        self.items.append(DirectMessage(place, user_id, reply))

    def group(
        self, place: Place, user_ids: tuple[str, ...], reply: Reply, mentions: tuple[str, ...] = ()
    ) -> None:
        self.items.append(GroupMessage(place, user_ids, reply, mentions))
