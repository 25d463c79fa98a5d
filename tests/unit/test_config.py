"""Configuration read from the environment; production refuses to start half-configured."""

from __future__ import annotations

import pytest

from app import create_app
from config import ConfigError, DevelopmentConfig, ProductionConfig, config_for


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL"])
def test_production_refuses_to_start_without(monkeypatch, missing):
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db/lawexam")
    monkeypatch.delenv(missing)
    with pytest.raises(ConfigError) as refused:
        create_app("production")
    message = str(refused.value)
    assert missing in message
    assert "\n" not in message


def test_production_reads_the_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("QUESTION_BANK_DIR", "/srv/bank")
    settings = ProductionConfig.from_env()
    assert settings["SECRET_KEY"] == "s3cret"
    assert settings["QUESTION_BANK_DIR"] == "/srv/bank"
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_development_defaults_to_sqlite_and_a_persistent_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = DevelopmentConfig.from_env()
    second = DevelopmentConfig.from_env()
    assert first["DATABASE_URL"] == f"sqlite:///{tmp_path / 'lawexam.sqlite3'}"
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert len(str(first["SECRET_KEY"])) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_unknown_environment_name_is_refused(monkeypatch):
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(ConfigError, match="staging"):
        config_for()


def test_creating_the_app_creates_no_database(tmp_path):
    database = tmp_path / "never.sqlite3"
    create_app({"DATABASE_URL": f"sqlite:///{database}", "INSTANCE_DIR": str(tmp_path)})
    assert not database.exists()


def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path):
    from sqlalchemy import text

    from app.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
