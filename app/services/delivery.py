"""Taking an exam: the paper as the candidate sees it, saving answers, submitting, results.

Rules kept here, each enforced where a race cannot break it:
- every acknowledged save is committed before the reply;
- a save with a lower seq than the stored one changes nothing (two tabs);
- saves after the deadline plus the grace are refused, and an attempt past
  its deadline is graded on what was saved, lazily on any access;
- an attempt is graded once: the move out of in_progress is a conditional
  UPDATE, so of twenty simultaneous submits exactly one grades.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from flask_babel import gettext
from sqlalchemy import JSON, exists, func, literal, select, update
from sqlalchemy.orm import Session

from app.domain.attempts import accepts_saves, paper_from_json
from app.domain.grading import (
    AnswerKey,
    GradeResult,
    displayed_keys,
    grade,
    invalid_choice,
    to_displayed,
)
from app.domain.papers import Paper, PaperItem
from app.domain.scores import to_decimal
from app.models import Answer, Attempt, Cadre, Exam, Question, QuestionVersion
from app.services import audit
from app.services.errors import InvalidInput, NotFound, ServiceError
from app.timeutil import utcnow


class AttemptClosed(ServiceError):
    code = "attempt_closed"


class InvalidChoice(ServiceError):
    code = "invalid_choice"


# ---- finding attempts ---------------------------------------------------------------------


def own_attempt(session: Session, attempt_id: int, cadre_id: int | None) -> Attempt:
    """The attempt if it belongs to the cadre; NotFound for anyone else's (no hint it exists)."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or cadre_id is None or attempt.cadre_id != cadre_id:
        raise NotFound("not_found")
    return attempt


def versions_of(session: Session, paper: Paper) -> dict[int, QuestionVersion]:
    ids = [item.version_id for item in paper.items]
    return {
        v.id: v for v in session.scalars(select(QuestionVersion).where(QuestionVersion.id.in_(ids)))
    }


# ---- what the candidate sees --------------------------------------------------------------


def options_shown(item: PaperItem, version: QuestionVersion) -> list[dict[str, str]]:
    """The options in this candidate's order, labelled with displayed letters."""
    if version.type == "judge":
        # A judge item always reads A 正确 / B 错误 (True / False), never shuffled.
        return [{"key": "A", "text": gettext("True")}, {"key": "B", "text": gettext("False")}]
    texts = dict((key, text) for key, text in version.options)
    return [
        {"key": shown, "text": texts[original]}
        for shown, original in zip(
            displayed_keys(item, version.type), item.option_order, strict=True
        )
    ]


def paper_view(session: Session, attempt: Attempt) -> list[dict[str, Any]]:
    """Sections and items without keys, explanations or the canonical option order."""
    paper = paper_from_json(attempt.paper)
    versions = versions_of(session, paper)
    sections = []
    position = 0
    for section in paper.sections:
        items = []
        for item in section.items:
            position += 1
            version = versions[item.version_id]
            items.append(
                {
                    "position": position,
                    "type": version.type,
                    "stem": version.stem,
                    "options": options_shown(item, version),
                }
            )
        sections.append(
            {
                "title": section.title,
                "type": section.type,
                "points": _number(section.points),
                "items": items,
            }
        )
    return sections


def saved_answers(session: Session, attempt: Attempt) -> dict[str, dict[str, Any]]:
    return {
        str(answer.position): {
            "choice": list(answer.choice),
            "seq": answer.seq,
            "flagged": answer.flagged,
        }
        for answer in session.scalars(select(Answer).where(Answer.attempt_id == attempt.id))
    }


def _number(value: Fraction) -> int | float:
    return value.numerator if value.denominator == 1 else float(value)


# ---- time ---------------------------------------------------------------------------------


def finalize_if_expired(
    session: Session, attempt: Attempt, grace_seconds: int, now: datetime | None = None
) -> bool:
    """Grade an attempt whose time is up, on what was saved; True when it was closed now."""
    now = now or utcnow()
    if attempt.status != "in_progress" or accepts_saves(now, attempt.deadline, grace_seconds):
        return False
    return finish(session, attempt, "expired", now)


def close_expired(
    session: Session, grace_seconds: int, now: datetime | None = None, exam_id: int | None = None
) -> int:
    """Grade every attempt (of one exam, if given) whose deadline and grace have passed;
    return how many."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=grace_seconds)
    late = select(Attempt.id).where(Attempt.status == "in_progress", Attempt.deadline < cutoff)
    if exam_id is not None:
        late = late.where(Attempt.exam_id == exam_id)
    ids = session.scalars(late).all()
    closed = 0
    for attempt_id in ids:
        attempt = session.get(Attempt, attempt_id)
        if attempt is not None and finish(session, attempt, "expired", now):
            closed += 1
    return closed


# ---- saving -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaveOutcome:
    position: int
    choice: list[str]
    seq: int
    applied: bool  # False when a newer save (higher seq) was already stored


def save_answer(
    session: Session,
    attempt: Attempt,
    position: int,
    choice: list[str],
    seq: int,
    grace_seconds: int,
    flagged: bool | None = None,
    now: datetime | None = None,
) -> SaveOutcome:
    """Store one answer if its seq is newer; committed before this returns."""
    now = now or utcnow()
    if finalize_if_expired(session, attempt, grace_seconds, now) or attempt.status != "in_progress":
        raise AttemptClosed("attempt_closed")
    paper = paper_from_json(attempt.paper)
    items = paper.items
    if not 1 <= position <= len(items):
        raise NotFound("not_found")
    item = items[position - 1]
    question_type = next(s.type for s in paper.sections if item in s.items)
    problem = invalid_choice(item, question_type, choice)
    if problem:
        raise InvalidChoice("invalid_choice", reason=problem)
    # Hold the attempt row (PostgreSQL) so a submit cannot slip in between the
    # status check and the write; SQLite serialises writers on its own.
    session.execute(select(Attempt.id).where(Attempt.id == attempt.id).with_for_update(read=True))
    applied = _upsert_answer(session, attempt.id, position, choice, seq, flagged, now)
    session.commit()
    if not applied:
        session.refresh(attempt)
        if attempt.status != "in_progress":
            raise AttemptClosed("attempt_closed")
    current = session.get(Answer, (attempt.id, position), populate_existing=True)
    assert current is not None
    return SaveOutcome(position, list(current.choice), current.seq, applied)


def _upsert_answer(
    session: Session,
    attempt_id: int,
    position: int,
    choice: list[str],
    seq: int,
    flagged: bool | None,
    now: datetime,
) -> bool:
    """Insert or raise the answer in one statement, only while the attempt is open and
    only over an older seq; True when a row was written."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    still_open = exists().where(Attempt.id == attempt_id, Attempt.status == "in_progress")
    row = select(
        literal(attempt_id),
        literal(position),
        literal(choice, JSON),
        literal(seq),
        literal(bool(flagged)),
        literal(now),
    ).where(still_open)
    statement = upsert(Answer).from_select(
        ["attempt_id", "position", "choice", "seq", "flagged", "saved_at"], row
    )
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["attempt_id", "position"],
        set_={
            "choice": excluded.choice,
            "seq": excluded.seq,
            "saved_at": excluded.saved_at,
            "flagged": Answer.flagged if flagged is None else excluded.flagged,
        },
        where=Answer.seq < excluded.seq,
    )
    # SQLAlchemy keeps an INSERT's rowcount only when asked (psycopg reports -1 otherwise).
    return session.execute(statement.execution_options(preserve_rowcount=True)).rowcount == 1


# ---- submitting and grading ---------------------------------------------------------------


def keys_for(session: Session, paper: Paper) -> dict[int, AnswerKey]:
    return {
        vid: AnswerKey(v.type, v.answer if isinstance(v.answer, bool) else tuple(v.answer))
        for vid, v in versions_of(session, paper).items()
    }


def choices_of(session: Session, attempt: Attempt) -> dict[int, list[str]]:
    return {
        answer.position: list(answer.choice)
        for answer in session.scalars(select(Answer).where(Answer.attempt_id == attempt.id))
    }


def finish(session: Session, attempt: Attempt, status: str, now: datetime | None = None) -> bool:
    """Close and grade the attempt exactly once; True for the call that did it."""
    now = now or utcnow()
    moved = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == "in_progress")
        .values(status=status, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        session.rollback()
        session.refresh(attempt)
        return False
    paper = paper_from_json(attempt.paper)
    result = grade(
        paper,
        keys_for(session, paper),
        choices_of(session, attempt),
        Fraction(attempt.paper["pass_score"]),
    )
    _store_result(attempt, result, now)
    session.commit()
    session.refresh(attempt)
    return True


def _store_result(attempt: Attempt, result: GradeResult, now: datetime) -> None:
    attempt.score = to_decimal(result.score)
    attempt.max_score = to_decimal(result.max_score)
    attempt.passed = result.passed
    attempt.section_scores = [
        {"title": s.title, "score": str(s.score), "max_score": str(s.max_score)}
        for s in result.sections
    ]
    attempt.item_scores = [str(item.earned) for item in result.items]
    attempt.graded_at = now


def submit(
    session: Session, attempt: Attempt, grace_seconds: int, now: datetime | None = None
) -> Attempt:
    """Finish the attempt (idempotent): submitted in time, or expired when late."""
    now = now or utcnow()
    if attempt.status == "in_progress":
        late = not accepts_saves(now, attempt.deadline, grace_seconds)
        finish(session, attempt, "expired" if late else "submitted", now)
    return attempt


# ---- results and review -------------------------------------------------------------------


def review_allowed(attempt: Attempt, exam: Exam, now: datetime | None = None) -> bool:
    """Whether the candidate may see keys and explanations for this attempt now."""
    now = now or utcnow()
    if attempt.status == "in_progress":
        return False
    if exam.review_policy == "after_submit":
        return True
    if exam.review_policy == "after_close":
        return now >= exam.closes_at
    return False


def result_view(session: Session, attempt: Attempt, now: datetime | None = None) -> dict[str, Any]:
    """Score, pass/fail and sections; answers with keys only when review is allowed."""
    if attempt.status == "in_progress":
        raise InvalidInput("attempt_in_progress")
    exam = attempt.exam
    data: dict[str, Any] = {
        "id": attempt.id,
        "status": attempt.status,
        "score": _decimal_number(attempt.score),
        "max_score": _decimal_number(attempt.max_score),
        "pass_score": _number(Fraction(attempt.paper["pass_score"])),
        "passed": attempt.passed,
        "sections": [
            {
                "title": s["title"],
                "score": _number(Fraction(s["score"])),
                "max_score": _number(Fraction(s["max_score"])),
            }
            for s in attempt.section_scores or []
        ],
        "review_allowed": review_allowed(attempt, exam, now),
    }
    if data["review_allowed"]:
        data["review"] = review_items(session, attempt)
    return data


def _decimal_number(value: object) -> int | float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return int(number) if number.is_integer() else number


def review_items(session: Session, attempt: Attempt) -> list[dict[str, Any]]:
    paper = paper_from_json(attempt.paper)
    versions = versions_of(session, paper)
    choices = choices_of(session, attempt)
    keys = keys_for(session, paper)
    result = grade(paper, keys, choices, Fraction(attempt.paper["pass_score"]))
    rows = []
    for item, item_result in zip(paper.items, result.items, strict=True):
        version = versions[item.version_id]
        rows.append(
            {
                "position": item_result.position,
                "type": version.type,
                "stem": version.stem,
                "options": options_shown(item, version),
                "choice": choices.get(item_result.position, []),
                "key": list(to_displayed(item, keys[item.version_id].answer)),
                "earned": _number(item_result.earned),
                "points": _number(item_result.points),
                "correct": item_result.correct,
                "explanation": version.explanation,
                "law": version.law.title if version.law else "",
                "article": version.article,
            }
        )
    return rows


# ---- listing ------------------------------------------------------------------------------


def exams_for(session: Session, cadre: Cadre) -> list[tuple[Exam, Attempt | None]]:
    """The cadre's exams (not exempted), each with its latest attempt."""
    from app.models import ExamCandidate

    rows = (
        session.execute(
            select(Exam)
            .join(ExamCandidate, ExamCandidate.exam_id == Exam.id)
            .where(ExamCandidate.cadre_id == cadre.id, ExamCandidate.exempt_reason == "")
            .order_by(Exam.opens_at.desc(), Exam.id.desc())
        )
        .scalars()
        .all()
    )
    latest = {}
    for attempt in session.scalars(
        select(Attempt).where(Attempt.cadre_id == cadre.id).order_by(Attempt.number)
    ):
        latest[attempt.exam_id] = attempt
    return [(exam, latest.get(exam.id)) for exam in rows]


def finished_attempts(session: Session, cadre: Cadre) -> list[Attempt]:
    """Every graded attempt of the cadre, newest first: the candidate's results history."""
    return list(
        session.scalars(
            select(Attempt)
            .where(Attempt.cadre_id == cadre.id, Attempt.status != "in_progress")
            .order_by(Attempt.finished_at.desc(), Attempt.id.desc())
        )
    )


def attempts_used(session: Session, exam: Exam, cadre: Cadre) -> int:
    return (
        session.scalar(
            select(func.count()).where(Attempt.exam_id == exam.id, Attempt.cadre_id == cadre.id)
        )
        or 0
    )


# ---- regrading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RegradeChange:
    attempt_id: int
    staff_no: str
    name: str
    old_score: float
    new_score: float
    old_passed: bool
    new_passed: bool


def regrade_exam(
    session: Session, actor_id: int | None, exam: Exam, *, dry_run: bool, ip: str = ""
) -> list[RegradeChange]:
    """Grade the exam's finished attempts again with each question's current key.

    A paper keeps the wording the candidate saw; only the key may come from a
    newer version, and only when that version has the same options.
    """
    changes = []
    attempts = session.scalars(
        select(Attempt).where(Attempt.exam_id == exam.id, Attempt.status != "in_progress")
    ).all()
    for attempt in attempts:
        paper = paper_from_json(attempt.paper)
        keys = _corrected_keys(session, paper)
        result = grade(
            paper, keys, choices_of(session, attempt), Fraction(attempt.paper["pass_score"])
        )
        new_score = to_decimal(result.score)
        if new_score == attempt.score and result.passed == attempt.passed:
            continue
        changes.append(
            RegradeChange(
                attempt.id,
                attempt.cadre.staff_no,
                attempt.cadre.name,
                float(attempt.score or 0),
                float(new_score),
                bool(attempt.passed),
                result.passed,
            )
        )
        if not dry_run:
            _store_result(attempt, result, attempt.graded_at or utcnow())
            audit.record(
                session,
                actor_id,
                "attempt.regrade",
                "attempt",
                attempt.id,
                ip=ip,
                score=[str(changes[-1].old_score), str(new_score)],
                passed=[changes[-1].old_passed, result.passed],
            )
    if dry_run:
        session.rollback()
    else:
        audit.record(
            session, actor_id, "exam.regrade", "exam", exam.id, ip=ip, changed=len(changes)
        )
        session.commit()
    return changes


def _corrected_keys(session: Session, paper: Paper) -> dict[int, AnswerKey]:
    drawn = versions_of(session, paper)
    current = {
        q.id: q.current
        for q in session.scalars(
            select(Question).where(Question.id.in_({item.question_id for item in paper.items}))
        )
    }
    keys = {}
    for item in paper.items:
        old = drawn[item.version_id]
        new = current.get(item.question_id) or old
        # The same letters with other texts are other options: the candidate read the old ones.
        same_options = [list(o) for o in new.options] == [list(o) for o in old.options]
        source = new if same_options and new.type == old.type else old
        answer = source.answer
        keys[item.version_id] = AnswerKey(
            old.type, answer if isinstance(answer, bool) else tuple(answer)
        )
    return keys
