from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

import storage.tables  # noqa: F401
from storage.db import migrate


def test_migrations_build_a_fresh_database_matching_the_models(any_engine: Engine) -> None:
    migrate(any_engine)
    with any_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []
    assert {"community", "member", "profile", "job"} <= set(inspect(any_engine).get_table_names())


def test_migrating_an_existing_database_keeps_its_data_and_is_idempotent(
    any_engine: Engine,
) -> None:
    migrate(any_engine, "0001_foundation")
    now = datetime(2027, 1, 1, tzinfo=UTC)
    with any_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO community (platform, workspace, channel, name, timezone, created_at) "
                "VALUES ('slack', 'T1', 'C1', 'Old club', 'Europe/London', :now)"
            ),
            {"now": now},
        )
    migrate(any_engine)
    migrate(any_engine)  # running again on start is a no-op
    with any_engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM community")).scalar() == "Old club"
        heads = conn.execute(text("SELECT count(*) FROM alembic_version")).scalar()
    assert heads and heads >= 1
