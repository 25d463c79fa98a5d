"""Killed workers, short: gunicorn workers SIGKILLed under a save load lose nothing
acknowledged, and the negative control (a build that acknowledges before it
commits) does lose, so the check is shown to be able to fail.

The long version, with the numbers, is `python -m bench.kill_workers` (make bench).
These run gunicorn against the suite's database (SQLite file or PostgreSQL schema),
each in well under 30 s.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from app.web.api import views
from bench import kill_workers
from bench.load import seed


def test_killed_workers_lose_no_acknowledged_save(app, database_url: str) -> None:
    population = seed.populate(database_url, 8, migrate=False)
    outcome = kill_workers.run(
        database_url,
        population,
        control=False,
        seconds=6,
        candidates=8,
        pause=0.05,  # a few hundred saves, not thousands
        max_saves=2000,
        workers=3,
        threads=4,
    )
    assert outcome.kills >= 5, outcome.line()
    assert outcome.acknowledged >= 100, outcome.line()
    assert not outcome.fault_seen, "the production build must never inject the fault"
    assert not outcome.errors, outcome.errors[:5]
    assert outcome.verdict.lost == [], outcome.line()
    assert outcome.verdict.grading_problems == [], outcome.verdict.grading_problems[:5]
    assert outcome.verdict.graded == outcome.verdict.attempts == 8


def test_negative_control_acknowledging_before_commit_loses_saves(app, database_url: str) -> None:
    population = seed.populate(database_url, 8, migrate=False)
    outcome = kill_workers.run(
        database_url,
        population,
        control=True,
        seconds=20,
        candidates=8,
        # Two workers: on SQLite one transaction at a time holds the write lock, so each
        # kill has an even chance of hitting the worker with an acknowledged, uncommitted
        # save. The run stops at the first kill that lost one (a few seconds, as a rule).
        workers=2,
        threads=4,
        stop_on_loss=True,
    )
    assert outcome.fault_seen, "the control build did not inject the fault"
    assert outcome.kills >= 1, outcome.line()
    assert outcome.verdict.lost, f"the control lost nothing, so the test is blind: {outcome.line()}"


def test_fault_hook_is_never_honoured_in_production(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    monkeypatch.setenv("LAWEXAM_FAULT_ACK_BEFORE_COMMIT", "1")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", "fault-test")
    production = create_app("production")
    testing = create_app({"DATABASE_URL": database_url, "INSTANCE_DIR": str(tmp_path)})
    try:
        with production.test_request_context():
            assert views._hold_commit_for_fault_test() is None
        with testing.test_request_context():
            held = views._hold_commit_for_fault_test()
            assert held is not None
            held.close()
        monkeypatch.delenv("LAWEXAM_FAULT_ACK_BEFORE_COMMIT")
        with testing.test_request_context():
            assert views._hold_commit_for_fault_test() is None
    finally:
        production.extensions["db.engine"].dispose()
        testing.extensions["db.engine"].dispose()
