from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

import storage.tables  # noqa: F401
from storage.db import alembic_config, make_engine, migrate


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


def _revisions(engine: Engine) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(engine))
    return sorted(rev.revision for rev in script.walk_revisions())


REVISIONS = _revisions(make_engine("sqlite://"))
# An existing database is any set of revisions a past release applied: each branch alone,
# and each prefix in the order the features arrived (the last prefix is every head).
EXISTING = [
    *[(rev,) for rev in REVISIONS[1:]],
    *[tuple(REVISIONS[1 : i + 1]) for i in range(2, len(REVISIONS))],
]


@pytest.mark.parametrize("applied", EXISTING, ids="+".join)
def test_a_database_at_any_earlier_set_of_revisions_upgrades_to_every_head(
    any_engine: Engine, applied: tuple[str, ...]
) -> None:
    for rev in applied:
        migrate(any_engine, rev)
    with any_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO community (platform, workspace, channel, name, timezone, created_at) "
                "VALUES ('slack', 'T1', 'C1', 'Old club', 'Europe/London', :now)"
            ),
            {"now": datetime(2027, 1, 1, tzinfo=UTC)},
        )
    migrate(any_engine)
    with any_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        heads = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
        assert conn.execute(text("SELECT name FROM community")).scalar() == "Old club"
    assert diff == []
    script = ScriptDirectory.from_config(alembic_config(any_engine))
    assert heads == set(script.get_heads())


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 15000


def test_sqlite_refuses_rows_that_break_a_foreign_key(engine: Engine) -> None:
    migrate(engine)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO member (community_id, user_id, display_name, is_facilitator,"
                " joined_at) VALUES (999, 'U1', 'ghost', 0, :now)"
            ),
            {"now": datetime(2027, 1, 1, tzinfo=UTC)},
        )
