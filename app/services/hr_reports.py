"""HR's reports as one object each: an exam's, or a year's annual exams with their make-ups.

The figures come from app.services.reports (grouped queries, rolled up the unit
tree in Python); this module only gathers them for a page, an export or the
CLI, so that all three show the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.analysis import Distribution, Participation, describe, histogram
from app.models import Attempt, Exam, ExamCandidate
from app.services import reports
from app.services.errors import NotFound
from app.services.reports import Absentee, Scope, UnitLine
from app.timeutil import local_midnight_as_utc

HISTOGRAM_BINS = 10


@dataclass(frozen=True)
class ExamLine:
    """One exam of a year report with its own figures (make-ups included)."""

    exam: Exam
    figures: Participation


@dataclass(frozen=True)
class Report:
    title: str
    exams: list[Exam]  # the exams whose eligible cadres are counted
    make_up_ids: list[int]  # make-ups whose attempts count too
    scope: Scope
    total: Participation
    total_with_make_ups: Participation | None  # exam report only, when make-ups exist
    units: list[UnitLine]
    by_category: list[tuple[str, Participation]]
    by_rank: list[tuple[str, Participation]]
    absentees: list[Absentee]
    scores: Distribution
    histogram: list[tuple[float, int]]
    max_score: float
    exam_lines: list[ExamLine]

    @property
    def chart_units(self) -> list[UnitLine]:
        """The units one level below the top of the report, for the per-unit bars."""
        if not self.units:
            return []
        top = min(line.depth for line in self.units)
        tops = [line for line in self.units if line.depth == top]
        level = top + 1 if len(tops) == 1 else top
        return [line for line in self.units if line.depth == level] or tops

    def absentees_by_unit(self) -> list[tuple[str, list[Absentee]]]:
        grouped: dict[str, list[Absentee]] = {}
        for absentee in self.absentees:
            grouped.setdefault(absentee.unit, []).append(absentee)
        return list(grouped.items())


def visible_exam(session: Session, exam_id: int, scope: Scope) -> Exam:
    """The exam if it has an eligible cadre inside `scope`; NotFound otherwise."""
    exam = session.get(Exam, exam_id)
    if exam is None:
        raise NotFound("exam_not_found", exam_id=exam_id)
    if scope.unit is not None:
        inside = session.scalar(
            select(func.count())
            .select_from(ExamCandidate)
            .where(ExamCandidate.exam_id == exam.id, scope.unit_filter(ExamCandidate.unit_id))
        )
        if not inside:
            raise NotFound("exam_not_found", exam_id=exam_id)
    return exam


def _sorted_groups(direct: dict[object, Participation]) -> list[tuple[str, Participation]]:
    return sorted(((str(key or ""), value) for key, value in direct.items()), key=lambda kv: kv[0])


def _max_score(session: Session, exam_ids: list[int]) -> float:
    value = session.scalar(select(func.max(Attempt.max_score)).where(Attempt.exam_id.in_(exam_ids)))
    return float(value) if value else 100.0


def _build(
    session: Session,
    title: str,
    exams: list[Exam],
    make_up_ids: list[int],
    scope: Scope,
    scores: list[float],
    with_make_ups: bool,
) -> Report:
    exam_ids = [exam.id for exam in exams]
    counted = exam_ids + make_up_ids if with_make_ups else exam_ids
    direct = reports.participation_by(session, exam_ids, counted, scope)
    total = reports.overall(direct)
    extra = None
    if not with_make_ups and make_up_ids:
        extra = reports.overall(
            reports.participation_by(session, exam_ids, exam_ids + make_up_ids, scope)
        )
    maximum = _max_score(session, exam_ids) if exam_ids else 100.0
    return Report(
        title=title,
        exams=exams,
        make_up_ids=make_up_ids,
        scope=scope,
        total=total,
        total_with_make_ups=extra,
        units=reports.roll_up(session, direct, root=scope.unit),
        by_category=_sorted_groups(
            reports.participation_by(session, exam_ids, counted, scope, "category")
        ),
        by_rank=_sorted_groups(reports.participation_by(session, exam_ids, counted, scope, "rank")),
        absentees=reports.absentees(session, exam_ids, counted, scope) if exam_ids else [],
        scores=describe(scores),
        histogram=histogram(scores, maximum / HISTOGRAM_BINS, maximum),
        max_score=maximum,
        exam_lines=[],
    )


def exam_report(session: Session, exam: Exam, scope: Scope) -> Report:
    """One exam: its own attempts only; the total with its make-ups shown beside."""
    return _build(
        session,
        exam.title,
        [exam],
        reports.make_ups_of(session, [exam.id]),
        scope,
        reports.exam_score_list(session, exam.id, scope),
        with_make_ups=False,
    )


def year_report(session: Session, year: int, scope: Scope, timezone: str) -> Report:
    """The annual exams opened in `year`, a pass in a make-up counting for its exam."""
    exam_ids = reports.year_exams(session, year, timezone)
    exams = [session.get(Exam, exam_id) for exam_id in exam_ids]
    make_up_ids = reports.make_ups_of(session, exam_ids)
    scores = [s for exam_id in exam_ids for s in reports.exam_score_list(session, exam_id, scope)]
    report = _build(
        session,
        str(year),
        [e for e in exams if e is not None],
        make_up_ids,
        scope,
        scores,
        with_make_ups=True,
    )
    lines = []
    for exam in report.exams:
        own = [exam.id]
        counted = own + reports.make_ups_of(session, own)
        figures = reports.overall(reports.participation_by(session, own, counted, scope))
        if figures.eligible:
            lines.append(ExamLine(exam, figures))
    return replace(report, exam_lines=lines)


def report_years(session: Session, timezone: str) -> list[int]:
    """The years in which annual exams opened, newest first."""
    years = set()
    for opens_at in session.scalars(select(Exam.opens_at).where(Exam.kind == "annual")):
        for year in (opens_at.year, opens_at.year + 1):
            # Stored in UTC: the local new year may fall on the day before.
            start = local_midnight_as_utc(datetime(year, 1, 1).date(), timezone)
            end = local_midnight_as_utc(datetime(year + 1, 1, 1).date(), timezone)
            if start <= opens_at < end:
                years.add(year)
    return sorted(years, reverse=True)


def reportable_exams(session: Session, scope: Scope, kind: str = "") -> list[Exam]:
    """Exams with eligible cadres in scope (practice left out unless asked for), newest first."""
    exams = reports.visible_exams(session, scope)
    if kind:
        return [exam for exam in exams if exam.kind == kind]
    return [exam for exam in exams if exam.kind != "practice"]
