"""The law registry and the amendment watch.

When a law is marked amended or repealed, every approved question whose
current version cites it becomes `needs_review`: it leaves new papers and
waits in the review queue until an examiner re-approves or edits it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain import bank as core
from app.models import Law, Question, QuestionVersion
from app.services import audit
from app.services.errors import Conflict, InvalidInput, NotFound

LAW_CHANGED = "law_changed"


@dataclass(frozen=True)
class LawRow:
    law: Law
    questions: int
    approved: int
    needs_review: int


def list_laws(session: Session) -> list[LawRow]:
    """Every law with how many questions cite it, by state."""
    counts = session.execute(
        select(QuestionVersion.law_id, Question.status, func.count())
        .join(Question, Question.current_version_id == QuestionVersion.id)
        .group_by(QuestionVersion.law_id, Question.status)
    ).all()
    by_law: dict[str, dict[str, int]] = {}
    for law_id, status, count in counts:
        by_law.setdefault(law_id, {})[status] = count
    rows = []
    for law in session.scalars(select(Law).order_by(Law.id)):
        states = by_law.get(law.id, {})
        rows.append(
            LawRow(
                law, sum(states.values()), states.get("approved", 0), states.get("needs_review", 0)
            )
        )
    return rows


def get_law(session: Session, law_id: str) -> Law:
    law = session.get(Law, law_id)
    if law is None:
        raise NotFound("law_not_found", law_id=law_id)
    return law


def mark_law(
    session: Session,
    actor_id: int | None,
    law_id: str,
    status: str,
    *,
    successor: core.Law | None = None,
    ip: str = "",
) -> list[str]:
    """Mark a law amended or repealed (optionally adding its new version); flag its questions.

    Returns the ids of the questions sent to review.
    """
    if status not in ("amended", "repealed"):
        raise InvalidInput("bad_law_status", status=status)
    law = get_law(session, law_id)
    if successor is not None:
        if session.get(Law, successor.id) is not None:
            raise Conflict("law_exists", law_id=successor.id)
        session.add(
            Law(
                id=successor.id,
                title=successor.title,
                version=successor.version,
                effective=successor.effective,
                status="in_force",
            )
        )
        session.flush()
        law.replaced_by = successor.id
    law.status = status
    flagged = flag_questions_citing(session, law_id)
    audit.record(
        session,
        actor_id,
        f"law.{status}",
        "law",
        law_id,
        ip=ip,
        successor=successor.id if successor else None,
        flagged=len(flagged),
    )
    session.commit()
    return flagged


def flag_questions_citing(session: Session, law_id: str) -> list[str]:
    """Send approved questions whose current version cites `law_id` to review."""
    rows = session.scalars(
        select(Question)
        .join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
        .where(QuestionVersion.law_id == law_id, Question.status == "approved")
    ).all()
    for row in rows:
        row.status = "needs_review"
        row.review_reason = LAW_CHANGED
    return [row.id for row in rows]
