"""Exemptions (免考): HR takes an eligible cadre out of an exam's eligible count, with a reason.

An exempted cadre is neither eligible (应考) nor absent, and may not start the
exam. Granting and lifting are both audited (exam.exempt, exam.exempt_lifted);
the row keeps who granted it and when. A cadre who has already started an
attempt cannot be exempted: their sitting is on record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Attempt, Cadre, Exam, ExamCandidate, Unit, User
from app.services import audit
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.hr_scope import contains
from app.services.reports import Scope
from app.timeutil import utcnow

REASON_LIMIT = 200


@dataclass(frozen=True)
class Exemption:
    cadre_id: int
    staff_no: str
    name: str
    unit: str
    reason: str
    granted_by: str
    granted_at: datetime | None


def _candidate(session: Session, exam: Exam, cadre: Cadre | None, scope: Scope) -> ExamCandidate:
    row = session.get(ExamCandidate, (exam.id, cadre.id)) if cadre is not None else None
    if row is None or not contains(scope, row.unit):
        raise NotFound("not_a_candidate", staff_no=cadre.staff_no if cadre else "")
    return row


def exempt(
    session: Session,
    actor_id: int | None,
    exam: Exam,
    staff_no: str,
    reason: str,
    scope: Scope,
    now: datetime | None = None,
    ip: str = "",
) -> ExamCandidate:
    """Exempt the cadre with `staff_no` from `exam`, giving a reason."""
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("exempt_reason_required")
    if len(reason) > REASON_LIMIT:
        raise InvalidInput("too_long", limit=REASON_LIMIT)
    cadre = session.scalar(select(Cadre).where(Cadre.staff_no == staff_no.strip()))
    if cadre is None:
        raise NotFound("not_a_candidate", staff_no=staff_no.strip())
    row = _candidate(session, exam, cadre, scope)
    if row.exempt_reason:
        raise Conflict("already_exempt", name=cadre.name)
    started = session.scalar(
        select(func.count()).where(Attempt.exam_id == exam.id, Attempt.cadre_id == cadre.id)
    )
    if started:
        raise Conflict("exempt_already_sat", name=cadre.name)
    row.exempt_reason = reason
    row.exempted_by_id = actor_id
    row.exempted_at = now or utcnow()
    audit.record(
        session,
        actor_id,
        "exam.exempt",
        "exam",
        exam.id,
        ip=ip,
        staff_no=cadre.staff_no,
        reason=reason,
    )
    session.commit()
    return row


def lift(
    session: Session, actor_id: int | None, exam: Exam, cadre_id: int, scope: Scope, ip: str = ""
) -> ExamCandidate:
    """Take back an exemption: the cadre counts as eligible again."""
    row = _candidate(session, exam, session.get(Cadre, cadre_id), scope)
    if not row.exempt_reason:
        raise Conflict("not_exempt", name=row.cadre.name)
    reason = row.exempt_reason
    row.exempt_reason = ""
    row.exempted_by_id = None
    row.exempted_at = None
    audit.record(
        session,
        actor_id,
        "exam.exempt_lifted",
        "exam",
        exam.id,
        ip=ip,
        staff_no=row.cadre.staff_no,
        reason=reason,
    )
    session.commit()
    return row


def exemptions(session: Session, exam: Exam, scope: Scope) -> list[Exemption]:
    """The exam's exempted cadres inside `scope`, by unit and staff number."""
    rows = session.execute(
        select(
            Cadre.id,
            Cadre.staff_no,
            Cadre.name,
            Unit.name,
            ExamCandidate.exempt_reason,
            User.username,
            ExamCandidate.exempted_at,
        )
        .join(Cadre, Cadre.id == ExamCandidate.cadre_id)
        .join(Unit, Unit.id == ExamCandidate.unit_id)
        .outerjoin(User, User.id == ExamCandidate.exempted_by_id)
        .where(
            ExamCandidate.exam_id == exam.id,
            ExamCandidate.exempt_reason != "",
            scope.unit_filter(ExamCandidate.unit_id),
        )
        .order_by(Unit.name, Cadre.staff_no)
    ).all()
    return [
        Exemption(cadre_id, staff_no, name, unit, reason, username or "", at)
        for cadre_id, staff_no, name, unit, reason, username, at in rows
    ]
