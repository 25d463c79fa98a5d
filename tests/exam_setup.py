"""Shared setup for exam tests: the starter bank and its blueprints in the test database."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from app.models import Exam
from app.services import bank_io, exams
from app.timeutil import utcnow

BANK_DIR = Path(__file__).resolve().parent.parent / "question_bank"


def load_starter_bank(session: Session) -> None:
    report = bank_io.import_bank(session, None, bank_io.read_bank([BANK_DIR]))
    assert report.added, "the starter bank imports"


def open_exam(
    session: Session,
    *,
    blueprint: str = "practice",
    kind: str = "practice",
    staff_nos: tuple[str, ...] = (),
    unit_ids: tuple[int, ...] = (),
    everyone: bool = False,
    opens: datetime | None = None,
    hours: float = 2,
    attempts: int = 1,
    review: str = "after_submit",
    original: int | None = None,
    time_limit: int | None = None,
    title: str = "测试考试",
) -> Exam:
    opens_at = opens or utcnow() - timedelta(minutes=5)
    return exams.open_exam(
        session,
        None,
        exams.ExamRequest(
            blueprint_id=blueprint,
            title=title,
            kind=kind,
            opens_at=opens_at,
            closes_at=opens_at + timedelta(hours=hours),
            rule=exams.EligibilityRule(everyone, unit_ids, (), (), staff_nos),
            attempts_allowed=attempts,
            review_policy=review,
            original_exam_id=original,
            time_limit_minutes=time_limit,
        ),
    )
