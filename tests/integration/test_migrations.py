"""`flask db upgrade` builds the schema on empty SQLite and PostgreSQL databases,
and the migrations describe exactly what the models declare."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError

from app import create_app
from app.db import Base, make_engine
from tests.conftest import _with_search_path

POSTGRES_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
EXPECTED_TABLES = set(Base.metadata.tables) | {"alembic_version"}


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    from app.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def upgrade_with_cli(url: str, tmp_path) -> None:
    app = create_app({"DATABASE_URL": url, "INSTANCE_DIR": str(tmp_path)})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert head_revision() in result.output
    app.extensions["db.engine"].dispose()


def assert_schema_matches_models(url: str) -> None:
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_upgrade_on_empty_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    upgrade_with_cli(url, tmp_path)
    assert_schema_matches_models(url)
    upgrade_with_cli(url, tmp_path)  # a second run is a no-op


@pytest.fixture
def empty_postgres_schema():
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.connect():
            pass
    except OperationalError as error:
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {error.orig}")
    schema = f"migrate_{uuid.uuid4().hex[:10]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _with_search_path(POSTGRES_URL, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_upgrade_on_empty_postgresql(empty_postgres_schema, tmp_path):
    upgrade_with_cli(empty_postgres_schema, tmp_path)
    assert_schema_matches_models(empty_postgres_schema)
