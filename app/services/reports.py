"""Participation and pass rates, per exam and per year, rolled up the unit tree.

Figures are counted in the database (one grouped query per report); only the
per-unit totals come back to Python, where they are summed up the tree.

Definitions (what HR is asked for):
- eligible (应考): cadres the exam was opened for, less the exempted (免考);
- sat (实考): eligible cadres with a finished attempt (submitted or expired);
- passed: cadres with a passed attempt; a pass in a make-up counts for its
  original exam in the year report;
- participation rate = sat / eligible; pass rate = passed / sat;
- mean score: of each sitter's best score.
A cadre is counted in the unit they belonged to when the exam opened.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from app.domain.analysis import EMPTY, Participation
from app.models import Attempt, Cadre, Exam, ExamCandidate, Unit
from app.timeutil import local_midnight_as_utc

FINISHED = ("submitted", "expired")


@dataclass(frozen=True)
class Scope:
    """The unit subtree a reader may see; None means everything."""

    unit: Unit | None = None

    def unit_filter(self, unit_column):
        if self.unit is None:
            return literal(True)
        return unit_column.in_(select(Unit.id).where(Unit.path.startswith(self.unit.path)))


def _per_cadre(exam_ids: list[int], attempt_exam_ids: list[int], scope: Scope):
    """One row per eligible cadre: unit, sat (0/1), passed (0/1), best score."""
    finished = Attempt.status.in_(FINISHED)
    return (
        select(
            ExamCandidate.cadre_id.label("cadre_id"),
            func.min(ExamCandidate.unit_id).label("unit_id"),
            func.max(case((finished, 1), else_=0)).label("sat"),
            func.max(case((and_(finished, Attempt.passed.is_(True)), 1), else_=0)).label("passed"),
            func.max(case((finished, Attempt.score), else_=None)).label("best"),
        )
        .select_from(ExamCandidate)
        .outerjoin(
            Attempt,
            and_(Attempt.cadre_id == ExamCandidate.cadre_id, Attempt.exam_id.in_(attempt_exam_ids)),
        )
        .where(
            ExamCandidate.exam_id.in_(exam_ids),
            ExamCandidate.exempt_reason == "",
            scope.unit_filter(ExamCandidate.unit_id),
        )
        .group_by(ExamCandidate.cadre_id)
        .subquery()
    )


def participation_by(
    session: Session,
    exam_ids: list[int],
    attempt_exam_ids: list[int],
    scope: Scope,
    group: str = "unit",
) -> dict[object, Participation]:
    """Participation grouped by unit id, category or rank."""
    if not exam_ids:
        return {}
    per_cadre = _per_cadre(exam_ids, attempt_exam_ids, scope)
    if group == "unit":
        key = per_cadre.c.unit_id
        statement = select(
            key,
            func.count(),
            func.sum(per_cadre.c.sat),
            func.sum(per_cadre.c.passed),
            func.sum(per_cadre.c.best),
        )
    else:
        key = Cadre.category if group == "category" else Cadre.rank
        statement = select(
            key,
            func.count(),
            func.sum(per_cadre.c.sat),
            func.sum(per_cadre.c.passed),
            func.sum(per_cadre.c.best),
        ).join(Cadre, Cadre.id == per_cadre.c.cadre_id)
    rows = session.execute(statement.group_by(key)).all()
    return {
        value: Participation(count, int(sat or 0), int(passed or 0), float(best or 0))
        for value, count, sat, passed, best in rows
    }


@dataclass(frozen=True)
class UnitLine:
    unit: Unit
    depth: int
    own: Participation  # cadres placed directly in this unit
    total: Participation  # this unit and everything below it


def roll_up(
    session: Session, direct: dict[object, Participation], root: Unit | None = None
) -> list[UnitLine]:
    """Every unit (under `root`, or the whole tree) with its own and its subtree's figures,
    in tree order; units with no eligible cadre anywhere below are left out."""
    units = list(session.scalars(select(Unit).order_by(Unit.path)))
    by_id = {unit.id: unit for unit in units}
    totals: dict[int, Participation] = defaultdict(lambda: EMPTY)
    for unit_id, figures in direct.items():
        unit = by_id.get(unit_id)  # type: ignore[arg-type]
        if unit is None:
            continue
        for ancestor_id in (int(part) for part in unit.path.strip("/").split("/")):
            totals[ancestor_id] = totals[ancestor_id] + figures
    children: dict[int | None, list[Unit]] = defaultdict(list)
    for unit in units:
        children[unit.parent_id].append(unit)
    lines: list[UnitLine] = []

    def walk(unit: Unit, depth: int) -> None:
        if totals[unit.id].eligible == 0:
            return
        lines.append(UnitLine(unit, depth, direct.get(unit.id, EMPTY), totals[unit.id]))
        for child in sorted(children[unit.id], key=lambda u: u.name):
            walk(child, depth + 1)

    starts = [root] if root is not None else sorted(children[None], key=lambda u: u.name)
    for start in starts:
        walk(start, 0)
    return lines


def overall(direct: dict[object, Participation]) -> Participation:
    total = EMPTY
    for figures in direct.values():
        total = total + figures
    return total


@dataclass(frozen=True)
class Absentee:
    staff_no: str
    name: str
    unit: str
    position: str
    category: str


def absentees(
    session: Session, exam_ids: list[int], attempt_exam_ids: list[int], scope: Scope
) -> list[Absentee]:
    """Eligible, not exempted cadres with no finished attempt, by unit and staff number."""
    per_cadre = _per_cadre(exam_ids, attempt_exam_ids, scope)
    rows = session.execute(
        select(Cadre.staff_no, Cadre.name, Unit.name, Cadre.position, Cadre.category)
        .join(per_cadre, per_cadre.c.cadre_id == Cadre.id)
        .join(Unit, Unit.id == per_cadre.c.unit_id)
        .where(per_cadre.c.sat == 0)
        .order_by(Unit.name, Cadre.staff_no)
    ).all()
    return [Absentee(*row) for row in rows]


def make_ups_of(session: Session, exam_ids: list[int]) -> list[int]:
    """Every make-up exam opened (directly or in a chain) for these exams."""
    found: list[int] = []
    frontier = list(exam_ids)
    while frontier:
        frontier = list(session.scalars(select(Exam.id).where(Exam.original_exam_id.in_(frontier))))
        found.extend(frontier)
    return found


def year_exams(session: Session, year: int, timezone: str) -> list[int]:
    """The annual exams that opened in `year` (a local calendar year)."""
    start = local_midnight_as_utc(datetime(year, 1, 1).date(), timezone)
    end = local_midnight_as_utc(datetime(year + 1, 1, 1).date(), timezone)
    return list(
        session.scalars(
            select(Exam.id)
            .where(Exam.kind == "annual", Exam.opens_at >= start, Exam.opens_at < end)
            .order_by(Exam.opens_at)
        )
    )


def exam_score_list(session: Session, exam_id: int, scope: Scope) -> list[float]:
    """Each sitter's best finished score on one exam (for the distribution chart)."""
    rows = (
        session.execute(
            select(func.max(Attempt.score))
            .join(
                ExamCandidate,
                and_(
                    ExamCandidate.exam_id == Attempt.exam_id,
                    ExamCandidate.cadre_id == Attempt.cadre_id,
                ),
            )
            .where(
                Attempt.exam_id == exam_id,
                Attempt.status.in_(FINISHED),
                ExamCandidate.exempt_reason == "",
                scope.unit_filter(ExamCandidate.unit_id),
            )
            .group_by(Attempt.cadre_id)
        )
        .scalars()
        .all()
    )
    return [float(score) for score in rows if score is not None]


def visible_exams(session: Session, scope: Scope) -> list[Exam]:
    """Exams with at least one eligible cadre inside the scope, newest first."""
    statement = select(Exam).order_by(Exam.opens_at.desc())
    if scope.unit is not None:
        inside = select(ExamCandidate.exam_id).where(scope.unit_filter(ExamCandidate.unit_id))
        statement = statement.where(Exam.id.in_(inside))
    return list(session.scalars(statement))
