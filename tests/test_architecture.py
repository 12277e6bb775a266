"""The design's rules, checked: the core stays platform- and SQL-free; prompts are complete."""

from __future__ import annotations

import ast
import asyncio
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from bot.features import load_registry
from bot.prompts import PLAIN, catalogue, placeholders
from bot.text import Msg

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_CORE = {
    "slack_bolt",
    "slack_sdk",
    "discord",
    "sqlmodel",
    "sqlalchemy",
    "apscheduler",
    "alembic",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_core_never_imports_platform_sql_or_scheduler_libraries() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN_IN_CORE)
        for path in (ROOT / "bot").rglob("*.py")
        if _imports(path) & FORBIDDEN_IN_CORE
    }
    assert offenders == {}


def test_loading_every_feature_pulls_in_no_platform_library() -> None:
    banned = sorted(FORBIDDEN_IN_CORE)
    code = (
        "import sys; from bot.features import load_registry; load_registry(); "
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {banned!r}); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_prompt_renders_with_its_placeholders() -> None:
    for key, tmpl in catalogue().items():
        data = {name: f"<{name}>" for name in placeholders(tmpl)}
        rendered = PLAIN.render(Msg(key, data))
        for name in data:
            assert f"<{name}>" in rendered, (key, name)


_KEY_RE = re.compile(r"[\"']([a-z_]+\.[a-z0-9_]+)[\"']")
# Event names (``@on("community.settings_changed")``, ``emit("meeting.notes", ...)``) look
# like prompt keys but are not.
_EVENT_RE = re.compile(r"(?:@on\(|\.emit\()\s*[\"'][a-z_.]+[\"']")


def test_every_prompt_key_named_in_the_code_exists() -> None:
    files = {p.removesuffix(".toml") for p in (x.name for x in (ROOT / "prompts").glob("*.toml"))}
    known = catalogue()
    missing = []
    for path in list((ROOT / "bot").rglob("*.py")) + list((ROOT / "adapters").rglob("*.py")):
        source = _EVENT_RE.sub("", path.read_text(encoding="utf-8"))
        for key in _KEY_RE.findall(source):
            if key.split(".")[0] in files and key not in known:
                missing.append(f"{path.relative_to(ROOT)}: {key}")
    assert missing == []


def test_every_command_has_help_and_described_arguments() -> None:
    known = catalogue()
    for spec in load_registry().specs():
        assert spec.help in known, spec.name
        for arg in spec.arguments:
            assert arg.help_key in known, (spec.name, arg.name)


def test_only_the_system_clock_reads_the_wall_clock() -> None:
    pattern = re.compile(r"datetime\.now\(|datetime\.utcnow\(|time\.time\(|date\.today\(")
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "bot").rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8")) and path.name != "clock.py"
    ]
    assert offenders == []


async def test_the_network_guard_stops_an_aiohttp_request_to_a_public_ip_at_once() -> None:
    """aiohttp connects through the event loop's sock_connect; the guard still catches it."""
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(RuntimeError, match="test tried to reach the network"):
            # 192.0.2.1 (TEST-NET-1) never answers: only the guard can make this fail fast.
            await asyncio.wait_for(session.get("http://192.0.2.1:81/"), timeout=20)
    assert time.monotonic() - started < 5


def test_the_network_guard_refuses_dns_look_ups_but_not_loopback() -> None:
    with pytest.raises(RuntimeError, match="test tried to reach the network"):
        socket.getaddrinfo("example.org", 443)
    with pytest.raises(RuntimeError, match="test tried to reach the network"):
        socket.create_connection(("192.0.2.1", 80), timeout=20)
    assert socket.getaddrinfo("127.0.0.1", 80) and socket.getaddrinfo("localhost", 80)
