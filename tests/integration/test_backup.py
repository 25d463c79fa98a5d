"""Backup and restore: a restored database holds an attempt's answers exactly."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.db import make_engine
from app.models import Answer
from app.services import delivery, exams
from tests.exam_setup import load_starter_bank, open_exam
from tests.factories import CadreFactory


@pytest.fixture
def answered(db_session):
    """An attempt with three saved answers."""
    load_starter_bank(db_session)
    cadre = CadreFactory()
    exam = open_exam(db_session, staff_nos=(cadre.staff_no,))
    attempt, _ = exams.start_attempt(db_session, exam, cadre)
    for position, choice in ((1, ["B"]), (2, ["A"]), (12, ["A", "C"])):
        delivery.save_answer(db_session, attempt, position, choice, position, 10)
    return attempt.id, {1: ["B"], 2: ["A"], 12: ["A", "C"]}


def answers_in(url: str, attempt_id: int) -> dict[int, list[str]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(Answer.position, Answer.choice).where(Answer.attempt_id == attempt_id)
            ).all()
    finally:
        engine.dispose()
    return {position: list(choice) for position, choice in rows}


def test_backup_then_restore_into_a_fresh_database(app, answered, tmp_path):
    attempt_id, expected = answered
    url = app.config["DATABASE_URL"]
    runner = app.test_cli_runner()
    dump = tmp_path / "backup.dump"
    result = runner.invoke(args=["db", "backup", str(dump)])
    assert result.exit_code == 0, result.output
    assert dump.stat().st_size > 0

    if make_url(url).get_backend_name() == "sqlite":
        fresh_url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        restore_into(fresh_url, dump, tmp_path)
        assert answers_in(fresh_url, attempt_id) == expected
        return
    admin = make_engine(
        make_url(url).difference_update_query(["options"]).render_as_string(hide_password=False)
    )
    database = f"restore_{uuid.uuid4().hex[:10]}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        fresh_url = make_url(url).set(database=database).render_as_string(hide_password=False)
        restore_into(fresh_url, dump, tmp_path)
        assert answers_in(fresh_url, attempt_id) == expected
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def restore_into(url: str, dump, tmp_path) -> None:
    fresh = create_app({"DATABASE_URL": url, "INSTANCE_DIR": str(tmp_path / "fresh")})
    result = fresh.test_cli_runner().invoke(args=["db", "restore", str(dump)])
    fresh.extensions["db.engine"].dispose()
    assert result.exit_code == 0, result.output


def test_restore_refuses_a_database_that_holds_data(app, answered, tmp_path):
    attempt_id, expected = answered
    dump = tmp_path / "backup.dump"
    app.test_cli_runner().invoke(args=["db", "backup", str(dump)])
    result = app.test_cli_runner().invoke(args=["db", "restore", str(dump)])
    assert result.exit_code != 0
    # SQLite says the file holds data; pg_restore stops at the first existing table.
    assert "已有数据" in result.output or "pg_restore" in result.output
    assert answers_in(app.config["DATABASE_URL"], attempt_id) == expected
