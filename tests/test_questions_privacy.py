"""The privacy audit for anonymous questions, and the mention/markup injection corpus.

Several members ask, draft in DMs and upvote through the core with logging at DEBUG; then
every column of every table, every log record and every payload the platforms would
receive (console text, Slack blocks and modals, Discord embeds, button ids and modal ids)
is searched for the askers' ids and names. After a key rotation, recomputing the HMAC of
every member under any key material that exists (and under the old key, captured by the
test before it was destroyed) matches nothing stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text

from adapters.console.render import ConsoleRenderer
from bot.buttons import button_id
from bot.context import Actor
from bot.core import Invocation, Outcome
from bot.replies import ChannelPost, DirectMessage, Form, GroupMessage, Outgoing, Place, Reply
from tests.fakes import PLACE, Harness, text_of
from tests.questions_helpers import CODE_RE, DM, at, released

ASKERS = {"U0BOBX1": "Bobbington", "U0CARX2": "Carolyne.Q", "U0DAVX3": "Davidsonne"}
VOTERS = {"U0ERIX4": "Erinsdottir"}
CORPUS = ("@everyone", "@here", "<!channel>", "<@U123>", "<@&123>", "[x](https://evil)")


def identities(people: dict[str, str]) -> set[str]:
    return set(people) | set(people.values()) | {f"@{n}" for n in people.values()}


async def act(bot: Harness, user: str, line: str, place: Place = PLACE, **kw: Any) -> Outcome:
    people = ASKERS | VOTERS | {"U0ALIX0": "Alicia"}
    inv = Invocation(place, Actor(user, people[user]), text=line.removeprefix("/cop"), **kw)
    out = await bot.core.handle(inv)
    await bot.app.scheduler.tick()
    return out


# ---------------------------------------------------------------- payload renderings


def _slack(reply: Reply, about: Place | None) -> list[str]:
    try:
        from adapters.slack.render import FormOrigin, modal_view, reply_messages
    except Exception:  # the Slack adapter is optional in this checkout
        return []
    out = [json.dumps(m.as_args()) for m in reply_messages(reply, about)]
    if reply.form is not None:
        view = modal_view(reply.form, FormOrigin("W1", "C1", reply.form.hidden))
        out.append(json.dumps(view))
    return out


def _discord(reply: Reply, about: Place | None) -> list[str]:
    try:
        from adapters.discord.render import RENDERER
    except Exception:  # the Discord adapter is optional in this checkout
        return []
    out: list[str] = []
    for message in RENDERER.messages(reply, about):
        out.append(message.content or "")
        if message.embed is not None:
            out.append(json.dumps(message.embed.to_dict()))
        if message.view is not None:
            out += [json.dumps(item.to_component_dict()) for item in message.view.children]
    if reply.form is not None:
        out.append(json.dumps(RENDERER.modal(reply.form, about).to_dict()))
    return out


def renderings(reply: Reply, about: Place | None = None) -> list[str]:
    """Everything a platform would receive for one reply."""
    out = ["\n".join(ConsoleRenderer().reply(reply))]
    if reply.card is not None:
        out += [button_id(b.command, about) for b in reply.card.buttons]
    if reply.form is not None:
        form: Form = reply.form
        out += [form.command, json.dumps(form.hidden), button_id(form.command, about)]
    return out + _slack(reply, about) + _discord(reply, about)


def outgoing_renderings(item: Outgoing) -> list[str]:
    about = None if isinstance(item, ChannelPost) else item.place
    extra = [item.user_id] if isinstance(item, DirectMessage) else []
    if isinstance(item, GroupMessage):
        extra = list(item.user_ids)
    mentions = list(getattr(item, "mentions", ()))
    return [*renderings(item.reply, about), json.dumps(mentions), *extra]


# ---------------------------------------------------------------- the database


def every_row(engine: Engine) -> Iterator[tuple[str, dict[str, Any]]]:
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')).mappings():
                yield table, dict(row)


def cell_texts(row: dict[str, Any]) -> list[str]:
    return [v.hex() if isinstance(v, bytes) else str(v) for v in row.values() if v is not None]


def found_in(haystack: list[str], needles: set[str]) -> set[str]:
    return {n for n in needles if any(n in h for h in haystack)}


# ---------------------------------------------------------------- the audit


async def test_privacy_audit_nothing_links_an_asker_to_a_question(
    any_bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    bot = any_bot
    bot.clock.set(at(4, 8))
    assert (await act(bot, "U0ALIX0", '/cop setup name="North" timezone=Europe/London')).ok
    for user in ASKERS | VOTERS:
        assert (await act(bot, user, "/cop profile sector=provider")).ok
    outcomes: list[Outcome] = []
    caplog.set_level(logging.DEBUG)

    # Ask: typed, through the form, and from a DM draft; one is withdrawn later.
    bot.clock.set(at(4, 10, 3))
    outcomes.append(await act(bot, "U0BOBX1", '/cop ask "How do outcome payments work?"'))
    outcomes.append(await act(bot, "U0BOBX1", "/cop ask", supports_forms=True))
    bot.clock.set(at(4, 13, 20))
    outcomes.append(
        await act(
            bot,
            "U0CARX2",
            "",
            command="ask",
            raw={"question": "Who audits the SPV? " + " ".join(CORPUS), "topic": "SPVs"},
            via="form",
        )
    )
    bot.clock.set(at(4, 16, 40))
    preview = await bot.core.handle_dm_text(DM, Actor("U0DAVX3", "Davidsonne"), "Is it worth it?")
    outcomes.append(Outcome(preview))
    assert preview.card is not None
    send = preview.card.buttons[0].command
    outcomes.append(await act(bot, "U0DAVX3", "/cop " + send, place=DM, via="button", is_dm=True))
    outcomes.append(await act(bot, "U0DAVX3", '/cop ask "To be withdrawn"'))
    codes = {found.group(1) for o in outcomes if (found := CODE_RE.search(text_of(o.reply)))}
    assert len(codes) == 4
    last_code = CODE_RE.search(text_of(outcomes[-1].reply)).group(1)  # type: ignore[union-attr]
    outcomes.append(await act(bot, "U0DAVX3", f"/cop ask withdraw {last_code}"))

    # Release, upvote (twice by one member), status, answer, block, list.
    await bot.advance(at(5, 9, 1) - bot.clock.now())
    assert len(released(bot)) == 3
    for user in ("U0CARX2", "U0DAVX3", "U0ERIX4", "U0ERIX4"):
        outcomes.append(await act(bot, user, "/cop questions upvote 1", via="button"))
    outcomes.append(await act(bot, "U0BOBX1", "/cop questions upvote Q2"))
    for code in codes:
        outcomes.append(await act(bot, "U0BOBX1", f"/cop ask status {code}"))
    outcomes.append(await act(bot, "U0ALIX0", '/cop questions answer Q2 "We discussed it."'))
    outcomes.append(await act(bot, "U0ALIX0", "/cop questions block Q3"))
    outcomes.append(await act(bot, "U0ALIX0", "/cop questions all"))
    assert "Q1 (+3)" in text_of(outcomes[-1].reply)

    askers = identities(ASKERS)
    voters = identities(VOTERS)
    people = askers | voters

    # Logs: no record mentions an asker or a voter at all, at any level.
    records = [
        " ".join([r.getMessage(), repr(r.args), r.exc_text or "", r.name]) for r in caplog.records
    ]
    assert found_in(records, people) == set()

    # Payloads: nothing sent to a platform, nor any private reply, names anyone who asked.
    payloads = [p for item in bot.chat.sent for p in outgoing_renderings(item)]
    replies = [p for o in outcomes for p in renderings(o.reply, PLACE)]
    assert found_in(payloads + replies, people) == set()

    # Database: no question table holds an identity; no row anywhere holds both an
    # identity and anything about a question.
    question_material = {"outcome payments", "Who audits", "worth it", *codes}
    question_material |= {hashlib.sha256(c.encode()).hexdigest() for c in codes}
    for table, row in every_row(bot.engine):
        cells = cell_texts(row)
        if table.startswith("question") or table == "job":
            assert found_in(cells, people) == set(), (table, row)
        if found_in(cells, people):
            assert found_in(cells, question_material) == set(), (table, row)
        assert not found_in(cells, set(codes)), (table, "a withdraw code stored in clear")

    # Capture the key as an attacker with the database would, then let it rotate.
    with bot.engine.connect() as conn:
        old_secret = conn.execute(text("SELECT secret FROM question_key")).scalar_one()
    await bot.advance(timedelta(days=8))
    with bot.engine.connect() as conn:
        new_secret = conn.execute(text("SELECT secret FROM question_key")).scalar_one()
    assert new_secret != old_secret
    everything = [c for _t, row in every_row(bot.engine) for c in cell_texts(row)]
    assert not any(old_secret in c for c in everything)
    with bot.engine.connect() as conn:
        community_id = conn.execute(text("SELECT id FROM community")).scalar_one()
    for secret in (old_secret, new_secret):
        for user in ASKERS | VOTERS:
            digest = hmac.new(
                bytes.fromhex(secret), f"{community_id}:{user}".encode(), hashlib.sha256
            ).hexdigest()
            assert not any(digest in c for c in everything), "a token survived rotation"
    for table in ("question_quota", "question_block", "question_blockable", "question_vote"):
        with bot.engine.connect() as conn:
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0
    # Released questions keep only the batch time, nothing finer.
    with bot.engine.connect() as conn:
        times = conn.execute(
            text("SELECT released_at, release_by FROM question WHERE number IS NOT NULL")
        ).all()
    assert {str(r[0])[:16] for r in times} == {"2027-01-05 09:00"} and {r[1] for r in times} == {
        None
    }


async def test_sql_statements_are_not_logged_even_at_debug(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await bot.setup()
    await bot.say("bob", '/cop ask "A question"')
    assert not [r for r in caplog.records if r.name.startswith("sqlalchemy")]


# ---------------------------------------------------------------- injection corpus


async def _released_replies(bot: Harness) -> list[Reply]:
    bot.clock.set(at(4, 8))
    await bot.setup()
    bot.clock.set(at(4, 10))
    for n, bad in enumerate(CORPUS):
        await bot.say(f"m{n}", "/cop profile sector=provider")
        out = await bot.run(
            f"m{n}", "", command="ask", raw={"question": f"Q {bad} end", "topic": bad}
        )
        assert out.ok, text_of(out.reply)
    await bot.advance(at(5, 9, 1) - bot.clock.now())
    await bot.say("alice", f'/cop questions answer Q1 "A {" ".join(CORPUS)} answer"')
    posts = [m.reply for m in bot.chat.sent if isinstance(m, ChannelPost)]
    assert len(posts) == len(CORPUS) + 1
    assert all(not m.mentions for m in bot.chat.sent if isinstance(m, ChannelPost))
    return posts


async def test_console_shows_mentions_and_links_as_typed_text(bot: Harness) -> None:
    for reply in await _released_replies(bot):
        shown = text_of(reply)
        assert "](" not in shown or "[x](https://evil)" in shown  # shown, not converted


async def test_slack_rendering_never_pings_or_links(bot: Harness) -> None:
    render = pytest.importorskip("adapters.slack.render")
    for reply in await _released_replies(bot):
        for message in render.reply_messages(reply):
            dumped = json.dumps(message.as_args())
            for bad in ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<@&123>"):
                assert bad not in dumped
            assert "<https://evil" not in dumped and "|x>" not in dumped
            # Plain @here/@everyone: Slack may parse these in mrkdwn (verbatim is false).
            assert not re.search(r"(?<!\w)@(here|channel|everyone)\b", dumped)
            assert "&lt;!channel&gt;" in dumped or "<!channel>" not in str(reply)


async def test_discord_rendering_never_pings_or_links(bot: Harness) -> None:
    render = pytest.importorskip("adapters.discord.render")
    for reply in await _released_replies(bot):
        for message in render.RENDERER.messages(reply):
            parts = [message.content or ""]
            if message.embed is not None:
                parts.append(json.dumps(message.embed.to_dict(), ensure_ascii=False))
            dumped = "\n".join(parts)
            assert not re.search(r"@(everyone|here)", dumped)
            assert not re.search(r"<@!?&?\d+>", dumped)
            assert "[x](https://evil)" not in dumped
        allowed = render.allowed(())
        assert not allowed.everyone and not allowed.roles and not allowed.users


# ---------------------------------------------------------------- side channels


async def test_asking_and_upvoting_write_nothing_about_the_member(
    any_bot: Harness,
) -> None:
    """The core's member lookup adds and renames members; for sensitive commands it must
    not, or the member row (its joined_at; PostgreSQL's xmin) would share the question's
    transaction and so name its author or voter."""
    bot = any_bot
    bot.clock.set(at(4, 8))
    await bot.setup()
    await bot.say("carol", "/cop profile sector=provider")
    bot.clock.set(at(4, 10, 3))
    # A newcomer asks (no member row yet), and a member asks under a new display name.
    newcomer = await act(bot, "U0BOBX1", '/cop ask "First time asking?"')
    renamed = await bot.core.handle(
        Invocation(PLACE, Actor("carol", "Carol Renamed"), text=' ask "Renamed asking?"')
    )
    assert newcomer.ok and renamed.ok
    with bot.engine.connect() as conn:
        members = dict(conn.execute(text("SELECT user_id, display_name FROM member")).all())
    assert "U0BOBX1" not in members and members["carol"] == "carol"
    await bot.advance(at(5, 9, 1) - bot.clock.now())
    upvote = await act(bot, "U0ERIX4", "/cop questions upvote 1", via="button")
    assert upvote.ok and "+1" in text_of(upvote.reply)
    with bot.engine.connect() as conn:
        assert "U0ERIX4" not in set(conn.execute(text("SELECT user_id FROM member")).scalars())
        if bot.engine.dialect.name == "postgresql":
            # No member row was last written by a transaction that wrote a question row.
            member_xids = set(conn.execute(text("SELECT xmin::text FROM member")).scalars())
            for table in ("question", "question_quota", "question_blockable", "question_vote"):
                xids = set(conn.execute(text(f"SELECT xmin::text FROM {table}")).scalars())
                assert not member_xids & xids, table
    # Their next ordinary command makes them members as usual.
    await act(bot, "U0BOBX1", "/cop profile sector=provider")
    with bot.engine.connect() as conn:
        assert "U0BOBX1" in set(conn.execute(text("SELECT user_id FROM member")).scalars())


async def test_forget_me_cannot_show_a_facilitator_which_questions_were_the_members(
    bot: Harness,
) -> None:
    """Forget-me keeps the keyed tokens (they go for everyone at rotation): deleting one
    member's would make exactly their questions unblockable, which a facilitator could see."""
    bot.clock.set(at(4, 8))
    await bot.setup()
    for name in ("bob", "carol"):
        await bot.say(name, "/cop profile sector=provider")
    bot.clock.set(at(4, 10))
    await bot.run("bob", '/cop ask "Bob wrote this?"')
    await bot.run("carol", '/cop ask "Carol wrote this?"')
    await bot.advance(at(5, 9, 1) - bot.clock.now())
    await bot.press("bob", "questions upvote 1")
    forgot = await bot.say("bob", "/cop forget-me")
    assert "Mon 11 Jan 2027, 09:00" in forgot  # when the tokens go, for everyone
    replies = [await bot.say("alice", f"/cop questions block Q{n}") for n in (1, 2)]
    assert all("cannot ask new questions here until" in r for r in replies), replies
    assert replies[0].replace("Q1", "Q") == replies[1].replace("Q2", "Q")
    # Nor does leaving and coming back reset a block or an upvote.
    assert not (await bot.run("bob", '/cop ask "Back again?"')).ok
    again = await bot.run("bob", "/cop questions upvote 1", via="button")
    assert not again.ok and "already upvoted" in text_of(again.reply)


async def test_the_daily_count_is_labelled_with_the_release_day_not_the_asking_day(
    bot: Harness,
) -> None:
    """The quota row beside a keyed token says no more about when someone asked than the
    batch does: Monday 10:03 counts towards the day whose release is Tuesday 09:00."""
    bot.clock.set(at(4, 8))
    await bot.setup()
    await bot.say("alice", "/cop setup questions_per_day=1")
    await bot.say("bob", "/cop profile sector=provider")
    bot.clock.set(at(4, 10, 3))
    assert (await bot.run("bob", '/cop ask "Monday morning?"')).ok
    with bot.engine.connect() as conn:
        assert conn.execute(text("SELECT day FROM question_quota")).scalars().all() == [
            "2027-01-05"
        ]
    bot.clock.set(at(5, 8, 30))  # Tuesday before 09:00: the same release day
    refused = await bot.run("bob", '/cop ask "Tuesday early?"')
    assert not refused.ok and refused.reply.private
    assert "after Tue 5 Jan 2027, 09:00" in text_of(refused.reply)
    bot.clock.set(at(5, 9, 30))
    assert (await bot.run("bob", '/cop ask "Tuesday after the release?"')).ok
