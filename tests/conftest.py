"""Fixtures: a migrated database per test session, emptied after every test.

Set TEST_DATABASE_URL to run against PostgreSQL; the suite then works in a
schema of its own, created here and dropped at the end, so a server holding
old data never breaks a run. Without it, SQLite in a temporary directory.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from app import create_app
from app.db import Base, make_engine
from app.migrate import upgrade
from tests import factories

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def _with_search_path(url: str, schema: str) -> str:
    parsed = make_url(url)
    return parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _with_search_path(server_url, schema)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _empty_tables(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    with engine.begin() as connection:
        # question and question_version point at each other; no delete order fits both,
        # so the checks wait for the commit.
        connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """A fresh app per test. No app context stays pushed, so each request gets its own."""
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "INSTANCE_DIR": str(tmp_path / "instance"),
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    engine = app.extensions["db.engine"]
    # The tests' own session, apart from the requests' sessions, as another client would be.
    session = Session(engine)
    factories.bind(session)
    app.extensions["tests.session"] = session
    yield app
    session.close()
    _empty_tables(engine)
    engine.dispose()


@pytest.fixture
def db_session(app: Flask) -> Session:
    """The session the factories write with; expire or refresh to see what requests did."""
    return app.extensions["tests.session"]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def csrf_token(client: FlaskClient, path: str = "/auth/login") -> str:
    """The CSRF token from a page's <meta> tag, as a browser script would read it."""
    response = client.get(path, follow_redirects=True)
    match = CSRF_META.search(response.get_data(as_text=True))
    assert match, f"no csrf-token meta tag on {path}"
    return match.group(1)


class Auth:
    """Sign a test client in and out through the real login form."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, username: str, password: str = factories.DEFAULT_PASSWORD, **extra: str):
        token = csrf_token(self.client)
        return self.client.post(
            "/auth/login",
            data={"username": username, "password": password, "csrf_token": token, **extra},
        )

    def logout(self):
        token = csrf_token(self.client, "/")
        return self.client.post("/auth/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


def post_form(
    client: FlaskClient,
    path: str,
    data: dict | None = None,
    page: str | None = None,
    **kwargs: object,
):
    """POST a form with a valid CSRF token taken from `page` (default: the same path)."""
    token = csrf_token(client, page or "/")
    return client.post(path, data={"csrf_token": token, **(data or {})}, **kwargs)
