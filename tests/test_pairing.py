"""Rapid pairing through the core, as members and facilitators use it."""

from __future__ import annotations

from sqlalchemy import text

from tests.fakes import Harness

NINE = ("bob", "carol", "dan", "erin", "frank", "gina", "hal", "ivy", "jo")


async def community(bot: Harness, names: tuple[str, ...] = NINE) -> None:
    await bot.setup()
    sectors = ("commissioner", "provider", "investor")
    for k, name in enumerate(names):
        await bot.say(
            name,
            f'/cop profile sector={sectors[k % 3]} topics="topic {k % 2}" '
            f"level={'new' if k % 2 else 'experienced'}",
        )
        assert "You're in" in await bot.say(name, "/cop pairing join")


async def test_join_leave_pause_and_status(bot: Harness) -> None:
    await bot.setup()
    assert "You're in" in await bot.say("bob", "/cop pairing join")
    assert "you're in" in await bot.say("bob", "/cop pairing status")
    assert "paused until 2027-02-01" in (
        await bot.say("bob", "/cop pairing pause until=2027-02-01")
        + await bot.say("bob", "/cop pairing status")
    )
    assert "not in the future" in await bot.say("bob", "/cop pairing pause until=2026-01-01")
    assert "left" in await bot.say("bob", "/cop pairing leave")
    assert "not in" in await bot.say("bob", "/cop pairing status")
    assert "not in rapid pairing" in await bot.say("carol", "/cop pairing pause until=2027-03-01")


async def test_scheduled_rounds_over_months_introduce_groups_privately(bot: Harness) -> None:
    await community(bot)
    out = await bot.say("alice", "/cop pairing schedule every=2w day=monday time=09:00 cooldown=3")
    assert "every 2w on Monday at 09:00" in out
    await bot.advance("16w")
    rounds = [t for t in bot.chat.channel() if "Rapid pairing round" in t]
    assert len(rounds) == 8
    assert all("9 members, 4 conversations" in t for t in rounds)
    assert not any("bob" in t for t in rounds)  # counts only
    intros = [g for g in bot.chat.groups() if "You're matched" in g[1]]
    assert len(intros) == 32 and sum(1 for u, _ in intros if len(u) == 3) == 8
    assert "Why:" in intros[0][1] and "working day" in intros[0][1]
    # no pair twice within three rounds
    seen: list[set[frozenset[str]]] = []
    for r in range(8):
        pairs = {
            frozenset((a, b))
            for users, _ in intros[4 * r : 4 * r + 4]
            for a in users
            for b in users
            if a < b
        }
        for earlier in seen[-3:]:
            assert not pairs & earlier
        seen.append(pairs)


async def test_show_pairs_setting_lists_groups_in_the_channel(bot: Harness) -> None:
    await community(bot, NINE[:4])
    await bot.say("alice", "/cop setup pairing_show_pairs=on")
    await bot.say("alice", "/cop pairing schedule every=1w day=monday time=10:00")
    await bot.advance("2h")
    summary = next(t for t in bot.chat.channel() if "Rapid pairing round" in t)
    assert "bob" in summary


async def test_checkin_and_stats(bot: Harness) -> None:
    await community(bot, NINE[:4])
    await bot.say("alice", "/cop pairing schedule every=2w day=monday time=10:00")
    await bot.advance("8d")
    checkins = [g for g in bot.chat.groups() if "did you meet" in g[1]]
    assert len(checkins) == 2 and "/cop pairing met yes round=" in checkins[0][1]
    command = checkins[0][1].split("→ /cop ")[1].splitlines()[0]
    user = checkins[0][0][0]
    assert "you met" in await bot.press(user, command)
    assert "planned" in await bot.say(checkins[1][0][0], "/cop pairing met planned")
    stats = await bot.say("alice", "/cop pairing stats")
    assert "1 round, 4 participants" in stats and "Met: 50% of 2" in stats
    assert "Distinct pairs: 2" in stats
    assert "Only facilitators" in await bot.say("bob", "/cop pairing stats")


async def test_exclusions_are_honoured_and_never_revealed(bot: Harness) -> None:
    await community(bot, NINE[:4])
    out = await bot.say("bob", "/cop pairing exclude @carol")
    assert "never be matched with carol" in out and bot.last and bot.last.reply.private
    for _ in range(4):
        preview = await bot.say("alice", "/cop pairing preview")
        assert "exclu" not in preview.lower()
    await bot.say("alice", "/cop pairing schedule every=1w day=monday time=10:00 cooldown=0")
    await bot.advance("6w")
    groups = [set(u) for u, t in bot.chat.groups() if "You're matched" in t]
    assert groups and not any({"bob", "carol"} <= g for g in groups)
    everything = "\n".join(t for _, t in bot.chat.groups()) + "\n".join(bot.chat.channel())
    assert "exclu" not in everything.lower()
    assert "yourself" in await bot.say("bob", "/cop pairing exclude @bob")


async def test_preview_shows_next_round_and_member_who_left_is_not_posted(bot: Harness) -> None:
    await community(bot, NINE[:5])
    await bot.say("alice", "/cop pairing schedule every=2w day=monday time=10:00")
    preview = await bot.say("alice", "/cop pairing preview")
    assert "Preview of round 1" in preview and "5 members, 2 conversations" in preview
    await bot.say("frank", "/cop pairing leave")
    await bot.advance("2h")
    users = {u for g, _ in bot.chat.groups() for u in g}
    assert "frank" not in users and len(users) == 4


async def test_too_few_members_skip_the_round_with_a_note(bot: Harness) -> None:
    await community(bot, NINE[:1])
    await bot.say("alice", "/cop pairing schedule every=1w day=monday time=10:00")
    await bot.advance("2h")
    assert any("skipped" in t for t in bot.chat.dms("alice"))
    assert not bot.chat.groups()


async def test_forget_me_removes_pairing_history(bot: Harness) -> None:
    await community(bot, NINE[:4])
    await bot.say("alice", "/cop pairing schedule every=1w day=monday time=10:00")
    await bot.advance("2h")
    await bot.say("bob", "/cop pairing exclude @carol")
    out = await bot.say("bob", "/cop forget-me")
    assert "rapid pairing history (1 group)" in out
    with bot.engine.connect() as conn:
        for table in ("pairing_group_member", "pairing_optin", "pairing_exclusion"):
            rows = conn.execute(
                text(
                    f"SELECT count(*) FROM {table} t JOIN member m ON m.id = t.member_id "
                    "WHERE m.user_id = 'bob'"
                )
            ).scalar()
            assert rows == 0
        assert conn.execute(text("SELECT count(*) FROM pairing_exclusion")).scalar() == 0


async def test_bad_inputs_are_answered_privately(bot: Harness) -> None:
    await community(bot, NINE[:2])
    cases = {
        "/cop pairing exclude @nobody": "can't find a member",
        "/cop pairing schedule every=2w day=monday time=09:00 size=7": "Group size",
        "/cop pairing schedule every=3h day=monday time=09:00": "rhythm",
        "/cop pairing schedule every=2w day=someday time=09:00": "not a valid",
        "/cop pairing met maybe": "not a valid",
    }
    for line, expected in cases.items():
        out = await bot.say("alice", line)
        assert expected in out, (line, out)
        assert bot.last and bot.last.reply.private and not bot.last.ok
    assert "Only facilitators" in await bot.say(
        "bob", "/cop pairing schedule every=2w day=monday time=09:00"
    )
    assert "Only facilitators, or the meeting" in await bot.say("bob", "/cop pairing live start")
    assert bot.last and bot.last.reply.private
    assert "not in a rapid pairing round" in await bot.say("bob", "/cop pairing met yes")


async def test_live_session_with_late_arrival_and_restart(bot: Harness) -> None:
    await community(bot, NINE[:6])
    assert "started" in await bot.say("alice", "/cop pairing live start rounds=3 minutes=7")
    assert any("I'm here" in t for t in bot.chat.channel())
    for name in ("bob", "carol", "dan", "erin"):
        assert "You're in" in await bot.press(name, "pairing live here")
    await bot.advance("2m")
    assert any("Round 1 of 3" in t for t in bot.chat.channel())
    assert "from round 2" in await bot.press("frank", "pairing live here")
    assert "from round 2" in await bot.press("gina", "pairing live here")
    # restart: a second process on the same database carries on
    second = Harness(bot.engine, bot.clock.now())
    await second.advance("7m")
    switch = [t for t in second.chat.channel() if "Switch!" in t]
    assert len(switch) == 1 and "frank" in switch[0] and "Round 2 of 3" in switch[0]
    await second.advance("7m")
    await second.advance("7m")
    texts = second.chat.channel()
    assert any("Round 3 of 3" in t for t in texts) and any("last of 3 rounds" in t for t in texts)
    # never the same pair twice in the session (4, then 6 people: possible)
    rounds = [t for t in bot.chat.channel() + texts if "of 3" in t and "•" in t]
    seen: set[frozenset[str]] = set()
    for t in rounds:
        for line in t.splitlines():
            if line.startswith("•"):
                who = frozenset(w.strip("@ ,") for w in line[1:].split(","))
                for a in who:
                    for b in who:
                        if a < b:
                            assert frozenset((a, b)) not in seen
                            seen.add(frozenset((a, b)))


async def test_live_next_and_stop_are_for_facilitators(bot: Harness) -> None:
    await community(bot, NINE[:4])
    await bot.say("alice", "/cop pairing live start rounds=2 minutes=5")
    for name in ("bob", "carol"):
        await bot.press(name, "pairing live here")
    assert "Only facilitators" in await bot.say("bob", "/cop pairing live next")
    assert "Moved on" in await bot.say("alice", "/cop pairing live next")
    assert any("Round 1 of 2" in t for t in bot.chat.channel())
    assert "already under way" in await bot.say("alice", "/cop pairing live start")
    assert "stopped" in await bot.say("alice", "/cop pairing live stop")
    await bot.advance("10m")
    assert not any("Switch" in t for t in bot.chat.channel())
    assert "No live pairing" in await bot.say("bob", "/cop pairing live here")


async def test_live_start_for_a_meeting_takes_its_yes_rsvps_and_its_host(bot: Harness) -> None:
    await community(bot, NINE[:4])
    out = await bot.say(
        "alice", '/cop meeting schedule when="next Tuesday 14:00" title=Club host=@bob'
    )
    assert bot.last and bot.last.ok, out
    for name in ("bob", "carol", "dan"):
        await bot.press(name, "meeting rsvp 1 yes")
    await bot.press("erin", "meeting rsvp 1 no")
    assert "Only facilitators, or the meeting" in await bot.say(
        "carol", "/cop pairing live start meeting=1"
    )
    assert "started" in await bot.say("bob", "/cop pairing live start meeting=1 rounds=1")
    await bot.press("erin", "pairing live here")
    await bot.advance("2m")
    round_one = next(t for t in bot.chat.channel() if "Round 1 of 1" in t)
    assert all(n in round_one for n in ("bob", "carol", "dan", "erin"))
    assert "no meeting 99" in await bot.say("alice", "/cop pairing live start meeting=99")


async def test_intro_suggests_a_time_inside_both_working_days_across_timezones(
    bot: Harness,
) -> None:
    await bot.setup()
    zones = {
        "bob": "Europe/London",
        "carol": "America/New_York",
        "dan": "Australia/Sydney",
        "erin": "America/Los_Angeles",
        "frank": "Asia/Tokyo",
        "gina": "Europe/London",
    }
    for name, tz in zones.items():
        await bot.say(name, f"/cop profile timezone={tz}")
    await bot.say("alice", "/cop pairing schedule every=1w day=monday time=09:00")
    for pair in (("bob", "carol"), ("dan", "erin"), ("frank", "gina")):
        for name in pair:
            await bot.say(name, "/cop pairing join")
        await bot.advance("1w")
        [(users, intro)] = [g for g in bot.chat.groups() if "You're matched" in g[1]]
        bot.chat.clear()
        assert set(users) == set(pair)
        lines = intro.splitlines()
        if pair == ("bob", "carol"):  # London 14:00 is New York 09:00: the overlap starts
            assert "• bob: Tue 12 Jan 2027, 14:00 GMT (Europe/London)" in lines
            assert "• carol: Tue 12 Jan 2027, 09:00 EST (America/New_York)" in lines
        elif pair == ("dan", "erin"):  # Sydney's Tuesday morning is LA's Monday afternoon
            assert "• dan: Tue 19 Jan 2027, 09:00 AEDT (Australia/Sydney)" in lines
            assert "• erin: Mon 18 Jan 2027, 14:00 PST (America/Los_Angeles)" in lines
        else:  # Tokyo's working day ends as London's begins
            assert "don't overlap" in intro
        for name in pair:
            await bot.say(name, "/cop pairing leave")


async def test_default_cooldown_over_twelve_rounds_of_nine_repeats_only_when_it_must(
    bot: Harness,
) -> None:
    """9 members meet 6 new pairs a round: the default cooldown (6 rounds) cannot hold for
    12 rounds. No repeats while avoidable, never last round's pair, and the preview says so."""
    await community(bot)
    await bot.say("alice", "/cop pairing schedule every=1w day=monday time=09:00")
    history: list[set[frozenset[str]]] = []
    clean = noted = 0
    for number in range(1, 13):
        preview = await bot.say("alice", "/cop pairing preview")
        assert f"Preview of round {number}" in preview
        bot.chat.clear()
        await bot.advance("1w")
        groups = [set(u) for u, t in bot.chat.groups() if "You're matched" in t]
        assert len(groups) == 4 and sorted(len(g) for g in groups) == [2, 2, 2, 3]
        pairs = {frozenset((a, b)) for g in groups for a in g for b in g if a < b}
        repeated = [p for p in pairs if any(p in earlier for earlier in history[-6:])]
        if repeated:
            assert "oldest repeats are allowed" in preview
            assert f"{len(repeated)} pairs met within the last 6 rounds" in preview
            assert history and not pairs & history[-1]  # never the last round's partners
            noted += 1
        else:
            assert "repeats" not in preview
            clean += 1
        history.append(pairs)
    assert clean >= 4 and noted >= 1
    assert history[0] and all(len(h) == 6 for h in history)


async def test_forget_me_during_a_live_session_drops_the_member_and_who_started_it(
    bot: Harness,
) -> None:
    await community(bot, NINE[:5])
    out = await bot.say(
        "alice", '/cop meeting schedule when="next Tuesday 14:00" title=Club host=@bob'
    )
    assert bot.last and bot.last.ok, out
    assert "started" in await bot.say("bob", "/cop pairing live start meeting=1 rounds=3")
    for name in ("bob", "carol", "dan", "erin", "frank"):
        await bot.press(name, "pairing live here")
    await bot.advance("2m")
    assert any("Round 1 of 3" in t for t in bot.chat.channel())
    assert "deleted" in await bot.say("carol", "/cop forget-me")
    assert "deleted" in await bot.say("bob", "/cop forget-me")
    with bot.engine.connect() as conn:
        assert conn.execute(text("SELECT started_by FROM pairing_live")).scalar() is None
    bot.chat.clear()
    await bot.advance("7m")
    [switch] = [t for t in bot.chat.channel() if "Round 2 of 3" in t]
    assert "carol" not in switch and "bob" not in switch
    assert all(n in switch for n in ("dan", "erin", "frank"))
    # A newcomer (who may reuse a freed id) cannot steer the session.
    await bot.say("zed", "/cop profile level=new")
    assert "Only facilitators" in await bot.say("zed", "/cop pairing live next")


async def test_two_members_who_cannot_be_matched_skip_the_round_without_saying_why(
    bot: Harness,
) -> None:
    await community(bot, NINE[:2])
    await bot.say("bob", "/cop pairing exclude @carol")
    preview = await bot.say("alice", "/cop pairing preview")
    assert "no groups can be made from the 2 members" in preview
    assert "at least 2" not in preview
    await bot.say("alice", "/cop pairing schedule every=1w day=monday time=10:00")
    await bot.advance("2h")
    assert any("no groups could be made" in t for t in bot.chat.dms("alice"))
    said = "\n".join([*bot.chat.channel(), *bot.chat.dms("alice"), *bot.chat.dms("carol")])
    assert "exclu" not in said.lower() and "bob" not in said


async def test_met_round_is_the_number_members_see_and_the_buttons_carry_it(bot: Harness) -> None:
    await community(bot, NINE[:4])
    # A live session first, so its round row takes the first database id.
    await bot.say("alice", "/cop pairing live start rounds=1 minutes=5")
    for name in ("bob", "carol"):
        await bot.press(name, "pairing live here")
    assert "Moved on" in await bot.say("alice", "/cop pairing live next")
    await bot.say("alice", "/cop pairing live stop")
    await bot.say("alice", "/cop pairing schedule every=1w day=monday time=10:00")
    await bot.advance("2h")
    await bot.say("frank", "/cop pairing join")  # in round 2 only
    await bot.advance("11d")
    checkins = [t for _, t in bot.chat.groups() if "did you meet" in t]
    assert any("(round 1)" in t and "pairing met yes round=1" in t for t in checkins)
    assert any("(round 2)" in t and "pairing met yes round=2" in t for t in checkins)
    assert "you met" in await bot.press("bob", "pairing met yes round=1")
    assert "planned" in await bot.say("bob", "/cop pairing met planned")  # latest: round 2
    with bot.engine.connect() as conn:
        answers = dict(
            conn.execute(
                text(
                    "SELECT r.number, gm.met FROM pairing_group_member gm "
                    "JOIN pairing_group g ON g.id = gm.group_id "
                    "JOIN pairing_round r ON r.id = g.round_id "
                    "JOIN member m ON m.id = gm.member_id "
                    "WHERE m.user_id = 'bob' AND r.live_id IS NULL"
                )
            ).all()
        )
    assert answers == {1: "yes", 2: "planned"}
    assert "no rapid pairing round 9" in await bot.say("bob", "/cop pairing met yes round=9")
    assert "weren't in rapid pairing round 1" in await bot.say(
        "frank", "/cop pairing met no round=1"
    )


async def test_partners_of_members_who_left_or_forgot_still_get_the_checkin(
    bot: Harness,
) -> None:
    await community(bot, NINE[:4])
    await bot.say("alice", "/cop pairing schedule every=2w day=monday time=10:00")
    await bot.advance("2h")
    assert "left" in await bot.say("bob", "/cop pairing leave")
    assert "deleted" in await bot.say("carol", "/cop forget-me")
    bot.chat.clear()
    await bot.advance("8d")
    asked = {u for users, t in bot.chat.groups() if "did you meet" in t for u in users}
    asked |= {u for u in NINE[:4] if any("did you meet" in t for t in bot.chat.dms(u))}
    assert asked == {"bob", "dan", "erin"}  # carol is forgotten; nobody is left out
    alone = next(u for u in asked if any("did you meet" in t for t in bot.chat.dms(u)))
    command = next(t for t in bot.chat.dms(alone) if "did you meet" in t)
    assert "pairing met yes round=1" in command
    assert "you met" in await bot.press(alone, "pairing met yes round=1")


async def test_intro_time_avoids_the_communitys_next_meeting(bot: Harness) -> None:
    await community(bot, NINE[:2])
    await bot.say("alice", '/cop meeting schedule when="2027-01-05 09:00" title=Club')
    assert bot.last and bot.last.ok
    await bot.say("alice", "/cop pairing schedule every=1w day=monday time=10:00")
    await bot.advance("2h")
    [(_, intro)] = [g for g in bot.chat.groups() if "You're matched" in g[1]]
    assert "Tue 5 Jan 2027, 09:00" not in intro
    assert "• bob: Tue 5 Jan 2027, 10:00 GMT (Europe/London)" in intro.splitlines()
