"""Slack rendering: mrkdwn, escaping, date tokens, links, Block Kit limits and pagination."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from adapters.slack.render import (
    BUTTON_TEXT,
    FORM_PREFIX,
    MAX_BLOCKS,
    MRKDWN,
    SECTION_TEXT,
    FormOrigin,
    form_values,
    modal_view,
    reply_messages,
)
from bot.buttons import parse_button_id
from bot.replies import Button, Card, Field, Form, FormField, Place, Reply
from bot.text import Lines, Link, Mention, Moment, Msg

PINGS = ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<https://evil.example|x>")


def _everything(reply: Reply, about: Place | None = None) -> str:
    return json.dumps([m.as_args() for m in reply_messages(reply, about)], ensure_ascii=False)


def _parsed_by_slack(node: object) -> list[str]:
    """Every string Slack parses for markup and mentions: message text and mrkdwn objects.

    plain_text objects (header, button labels) are never parsed, so they carry text as is.
    """
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" or ("blocks" in node and "text" in node):
            found.append(str(node["text"]))
        for key, value in node.items():
            if key != "text" or isinstance(value, dict):
                found += _parsed_by_slack(value)
    elif isinstance(node, list):
        for item in node:
            found += _parsed_by_slack(item)
    return found


def test_user_text_with_mention_tokens_is_escaped_everywhere() -> None:
    typed = " ".join(PINGS) + " & co"
    card = Card(
        title=Msg.plain(typed),
        body=Msg.plain(typed),
        fields=(Field(Msg.plain(typed), Msg.plain(typed)),),
        footer=Msg.plain(typed),
        buttons=(Button(Msg.plain(typed), "members"),),
    )
    messages = [m.as_args() for m in reply_messages(Reply(Msg.plain(typed), card=card))]
    parsed = _parsed_by_slack(messages)
    assert len(parsed) == 5  # fallback text, section, body, field, footer
    for text in parsed:
        for token in PINGS:
            assert token not in text
        assert "&lt;!channel&gt;" in text and "&amp; co" in text


def test_template_markup_becomes_mrkdwn_and_template_brackets_are_text() -> None:
    rendered = MRKDWN.render(Msg("help.overview", {"lines": Lines(())}))
    assert rendered.startswith("*copbot commands*")
    assert "`/cop help &lt;group&gt;`" in rendered


def test_moment_is_a_slack_date_token_with_a_readable_fallback() -> None:
    at = datetime(2027, 1, 12, 14, 0, tzinfo=UTC)
    token = MRKDWN.value(Moment(at, "Europe/London"))
    assert token == (
        f"<!date^{int(at.timestamp())}^{{date_long_pretty}} at {{time}}|Tue 12 Jan 2027, 14:00 GMT>"
    )
    assert MRKDWN.value(Moment(at, style="date")).split("^")[2].startswith("{date_long_pretty}|")


def test_mentions_the_bot_means_ping_and_links_accept_only_http() -> None:
    assert MRKDWN.value(Mention("U0BOB", "bob")) == "<@U0BOB>"
    assert MRKDWN.value(Mention("<!channel>", "x<y")) == "@x&lt;y"
    assert MRKDWN.value(Link("https://ex.org/a?b=1&c=2", "A <b>")) == (
        "<https://ex.org/a?b=1&amp;c=2|A &lt;b&gt;>"
    )
    assert MRKDWN.value(Link("javascript:alert(1)", "click")) == "click"
    assert (
        MRKDWN.value(Link("https://ex.org/x|<!here>", "ok"))
        == "<https://ex.org/x%7C%3C!here%3E|ok>"
    )


def test_card_is_header_fields_context_and_buttons_with_a_text_fallback() -> None:
    card = Card(
        title=Msg.plain("Knowledge café"),
        body=Msg.plain("Body"),
        fields=(Field(Msg.plain("Host"), Msg.plain("Bob")),),
        footer=Msg.plain("Footer"),
        buttons=(Button(Msg.plain("Yes " * 40), "meeting rsvp 3 yes", style="primary"),),
    )
    [message] = reply_messages(Reply(Msg.plain("Intro"), card=card))
    kinds = [b["type"] for b in message.blocks]
    assert kinds == ["section", "header", "section", "section", "context", "actions"]
    assert message.text.startswith("Intro")
    button = message.blocks[-1]["elements"][0]
    assert len(button["text"]["text"]) <= BUTTON_TEXT
    assert button["style"] == "primary"
    target = parse_button_id(button["value"])
    assert target is not None and target.command == "meeting rsvp 3 yes"
    assert message.blocks[3]["fields"][0]["text"] == "*Host*\nBob"


def test_buttons_in_a_direct_message_name_their_community() -> None:
    card = Card(title=Msg.plain("t"), buttons=(Button(Msg.plain("Go"), "members"),))
    about = Place("slack", "T1", "C9")
    [message] = reply_messages(Reply(Msg.plain("x"), card=card), about=about)
    target = parse_button_id(message.blocks[-1]["elements"][0]["value"])
    assert target is not None
    assert target.place("slack", Place("slack", "T1", "D1")) == about


def test_long_lists_paginate_within_block_kit_limits() -> None:
    lines = Lines(tuple(Msg.plain(f"member {i} " + "x" * 200) for i in range(400)))
    messages = reply_messages(Reply(Msg("common.value", {"value": lines})))
    assert len(messages) > 1
    seen = []
    for message in messages:
        assert 0 < len(message.blocks) <= MAX_BLOCKS
        assert message.text
        for block in message.blocks:
            assert len(block["text"]["text"]) <= SECTION_TEXT
            seen.append(block["text"]["text"])
    joined = "\n".join(seen)
    assert "member 0 " in joined and "member 399 " in joined


def test_text_attachment_is_shown_as_an_escaped_code_block() -> None:
    from bot.replies import Attachment

    reply = Reply(Msg.plain("Calendar"), attachments=(Attachment("m.ics", b"SUMMARY:<!here>\n"),))
    shown = _everything(reply)
    assert "```SUMMARY:&lt;!here&gt;```" in shown and "`m.ics`" in shown


def test_modal_carries_command_and_place_but_never_the_author() -> None:
    form = Form(
        command="meeting schedule",
        title=Msg.plain("Schedule a knowledge café please"),
        fields=(
            FormField("title", Msg.plain("Title"), required=True),
            FormField("when", Msg.plain("When")),
        ),
        hidden=(("series", "2"),),
    )
    view = modal_view(form, FormOrigin("T1", "C1"))
    assert view["callback_id"] == FORM_PREFIX + "meeting schedule"
    assert len(view["title"]["text"]) <= 24
    assert json.loads(view["private_metadata"]) == {
        "team": "T1",
        "channel": "C1",
        "hidden": {"series": "2"},
    }
    assert [b["block_id"] for b in view["blocks"]] == ["title", "when"]
    assert view["blocks"][0]["optional"] is False and view["blocks"][1]["optional"] is True
    state = {"values": {"title": {"value": {"value": "Café"}}, "when": {"value": {"value": None}}}}
    assert form_values({"state": state}) == {"title": "Café", "when": ""}


def test_plain_text_objects_carry_user_text_verbatim_because_slack_never_parses_them() -> None:
    """Decision: header, button and modal texts are plain_text, shown literally by Slack
    (no mrkdwn, links or mentions), so user text goes in as typed: escaping it would show
    ``&amp;`` to readers. Everything Slack parses is escaped (see the test above)."""
    typed = "Tom & Jerry <!channel> *x*"
    card = Card(title=Msg.plain(typed), buttons=(Button(Msg.plain(typed), "members"),))
    [message] = reply_messages(Reply(Msg.plain("x"), card=card))
    header, actions = message.blocks[1], message.blocks[-1]
    assert header["text"] == {"type": "plain_text", "text": typed, "emoji": True}
    assert actions["elements"][0]["text"]["type"] == "plain_text"
    assert actions["elements"][0]["text"]["text"] == typed
    form = Form(command="note add", title=Msg.plain("A & <b>"), fields=())
    title = modal_view(form, FormOrigin("T1", "C1"))["title"]
    assert title == {"type": "plain_text", "text": "A & <b>", "emoji": True}
    assert "Tom &amp; Jerry &lt;!channel&gt;" in message.text  # the fallback is parsed


def test_formatting_typed_by_a_member_is_shown_never_applied() -> None:
    typed = "*bold* _it_ ~gone~ `code` ```block``` snake_case :white_check_mark:"
    shown = MRKDWN.render(Msg.plain(typed))
    assert shown == (
        "\u2217bold\u2217 \u02cdit\u02cd \u223cgone\u223c \u02cbcode\u02cb "
        "\u02cb\u02cb\u02cbblock\u02cb\u02cb\u02cb snake_case :white_check_mark:"
    )
    assert not set("*~`") & set(shown)


def test_a_quote_or_broadcast_word_typed_by_a_member_stays_inert() -> None:
    shown = MRKDWN.render(Msg.plain("> quoted\n@here @Channel @everyone mail@here.org"))
    assert shown.startswith("\u00ad&gt; quoted")
    assert "@\u2060here @\u2060Channel @\u2060everyone mail@here.org" in shown


def test_link_syntax_typed_by_a_member_is_text_and_bare_addresses_stay_whole() -> None:
    shown = MRKDWN.render(Msg.plain("<https://evil.example|click> see https://ex.org/a_b~c*d"))
    assert shown == "&lt;https://evil.example|click&gt; see https://ex.org/a_b~c*d"


def test_template_markup_still_formats_around_inert_user_text() -> None:
    shown = MRKDWN.render(
        Msg("common.bad_value", {"value": "`x` *y*", "arg": "count", "expected": "n"})
    )
    assert shown.startswith("`\u02cbx\u02cb \u2217y\u2217` is not a valid `count`")
