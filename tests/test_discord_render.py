"""Discord rendering and the chat port: escaping, timestamps, embeds, buttons, DMs, threads."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import discord
import pytest

from adapters.discord.components import CopButton, form_id, modal_values, parse_form_id
from adapters.discord.render import RENDERER, allowed, escape_text, split_content
from bot.buttons import parse_button_id
from bot.ports import Delivery
from bot.replies import (
    Attachment,
    Button,
    Card,
    ChannelPost,
    DirectMessage,
    Field,
    Form,
    FormField,
    GroupMessage,
    Place,
    Reply,
)
from bot.text import Link, Mention, Moment, Msg
from tests.discord_harness import (
    ALICE,
    BOB,
    CAROL,
    CHANNEL_ID,
    CREATE_DM,
    DM_OFFSET,
    GUILD_ID,
    MESSAGES,
    THREAD_MEMBER,
    THREADS,
    OfflineDiscord,
    Recorder,
    discord_bot,
    recorder,
)

__all__ = ["discord_bot", "recorder"]  # fixtures

PLACE = Place("discord", str(GUILD_ID), str(CHANNEL_ID))
MASKED_LINK_RE = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(")


def plain(value: object) -> Msg:
    return Msg.plain(value)  # type: ignore[arg-type]


# ---------------------------------------------------------------- text


@pytest.mark.parametrize(
    "typed",
    [
        "@everyone",
        "@here please",
        "<@123456789012345678>",
        "<@&123456789012345678>",
        "[click](https://evil.example)",
        "[a](b) [x](https://evil.example)",
        "[x](<https://evil.example>)",
        "<https://evil.example>",
        "<t:0:F> <#123> </cop help:1>",
        "**bold** __under__ ~~strike~~ ||spoiler|| `code`",
        "> quote\n# heading\n- item\n1. item",
        "back\\slash\\",
    ],
)
def test_user_text_cannot_become_markup_links_mentions_or_tokens(typed: str) -> None:
    shown = RENDERER.render(plain(typed))
    assert "@everyone" not in shown and "@here" not in shown
    assert not re.search(r"(?<!\\)<[@#/t&]", shown), shown
    assert not MASKED_LINK_RE.search(shown), shown
    assert not re.search(r"(?<!\\)(\*\*|__|~~|\|\||`)", shown), shown
    assert not re.search(r"^(>|#|-|\d+\.) ", shown, re.M), shown


def test_bare_web_addresses_stay_readable() -> None:
    assert escape_text("see https://example.org/a_b?x=1") == "see https://example.org/a_b?x=1"


def test_template_markup_is_kept_and_code_spans_show_values_verbatim() -> None:
    text = RENDERER.render(Msg("common.bad_value", {"value": "a_b`c", "arg": "x", "expected": "y"}))
    assert text.startswith("`a_bˋc` is not a valid `x`")
    assert RENDERER.render(Msg("common.form_opened")) == "Opening the form…"


def test_moments_are_discord_timestamps_each_reader_sees_in_their_timezone() -> None:
    at = datetime(2027, 1, 12, 14, 0, tzinfo=UTC)
    ts = int(at.timestamp())
    assert RENDERER.render(plain(Moment(at, "Europe/London"))) == f"<t:{ts}:F>"
    assert RENDERER.render(plain(Moment(at, style="date"))) == f"<t:{ts}:D>"
    assert RENDERER.render(plain(Moment(at, style="time"))) == f"<t:{ts}:t>"


def test_mentions_and_links_the_bot_means() -> None:
    assert RENDERER.render(plain(Mention("123", "bob"))) == "<@123>"
    link = RENDERER.render(plain(Link("https://example.org/x y", "a [label]")))
    assert link == "[a \\[label\\]](<https://example.org/x%20y>)"
    assert RENDERER.render(plain(Link("javascript:alert(1)", "js"))) == "js"


def test_long_messages_are_split_under_2000_characters() -> None:
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(60))
    chunks = split_content(text)
    assert len(chunks) > 1 and all(len(c) <= 2000 for c in chunks)
    assert "\n".join(chunks) == text
    assert all(len(c) <= 2000 for c in split_content("y" * 4500))


# ---------------------------------------------------------------- cards and buttons


async def test_cards_become_embeds_with_persistent_buttons() -> None:
    card = Card(
        title=plain("Meeting [x](https://evil)"),
        body=plain("body"),
        fields=tuple(Field(plain(f"f{i}"), plain("v" * 2000)) for i in range(30)),
        buttons=tuple(Button(plain(f"b{i}"), f"meeting rsvp {i} yes") for i in range(7)),
        footer=plain("foot"),
        url="https://example.org",
    )
    (message,) = RENDERER.messages(Reply(plain("hello"), card=card))
    assert message.embed is not None and message.view is not None
    embed = message.embed.to_dict()
    assert "\\[x\\]" in embed["title"] and embed["url"] == "https://example.org"
    assert len(embed["fields"]) <= 25 and all(len(f["value"]) <= 1024 for f in embed["fields"])
    assert len(message.embed) <= 6000
    assert message.view.timeout is None
    rows = message.view.to_components()
    assert [len(r["components"]) for r in rows] == [5, 2]
    ids = [b["custom_id"] for r in rows for b in r["components"]]
    assert ids[0] == "cop:meeting rsvp 0 yes"
    assert all(isinstance(i, CopButton) for i in message.view.children)
    target = parse_button_id(ids[3])
    assert target is not None and target.command == "meeting rsvp 3 yes"


async def test_buttons_in_a_dm_name_their_community() -> None:
    card = Card(title=plain("t"), buttons=(Button(plain("Yes"), "meeting rsvp 3 yes"),))
    (message,) = RENDERER.messages(Reply(plain("hi"), card=card), about=PLACE)
    assert message.view is not None
    (row,) = message.view.to_components()
    assert row["components"][0]["custom_id"] == f"cop@{GUILD_ID}/{CHANNEL_ID}:meeting rsvp 3 yes"


def test_form_ids_round_trip_with_their_fixed_values() -> None:
    form = Form(
        "meeting notes", plain("t"), (FormField("summary", plain("s")),), hidden=(("id", "3"),)
    )
    assert parse_form_id(form_id(form)) is not None
    target = parse_form_id(form_id(form, PLACE))
    assert target is not None and target.command == "meeting notes"
    assert dict(target.hidden) == {"id": "3"}
    assert target.place(Place("discord", "@me", "1")) == PLACE
    assert parse_form_id("cop:help") is None
    rows = [{"type": 1, "components": [{"type": 4, "custom_id": "a", "value": "1"}]}]
    labels = [{"type": 18, "component": {"type": 4, "custom_id": "b", "value": "2"}}]
    assert modal_values(rows + labels) == {"a": "1", "b": "2"}


def test_allowed_mentions_name_only_the_meant_users() -> None:
    assert allowed().to_dict() == {"parse": []}
    assert allowed(["123"]).to_dict() == {"parse": [], "users": [123]}


# ---------------------------------------------------------------- the chat port


async def test_a_channel_post_pings_only_the_members_it_names(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    recorder.meant_mentions = {BOB}
    reply = Reply(Msg("common.value", {"value": Mention(str(BOB), "bob")}))
    result = await discord_bot.chat.send(ChannelPost(PLACE, reply, mentions=(str(BOB),)))
    assert result.ok and result.reason is None and result.ref is not None
    (post,) = recorder.find(MESSAGES, "POST")
    assert post.path == f"/channels/{CHANNEL_ID}/messages"
    assert post.json["content"] == f"<@{BOB}>"
    assert post.json["allowed_mentions"] == {"parse": [], "users": [BOB]}


async def test_a_dm_to_a_member_with_closed_dms_reports_dm_closed(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    recorder.closed_dms.add(BOB)
    result = await discord_bot.chat.send(DirectMessage(PLACE, str(BOB), Reply(plain("hi"))))
    assert result == Delivery(ok=False, reason="dm_closed")
    assert recorder.find(CREATE_DM)[0].json == {"recipient_id": BOB}


async def test_closed_dms_are_reported_to_facilitators_once_not_retried(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    await discord_bot.setup()  # alice is the facilitator
    await discord_bot.slash("profile", user=BOB, level="new")
    recorder.closed_dms.add(BOB)
    recorder.clear()
    note = DirectMessage(PLACE, str(BOB), Reply(plain("reminder")))
    await discord_bot.app.core.deliver([note])
    await discord_bot.app.core.deliver([note])
    to_bob = [
        c
        for c in recorder.find(MESSAGES, "POST")
        if c.path == f"/channels/{BOB + DM_OFFSET}/messages"
    ]
    to_alice = [
        c
        for c in recorder.find(MESSAGES, "POST")
        if c.path == f"/channels/{ALICE + DM_OFFSET}/messages"
    ]
    assert len(to_bob) == 1  # tried once, then not again
    assert len(to_alice) == 1 and "Bob" in to_alice[0].json["content"]


async def test_a_dm_with_buttons_and_a_file(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    card = Card(title=plain("Meeting"), buttons=(Button(plain("Yes"), "meeting rsvp 3 yes"),))
    reply = Reply(plain("hi"), card=card, attachments=(Attachment("m.ics", b"BEGIN:VCALENDAR"),))
    assert (await discord_bot.chat.send(DirectMessage(PLACE, str(BOB), reply))).ok
    (sent,) = recorder.find(MESSAGES, "POST")
    assert sent.files == ["m.ics"]
    button = sent.json["components"][0]["components"][0]
    assert button["custom_id"] == f"cop@{GUILD_ID}/{CHANNEL_ID}:meeting rsvp 3 yes"


async def test_a_group_message_opens_a_private_thread_with_its_members(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    recorder.meant_mentions = {BOB, CAROL}
    reply = Reply(Msg("common.value", {"value": Mention(str(BOB), "bob")}))
    group = GroupMessage(PLACE, (str(BOB), str(CAROL)), reply, mentions=(str(BOB), str(CAROL)))
    assert (await discord_bot.chat.send(group)).ok
    (thread,) = recorder.find(THREADS, "POST")
    assert thread.path == f"/channels/{CHANNEL_ID}/threads"
    assert thread.json["type"] == 12 and thread.json["invitable"] is False
    added = recorder.find(THREAD_MEMBER, "PUT")
    assert sorted(c.path.rsplit("/", 1)[1] for c in added) == sorted([str(BOB), str(CAROL)])
    (post,) = recorder.find(MESSAGES, "POST")
    assert post.json["allowed_mentions"] == {"parse": [], "users": [BOB, CAROL]}


async def test_a_group_message_falls_back_to_dms_when_threads_are_refused(
    discord_bot: OfflineDiscord, recorder: Recorder
) -> None:
    recorder.thread_refused = True
    recorder.closed_dms.add(CAROL)
    group = GroupMessage(PLACE, (str(BOB), str(CAROL)), Reply(plain("pair")))
    result = await discord_bot.chat.send(group)
    assert result == Delivery(ok=False, reason="dm_closed")
    dm_paths = {c.path for c in recorder.find(MESSAGES, "POST")}
    assert dm_paths == {
        f"/channels/{BOB + DM_OFFSET}/messages",
        f"/channels/{CAROL + DM_OFFSET}/messages",
    }


# ---------------------------------------------------------------- README


def test_readme_invite_asks_for_exactly_the_permissions_used() -> None:
    needed = discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        create_private_threads=True,
        embed_links=True,
        attach_files=True,
    )
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"permissions={needed.value}" in readme
    assert "scope=bot+applications.commands" in readme


def test_several_members_typed_into_one_text_option_are_separate_references() -> None:
    from bot.commands import Arg, Kind, convert

    refs = convert(Arg("members", Kind.MEMBERS), f"<@{BOB}|Bob B> <@{CAROL}>, @alice")
    assert refs == (f"<@{BOB}|Bob B>", f"<@{CAROL}>", "@alice")
