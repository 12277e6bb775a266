"""Engine creation and schema migrations.

``DATABASE_URL`` picks the database (default: an SQLite file ``copbot.db`` in the working
directory). SQLite runs in WAL mode with foreign keys on and a busy timeout, so the bot, a
console and a second process can share a file. PostgreSQL needs only a different URL.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

DEFAULT_URL = "sqlite:///copbot.db"
MIGRATIONS = Path(__file__).with_name("migrations")


def database_url(explicit: str | None = None) -> str:
    url = explicit or os.environ.get("DATABASE_URL") or DEFAULT_URL
    # Accept the URLs hosting providers hand out and route them to psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    resolved = database_url(url)
    if make_url(resolved).get_backend_name() == "sqlite":
        engine = create_engine(
            resolved,
            connect_args={"check_same_thread": False, "timeout": 15},
            hide_parameters=True,  # errors must not log values: they may be anonymous text
            **kwargs,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            if resolved not in ("sqlite://", "sqlite:///:memory:"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=15000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(resolved, pool_pre_ping=True, hide_parameters=True, **kwargs)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema up to date (run on every start; a no-op when current)."""
    command.upgrade(alembic_config(engine), revision)
