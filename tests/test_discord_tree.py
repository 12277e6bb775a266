"""The generated ``/cop`` application commands match the core's registry, command by command."""

from __future__ import annotations

import re
from typing import Any

import discord
import pytest

from adapters.discord.bot import CopClient
from adapters.discord.tree import MORE, TreeError, build_root, describe, plan_tree
from bot.commands import Arg, CommandSpec, Kind, Registry
from bot.features import load_registry
from bot.replies import Reply
from bot.text import Msg

NAME_RE = re.compile(r"^[-_\w]{1,32}$")
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
KIND_TYPES = {Kind.INT: 4, Kind.MEMBER: 6, Kind.BOOL: 5}  # everything else: 3 (string)
GUILD = 42


def _tree_dict() -> dict[str, Any]:
    client = CopClient(load_registry(), guild_ids=[GUILD])
    (root,) = client.tree.get_commands(guild=discord.Object(GUILD))
    return root.to_dict(client.tree)


def _leaves(root: dict[str, Any]) -> dict[tuple[str, ...], dict[str, Any]]:
    found: dict[tuple[str, ...], dict[str, Any]] = {}
    for child in root["options"]:
        if child["type"] == SUB_COMMAND_GROUP:
            for leaf in child["options"]:
                assert leaf["type"] == SUB_COMMAND
                found[(child["name"], leaf["name"])] = leaf
        else:
            assert child["type"] == SUB_COMMAND
            found[(child["name"],)] = child
    return found


def _discord_path(spec: CommandSpec, registry: Registry) -> tuple[str, ...]:
    """The naming rule, restated independently of the adapter (with /cop not full)."""
    bare = {s.path[0] for s in registry.specs() if len(s.path) == 1}
    if len(spec.path) == 1:
        return spec.path
    if spec.path[0] in bare:  # the group's bare command keeps the name; the rest flatten
        return ("-".join(spec.path),)
    return (spec.path[0], "-".join(spec.path[1:]))


def test_every_registered_command_is_in_the_tree_with_its_options() -> None:
    registry = load_registry()
    root = _tree_dict()
    assert root["name"] == "cop" and root["type"] == 1
    leaves = _leaves(root)
    expected_paths = {_discord_path(s, registry): s for s in registry.specs()}
    assert set(leaves) == set(expected_paths)  # nothing missing, nothing invented
    for path, spec in expected_paths.items():
        leaf = leaves[path]
        assert leaf["description"] == describe(spec.help), spec.name
        options = {o["name"]: o for o in leaf.get("options", [])}
        args = list(spec.arguments)
        named = [a for a in args if a.name in options]
        if len(args) > 25:
            assert MORE in options and len(options) == 25
        else:
            assert len(named) == len(args) == len(options), spec.name
        for arg in named:
            option = options[arg.name]
            assert option["type"] == KIND_TYPES.get(arg.kind, 3), (spec.name, arg.name)
            assert option["required"] == (arg.required and not spec.form), (spec.name, arg.name)
            assert option["description"] == describe(arg.help_key), (spec.name, arg.name)
            if arg.kind is Kind.CHOICE and len(arg.choices) <= 25:
                assert [c["value"] for c in option["choices"]] == list(arg.choices)
            else:
                assert "choices" not in option
            if arg.max_length and option["type"] == 3:
                assert option["max_length"] == min(arg.max_length, 6000)
        flags = [o["required"] for o in leaf.get("options", [])]
        assert flags == sorted(flags, reverse=True), spec.name  # required options first


def test_the_tree_fits_discords_limits() -> None:
    root = _tree_dict()

    def walk(node: dict[str, Any]) -> None:
        assert NAME_RE.match(node["name"]) and node["name"] == node["name"].lower(), node["name"]
        assert 1 <= len(node["description"]) <= 100, node["name"]
        children = node.get("options", [])
        assert len(children) <= 25, node["name"]
        for child in children:
            if child["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP):
                walk(child)
            else:
                assert NAME_RE.match(child["name"]) and 1 <= len(child["description"]) <= 100
                assert len(child.get("choices", [])) <= 25

    walk(root)


async def test_every_form_fits_in_a_discord_modal() -> None:
    from adapters.discord.render import RENDERER
    from bot.replies import Form

    for spec in load_registry().specs():
        if not spec.form:
            continue
        form = Form(spec.name, Msg(spec.form_title or spec.help), spec.form_fields())
        modal = RENDERER.modal(form).to_dict()
        assert len(modal["custom_id"]) <= 100 and len(modal["title"]) <= 45, spec.name
        assert len(modal["components"]) <= 5, spec.name


# ---------------------------------------------------------------- the rules, on made-up registries


async def _noop(ctx: Any) -> Reply:
    return Reply(Msg("common.empty"))


def _registry(*specs: tuple[str, tuple[Arg, ...]], form: tuple[str, ...] = ()) -> Registry:
    reg = Registry()
    for name, args in specs:
        reg.command(name, help="help.help_help", args=args, form=form if name == "ask" else ())(
            _noop
        )
    return reg


def test_the_commands_the_issues_name_keep_their_exact_names_on_discord() -> None:
    """`/cop ask` (the form), `/cop questions [open|answered|all]`, `/cop pairing live start`."""
    plan = plan_tree(load_registry())
    paths = {c.spec.name: c.path for c in plan.commands}
    assert paths["ask"] == ("ask",) and plan.by_path()[("ask",)].spec.form
    assert paths["questions"] == ("questions",)
    which = plan.by_path()[("questions",)].options[0]
    assert which.choices == ("open", "answered", "all")
    assert paths["ask withdraw"] == ("ask-withdraw",)
    assert paths["questions answer"] == ("questions-answer",)
    assert paths["pairing live start"] == ("pairing", "live-start")
    assert paths["meeting schedule"] == ("meeting", "schedule")


def test_the_real_registry_fits_under_cop_without_nesting_a_bare_command() -> None:
    """Fails loudly when a new group would push /cop past Discord's 25 entries: then the
    largest flattened group is nested again and `/cop questions` would stop being exact."""
    registry = load_registry()
    plan = plan_tree(registry)
    bare_groups = {
        s.path[0]
        for s in registry.specs()
        if len(s.path) == 1
        and any(t.path[0] == s.path[0] and len(t.path) > 1 for t in registry.specs())
    }
    assert plan.flattened == bare_groups
    top = {c.path[0] for c in plan.commands}
    assert len(top) <= 25, f"/cop has {len(top)} entries; Discord allows 25"


def test_a_bare_group_command_keeps_its_name_and_long_paths_fold() -> None:
    reg = _registry(
        ("meeting", ()),
        ("meeting list", ()),
        ("meeting agenda add", (Arg("item", required=True),)),
        ("ask", (Arg("question"),)),
        ("ask status", ()),
        ("pairing live start", ()),
    )
    plan = plan_tree(reg)
    paths = {c.spec.name: c.path for c in plan.commands}
    assert paths["meeting"] == ("meeting",) and paths["ask"] == ("ask",)
    assert paths["meeting agenda add"] == ("meeting-agenda-add",)
    assert paths["meeting list"] == ("meeting-list",)
    assert paths["ask status"] == ("ask-status",)
    assert paths["pairing live start"] == ("pairing", "live-start")


def test_when_cop_is_full_the_largest_flattened_group_is_nested_again() -> None:
    singles = [(f"c{i}", ()) for i in range(20)]
    reg = _registry(
        *singles,
        ("ask", ()),
        ("ask status", ()),
        ("big", ()),
        *((f"big a{i}", ()) for i in range(6)),
    )
    plan = plan_tree(reg)  # flattened: 20 + 2 + 7 = 29 entries; nesting `big` gives 22
    paths = {c.spec.name: c.path for c in plan.commands}
    assert plan.flattened == {"ask"}
    assert paths["big"] == ("big", "show") and paths["big a1"] == ("big", "a1")
    assert paths["ask"] == ("ask",) and paths["ask status"] == ("ask-status",)
    with pytest.raises(TreeError, match="26 subcommands"):
        plan_tree(_registry(*((f"c{i}", ()) for i in range(26))))


def test_a_flattened_name_that_collides_fails_loudly() -> None:
    with pytest.raises(TreeError):
        plan_tree(_registry(("ask", ()), ("ask status", ()), ("ask-status", ())))


def test_more_than_25_arguments_spill_into_a_key_value_option() -> None:
    args = tuple(Arg(f"s{i}", Kind.TEXT) for i in range(30))
    plan = plan_tree(_registry(("setup", args)))
    (command,) = plan.commands
    assert len(command.options) == 25 and command.options[-1].name == MORE
    assert [a.name for a in command.extra] == [f"s{i}" for i in range(24, 30)]
    raw, problem = CopClient._raw(command, {"s0": "a", MORE: 's25=b s29="c d"'})
    assert problem is None and raw == {"s0": "a", "s25": "b", "s29": "c d"}
    _, problem = CopClient._raw(command, {MORE: "s1=x"})  # s1 has its own option
    assert problem is not None and problem.key == "discord.unknown_option"


def test_a_group_with_more_than_25_actions_fails_loudly() -> None:
    reg = _registry(*((f"big a{i}", ()) for i in range(26)))
    with pytest.raises(TreeError, match="26 actions"):
        plan_tree(reg)


def test_names_discord_refuses_fail_loudly() -> None:
    with pytest.raises(TreeError):
        plan_tree(_registry(("Shout", ())))
    with pytest.raises(TreeError):
        plan_tree(_registry(("x" * 33, ())))


def test_building_the_tree_from_a_plan_keeps_the_groups() -> None:
    reg = _registry(("a one", ()), ("a two", ()), ("b", ()))

    async def handler(*_: Any) -> None:
        return None

    root = build_root(plan_tree(reg), handler)
    assert sorted(c.name for c in root.commands) == ["a", "b"]
    group = root.get_command("a")
    assert isinstance(group, discord.app_commands.Group)
    assert sorted(c.name for c in group.commands) == ["one", "two"]
