"""Shared fixtures: a real database (SQLite always, PostgreSQL when configured), a manual
clock, a recording chat, and a harness that talks to the core like a member would.

Network access beyond 127.0.0.1 (and local sockets) fails the test.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from storage.db import make_engine
from tests.fakes import Harness

PG_URL = os.environ.get("COPBOT_TEST_DATABASE_URL")
START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # a Monday


LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")


def _refuse(what: object) -> RuntimeError:
    return RuntimeError(f"test tried to reach the network: {what!r}")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks connections and name look-ups beyond loopback.

    Guarding ``socket.socket.connect``/``connect_ex`` covers asyncio too: the event loop's
    ``sock_connect`` (aiohttp, discord.py, slack-sdk) calls ``sock.connect`` on a
    non-blocking socket. ``getaddrinfo`` is guarded so no test sends a DNS query.
    """
    # Title look-ups are tested with an injected fetcher against a local server only.
    monkeypatch.setenv("COPBOT_TITLE_LOOKUP", "off")
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock: socket.socket, address: object) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0] if isinstance(address, tuple) else address
            if host not in LOCAL_HOSTS:
                raise _refuse(address)

    def guarded(self: socket.socket, address: object) -> object:
        check(self, address)
        return real_connect(self, address)  # type: ignore[arg-type]

    def guarded_ex(self: socket.socket, address: object) -> int:
        check(self, address)
        return real_connect_ex(self, address)  # type: ignore[arg-type]

    def guarded_getaddrinfo(host: object, *args: object, **kw: object) -> object:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and name not in LOCAL_HOSTS:
            try:
                ipaddress.ip_address(str(name).split("%")[0])  # a literal needs no DNS
            except ValueError:
                raise _refuse(host) from None
        return real_getaddrinfo(host, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_ex)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)


def _sqlite_engine(tmp_path: object) -> Engine:
    return make_engine(f"sqlite:///{tmp_path}/copbot-{uuid.uuid4().hex[:8]}.db")


def _pg_engine() -> tuple[Engine, Engine, str]:
    """An engine bound to a fresh schema, so tests never see each other's rows."""
    assert PG_URL
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    return admin, engine, schema


def _drop(admin: Engine, engine: Engine, schema: str) -> None:
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(params=BACKENDS)
def any_engine(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Engine]:
    """Runs the test on SQLite, and again on PostgreSQL when COPBOT_TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        engine = _sqlite_engine(tmp_path)
        yield engine
        engine.dispose()
    else:
        admin, engine, schema = _pg_engine()
        yield engine
        _drop(admin, engine, schema)


@pytest.fixture
def pg_engine_factory() -> Iterator[object]:
    """Several engines on one fresh PostgreSQL schema (two bot processes); skipped without PG."""
    if not PG_URL:
        pytest.skip("COPBOT_TEST_DATABASE_URL not set")
    admin, first, schema = _pg_engine()
    made = [first]

    def another() -> Engine:
        engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
        made.append(engine)
        return engine

    yield (first, another)
    for engine in made[1:]:
        engine.dispose()
    _drop(admin, first, schema)


@pytest.fixture
def engine(tmp_path: object) -> Iterator[Engine]:
    engine = _sqlite_engine(tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture
def bot(engine: Engine) -> Harness:
    """A bot on SQLite at START with a recording chat."""
    return Harness(engine, START)


@pytest.fixture
def any_bot(any_engine: Engine) -> Harness:
    """The same, on every configured database backend."""
    return Harness(any_engine, START)
