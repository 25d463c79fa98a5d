"""Cadre records for HR: the roster searched and filtered, and one cadre's exam history.

Everything here takes the reader's Scope: a unit-scoped HR account finds only
cadres whose unit lies in its subtree, and a cadre outside it is NotFound.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app.models import Appointment, Attempt, Cadre, Exam, ExamCandidate, Unit, User
from app.services import appointments
from app.services.errors import NotFound
from app.services.hr_scope import contains, unit_labels
from app.services.reports import FINISHED, Scope


@dataclass(frozen=True)
class RosterFilter:
    """What HR searches the roster by; empty fields do not filter."""

    text: str = ""  # a fragment of the name or the staff number
    unit_id: int | None = None  # this unit and its subunits
    category: str = ""
    rank: str = ""
    position: str = ""


@dataclass(frozen=True)
class LatestResult:
    exam_title: str
    kind: str
    finished_at: datetime | None
    score: float | None
    passed: bool | None


@dataclass(frozen=True)
class RosterRow:
    cadre: Cadre
    unit: str  # the unit's full path of names
    latest: LatestResult | None  # the newest finished sitting that counts (not practice)


@dataclass(frozen=True)
class RosterFacets:
    ranks: list[str]
    positions: list[str]


def _roster_statement(session: Session, scope: Scope, criteria: RosterFilter) -> Select:
    statement = select(Cadre).where(scope.unit_filter(Cadre.unit_id))
    if criteria.unit_id is not None:
        unit = session.get(Unit, criteria.unit_id)
        if unit is None:
            raise NotFound("unit_not_found", unit_id=criteria.unit_id)
        statement = statement.where(Scope(unit).unit_filter(Cadre.unit_id))
    text = criteria.text.strip()
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(Cadre.name.ilike(pattern, escape="\\"), Cadre.staff_no.ilike(pattern, escape="\\"))
        )
    if criteria.category:
        statement = statement.where(Cadre.category == criteria.category)
    if criteria.rank:
        statement = statement.where(Cadre.rank == criteria.rank)
    if criteria.position:
        statement = statement.where(Cadre.position == criteria.position)
    return statement


def _latest_results(session: Session, cadre_ids: list[int]) -> dict[int, LatestResult]:
    """Each cadre's newest finished attempt outside practice, in one query."""
    if not cadre_ids:
        return {}
    rows = session.execute(
        select(
            Attempt.cadre_id,
            Exam.title,
            Exam.kind,
            Attempt.finished_at,
            Attempt.score,
            Attempt.passed,
        )
        .join(Exam, Exam.id == Attempt.exam_id)
        .where(
            Attempt.cadre_id.in_(cadre_ids),
            Attempt.status.in_(FINISHED),
            Exam.kind != "practice",
        )
        .order_by(Attempt.cadre_id, Attempt.finished_at, Attempt.id)
    ).all()
    latest: dict[int, LatestResult] = {}
    for cadre_id, title, kind, finished_at, score, passed in rows:
        latest[cadre_id] = LatestResult(
            title, kind, finished_at, float(score) if score is not None else None, passed
        )
    return latest


def search_cadres(
    session: Session, scope: Scope, criteria: RosterFilter, page: int = 1, per_page: int = 50
) -> tuple[list[RosterRow], int]:
    """One page of the cadres matching `criteria` inside `scope`, and how many match."""
    statement = _roster_statement(session, scope, criteria)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    cadres = list(
        session.scalars(
            statement.order_by(Cadre.staff_no).limit(per_page).offset((max(page, 1) - 1) * per_page)
        )
    )
    return _rows(session, cadres), total


def all_cadres(session: Session, scope: Scope, criteria: RosterFilter) -> list[RosterRow]:
    """Every cadre matching `criteria` inside `scope` (for the export)."""
    cadres = list(
        session.scalars(_roster_statement(session, scope, criteria).order_by(Cadre.staff_no))
    )
    return _rows(session, cadres)


def _rows(session: Session, cadres: list[Cadre]) -> list[RosterRow]:
    labels = unit_labels(session)
    latest = _latest_results(session, [c.id for c in cadres])
    return [RosterRow(c, labels.get(c.unit_id, ""), latest.get(c.id)) for c in cadres]


def roster_facets(session: Session, scope: Scope) -> RosterFacets:
    """The ranks and positions found on the roster in scope, for the filter lists."""

    def distinct(column) -> list[str]:
        return [
            value
            for value in session.scalars(
                select(column).where(scope.unit_filter(Cadre.unit_id)).distinct().order_by(column)
            )
            if value
        ]

    return RosterFacets(distinct(Cadre.rank), distinct(Cadre.position))


def roster_counts(session: Session, scope: Scope) -> dict[str, object]:
    """Cadres in scope in total and by category, and the units the scope covers."""
    by_category = dict(
        session.execute(
            select(Cadre.category, func.count())
            .where(scope.unit_filter(Cadre.unit_id))
            .group_by(Cadre.category)
        ).all()
    )
    units = select(func.count()).select_from(Unit)
    if scope.unit is not None:
        units = units.where(Unit.path.startswith(scope.unit.path))
    accounts = select(func.count(User.id)).join(Cadre, Cadre.id == User.cadre_id)
    return {
        "cadres": sum(by_category.values()),
        "by_category": by_category,
        "units": session.scalar(units) or 0,
        "accounts": session.scalar(accounts.where(scope.unit_filter(Cadre.unit_id))) or 0,
    }


# ---- one cadre ----------------------------------------------------------------------------


def get_cadre(session: Session, cadre_id: int, scope: Scope) -> Cadre:
    """The cadre, or NotFound when there is none or it lies outside `scope`."""
    cadre = session.get(Cadre, cadre_id)
    if cadre is None or not contains(scope, cadre.unit):
        raise NotFound("cadre_not_found", staff_no=str(cadre_id))
    return cadre


def find_cadre(session: Session, staff_no: str, scope: Scope) -> Cadre:
    """The cadre with this staff number inside `scope`, or NotFound."""
    cadre = session.scalar(select(Cadre).where(Cadre.staff_no == staff_no.strip()))
    if cadre is None or not contains(scope, cadre.unit):
        raise NotFound("cadre_not_found", staff_no=staff_no.strip())
    return cadre


@dataclass(frozen=True)
class Sitting:
    """One exam the cadre was eligible for, with every attempt made at it."""

    exam: Exam
    original: Exam | None  # for a make-up: the exam it makes up for
    unit: str  # where the cadre was counted when the exam opened
    exempt_reason: str
    exempted_at: datetime | None
    attempts: list[Attempt]

    @property
    def best(self) -> Attempt | None:
        finished = [a for a in self.attempts if a.status in FINISHED and a.score is not None]
        return max(finished, key=lambda a: (a.passed is True, a.score)) if finished else None

    @property
    def passed(self) -> bool:
        return any(a.passed for a in self.attempts if a.status in FINISHED)


@dataclass(frozen=True)
class CadreRecord:
    cadre: Cadre
    unit: str
    sittings: list[Sitting]
    cases: list[Appointment]

    @property
    def pre_appointment(self) -> list[Sitting]:
        """Pre-appointment sittings and their make-ups, newest first."""
        return [
            s
            for s in self.sittings
            if s.exam.kind == "pre_appointment"
            or (s.original is not None and s.original.kind == "pre_appointment")
        ]

    @property
    def passed_pre_appointment(self) -> bool | None:
        """True once passed, False when sat and never passed, None when never sat."""
        sittings = self.pre_appointment
        if any(s.passed for s in sittings):
            return True
        if any(s.best is not None for s in sittings):
            return False
        return None


def cadre_record(
    session: Session, cadre: Cadre, make_ups_allowed: int, now: datetime | None = None
) -> CadreRecord:
    """Every exam the cadre was eligible for, each attempt, and the appointment cases
    (their states brought up to date first)."""
    rows = session.execute(
        select(ExamCandidate, Exam)
        .join(Exam, Exam.id == ExamCandidate.exam_id)
        .where(ExamCandidate.cadre_id == cadre.id)
        .order_by(Exam.opens_at.desc(), Exam.id.desc())
    ).all()
    attempts: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in session.scalars(
        select(Attempt).where(Attempt.cadre_id == cadre.id).order_by(Attempt.number)
    ):
        attempts[attempt.exam_id].append(attempt)
    originals = {
        exam.id: exam
        for exam in session.scalars(
            select(Exam).where(
                Exam.id.in_([e.original_exam_id for _, e in rows if e.original_exam_id])
            )
        )
    }
    labels = unit_labels(session)
    sittings = [
        Sitting(
            exam,
            originals.get(exam.original_exam_id) if exam.original_exam_id else None,
            labels.get(candidate.unit_id, ""),
            candidate.exempt_reason,
            candidate.exempted_at,
            attempts.get(exam.id, []),
        )
        for candidate, exam in rows
    ]
    cases = list(
        session.scalars(
            select(Appointment)
            .where(Appointment.cadre_id == cadre.id)
            .order_by(Appointment.created_at.desc(), Appointment.id.desc())
        )
    )
    appointments.refresh_cases(session, cases, make_ups_allowed, now)
    return CadreRecord(cadre, labels.get(cadre.unit_id, ""), sittings, cases)
