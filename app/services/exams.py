"""Exam sessions: opening them for a set of cadres, extensions, and starting attempts."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain.attempts import compute_deadline, paper_to_json
from app.domain.blueprints import EXAM_KINDS, blueprint_mapping
from app.domain.papers import InfeasibleBlueprint, draw_paper
from app.domain.scores import to_decimal
from app.models import Attempt, Cadre, Exam, ExamCandidate, Unit
from app.services import audit
from app.services.blueprints import get_blueprint, question_pool, to_blueprint
from app.services.errors import InvalidInput, NotFound, ServiceError
from app.timeutil import utcnow

REVIEW_POLICIES = ("never", "after_submit", "after_close")


class NotEligible(ServiceError):
    code = "not_eligible"


class ExamNotOpen(ServiceError):
    code = "exam_not_open"


class BlueprintInfeasible(ServiceError):
    """The pool cannot make this blueprint's papers; the shortfalls say where."""

    code = "blueprint_infeasible"

    def __init__(self, error: InfeasibleBlueprint) -> None:
        super().__init__(count=len(error.shortfalls))
        self.shortfalls = error.shortfalls


@dataclass(frozen=True)
class EligibilityRule:
    """Who may sit: everyone, or cadres in unit subtrees / categories / ranks, plus a list."""

    everyone: bool = False
    unit_ids: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()
    ranks: tuple[str, ...] = ()
    staff_nos: tuple[str, ...] = ()

    @property
    def filters(self) -> bool:
        return self.everyone or bool(self.unit_ids or self.categories or self.ranks)

    def as_dict(self) -> dict[str, object]:
        return {
            "everyone": self.everyone,
            "unit_ids": list(self.unit_ids),
            "categories": list(self.categories),
            "ranks": list(self.ranks),
            "staff_nos": list(self.staff_nos),
        }


@dataclass(frozen=True)
class ExamRequest:
    blueprint_id: str
    title: str
    kind: str
    opens_at: datetime
    closes_at: datetime
    rule: EligibilityRule
    time_limit_minutes: int | None = None
    attempts_allowed: int = 1
    review_policy: str = "after_submit"
    original_exam_id: int | None = None
    extensions: dict[str, int] = field(default_factory=dict)  # staff_no -> minutes


def get_exam(session: Session, exam_id: int) -> Exam:
    exam = session.get(Exam, exam_id)
    if exam is None:
        raise NotFound("exam_not_found", exam_id=exam_id)
    return exam


def resolve_cadres(session: Session, rule: EligibilityRule) -> list[Cadre]:
    """The cadres a rule names; unknown staff numbers are an error naming them."""
    chosen: dict[int, Cadre] = {}
    if rule.staff_nos:
        found = {
            c.staff_no: c
            for c in session.scalars(select(Cadre).where(Cadre.staff_no.in_(rule.staff_nos)))
        }
        missing = [s for s in rule.staff_nos if s not in found]
        if missing:
            raise InvalidInput(
                "unknown_staff_numbers", staff_nos="、".join(missing[:20]), count=len(missing)
            )
        chosen.update((c.id, c) for c in found.values())
    if rule.filters:
        statement = select(Cadre).join(Unit, Cadre.unit_id == Unit.id)
        if rule.unit_ids:
            paths = session.scalars(select(Unit.path).where(Unit.id.in_(rule.unit_ids))).all()
            if len(paths) != len(set(rule.unit_ids)):
                raise NotFound("unit_not_found", unit_id=",".join(map(str, rule.unit_ids)))
            statement = statement.where(or_(*(Unit.path.startswith(path) for path in paths)))
        if rule.categories:
            statement = statement.where(Cadre.category.in_(rule.categories))
        if rule.ranks:
            statement = statement.where(Cadre.rank.in_(rule.ranks))
        chosen.update((c.id, c) for c in session.scalars(statement))
    return sorted(chosen.values(), key=lambda cadre: cadre.staff_no)


def make_up_pool(session: Session, original: Exam) -> set[int]:
    """Cadres of `original` who failed or missed it (exempted ones are not owed a make-up)."""
    passed = select(Attempt.cadre_id).where(
        Attempt.exam_id == original.id, Attempt.passed.is_(True)
    )
    return set(
        session.scalars(
            select(ExamCandidate.cadre_id).where(
                ExamCandidate.exam_id == original.id,
                ExamCandidate.exempt_reason == "",
                ExamCandidate.cadre_id.not_in(passed),
            )
        )
    )


def open_exam(session: Session, actor_id: int | None, request: ExamRequest, ip: str = "") -> Exam:
    """Open an exam: check the blueprint can make papers, fix who may sit, audit it."""
    if request.kind not in EXAM_KINDS:
        raise InvalidInput("bad_exam_kind", kind=request.kind)
    if request.review_policy not in REVIEW_POLICIES:
        raise InvalidInput("bad_review_policy", policy=request.review_policy)
    if not request.title.strip():
        raise InvalidInput("exam_title_required")
    if request.closes_at <= request.opens_at:
        raise InvalidInput("exam_window_empty")
    if request.attempts_allowed < 1:
        raise InvalidInput("bad_attempts_allowed", value=request.attempts_allowed)
    blueprint = get_blueprint(session, request.blueprint_id)
    time_limit = request.time_limit_minutes or blueprint.time_limit_minutes
    if not 1 <= time_limit <= 600:
        raise InvalidInput("bad_time_limit_minutes", value=time_limit)
    try:
        draw_paper(blueprint, question_pool(session), random.Random(0))
    except InfeasibleBlueprint as error:
        raise BlueprintInfeasible(error) from None

    original = None
    if request.kind == "make_up":
        if request.original_exam_id is None:
            raise InvalidInput("make_up_needs_original")
        original = get_exam(session, request.original_exam_id)
    cadres = (
        resolve_cadres(session, request.rule)
        if (request.rule.filters or request.rule.staff_nos)
        else []
    )
    if original is not None:
        owed = make_up_pool(session, original)
        cadres = (
            [c for c in cadres if c.id in owed]
            if (request.rule.filters or request.rule.staff_nos)
            else list(
                session.scalars(select(Cadre).where(Cadre.id.in_(owed)).order_by(Cadre.staff_no))
            )
        )
    if not cadres:
        raise InvalidInput("no_eligible_cadres")
    unknown_extensions = set(request.extensions) - {c.staff_no for c in cadres}
    if unknown_extensions:
        raise InvalidInput(
            "extension_not_eligible", staff_nos="、".join(sorted(unknown_extensions))
        )

    exam = Exam(
        title=request.title.strip(),
        kind=request.kind,
        blueprint_id=blueprint.id,
        blueprint_snapshot=blueprint_mapping(blueprint),
        opens_at=request.opens_at,
        closes_at=request.closes_at,
        time_limit_minutes=time_limit,
        attempts_allowed=request.attempts_allowed,
        review_policy=request.review_policy,
        original_exam_id=original.id if original else None,
        eligibility_rule=request.rule.as_dict(),
        created_by_id=actor_id,
    )
    session.add(exam)
    session.flush()
    session.add_all(
        ExamCandidate(
            exam_id=exam.id,
            cadre_id=cadre.id,
            unit_id=cadre.unit_id,
            extra_minutes=request.extensions.get(cadre.staff_no, 0),
        )
        for cadre in cadres
    )
    audit.record(
        session,
        actor_id,
        "exam.open",
        "exam",
        exam.id,
        ip=ip,
        title=exam.title,
        kind=exam.kind,
        blueprint=blueprint.id,
        eligible=len(cadres),
        original=exam.original_exam_id,
    )
    for staff_no, minutes in request.extensions.items():
        audit.record(
            session,
            actor_id,
            "exam.extension",
            "exam",
            exam.id,
            ip=ip,
            staff_no=staff_no,
            minutes=minutes,
        )
    session.commit()
    return exam


def set_extension(
    session: Session, actor_id: int | None, exam: Exam, staff_no: str, minutes: int, ip: str = ""
) -> None:
    """Give one candidate extra minutes (also moves an attempt already running)."""
    if not 0 <= minutes <= 600:
        raise InvalidInput("bad_extension", value=minutes)
    row = session.scalar(
        select(ExamCandidate)
        .join(Cadre)
        .where(ExamCandidate.exam_id == exam.id, Cadre.staff_no == staff_no)
    )
    if row is None:
        raise NotEligible("not_a_candidate", staff_no=staff_no)
    before = row.extra_minutes
    row.extra_minutes = minutes
    for attempt in session.scalars(
        select(Attempt).where(
            Attempt.exam_id == exam.id,
            Attempt.cadre_id == row.cadre_id,
            Attempt.status == "in_progress",
        )
    ):
        attempt.deadline = compute_deadline(
            attempt.started_at, exam.time_limit_minutes, minutes, exam.closes_at
        )
    audit.record(
        session,
        actor_id,
        "exam.extension",
        "exam",
        exam.id,
        ip=ip,
        staff_no=staff_no,
        minutes=[before, minutes],
    )
    session.commit()


def candidate_row(session: Session, exam_id: int, cadre_id: int) -> ExamCandidate | None:
    return session.get(ExamCandidate, (exam_id, cadre_id))


def start_attempt(
    session: Session,
    exam: Exam,
    cadre: Cadre,
    now: datetime | None = None,
    grace_seconds: int = 10,
) -> tuple[Attempt, bool]:
    """Start the cadre's attempt, or resume the one in progress; return (attempt, created).

    The paper is drawn and frozen now. Two simultaneous starts cannot both
    create an attempt: (exam, cadre, number) is unique, and the loser resumes.
    An attempt in progress whose time is up is graded first, and not resumed.
    """
    from app.services.delivery import finalize_if_expired

    now = now or utcnow()
    candidate = candidate_row(session, exam.id, cadre.id)
    if candidate is None or candidate.exempt_reason:
        raise NotEligible("not_eligible")
    # Count before looking for the attempt in progress: a simultaneous start that
    # commits in between is then found and resumed, not taken for a used attempt.
    used = (
        session.scalar(
            select(func.count()).where(Attempt.exam_id == exam.id, Attempt.cadre_id == cadre.id)
        )
        or 0
    )
    current = session.scalar(
        select(Attempt).where(
            Attempt.exam_id == exam.id,
            Attempt.cadre_id == cadre.id,
            Attempt.status == "in_progress",
        )
    )
    if current is not None:
        closed_now = finalize_if_expired(session, current, grace_seconds, now)
        # Resume it; or, when its time just ran out, show it finished unless
        # another attempt is allowed.
        if not closed_now or used >= exam.attempts_allowed:
            return current, False
    if not exam.opens_at <= now < exam.closes_at:
        raise ExamNotOpen("exam_not_open")
    if used >= exam.attempts_allowed:
        raise NotEligible("no_attempts_left", allowed=exam.attempts_allowed)
    blueprint = to_blueprint(exam.blueprint_snapshot)
    seed = secrets.randbits(31)
    try:
        paper = draw_paper(blueprint, question_pool(session), random.Random(seed), seed)
    except InfeasibleBlueprint as error:
        raise BlueprintInfeasible(error) from None
    attempt = Attempt(
        exam_id=exam.id,
        cadre_id=cadre.id,
        number=used + 1,
        seed=seed,
        paper=paper_to_json(paper, blueprint.pass_score),
        started_at=now,
        deadline=compute_deadline(
            now, exam.time_limit_minutes, candidate.extra_minutes, exam.closes_at
        ),
        max_score=to_decimal(blueprint.max_score),
    )
    session.add(attempt)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = session.scalar(
            select(Attempt).where(
                Attempt.exam_id == exam.id, Attempt.cadre_id == cadre.id, Attempt.number == used + 1
            )
        )
        if existing is None:
            raise
        return existing, False
    return attempt, True


@dataclass(frozen=True)
class MonitorRow:
    unit: str
    eligible: int
    exempt: int
    not_started: int
    in_progress: int
    submitted: int
    expired: int


def monitor(session: Session, exam: Exam) -> list[MonitorRow]:
    """Per unit: eligible, exempt, not started, in progress, submitted, expired."""
    latest = (
        select(Attempt.cadre_id, func.max(Attempt.number).label("number"))
        .where(Attempt.exam_id == exam.id)
        .group_by(Attempt.cadre_id)
        .subquery()
    )
    rows = session.execute(
        select(Unit.id, Unit.name, ExamCandidate.exempt_reason, Attempt.status, func.count())
        .select_from(ExamCandidate)
        .join(Unit, ExamCandidate.unit_id == Unit.id)
        .outerjoin(latest, latest.c.cadre_id == ExamCandidate.cadre_id)
        .outerjoin(
            Attempt,
            and_(
                Attempt.exam_id == exam.id,
                Attempt.cadre_id == ExamCandidate.cadre_id,
                Attempt.number == latest.c.number,
            ),
        )
        .where(ExamCandidate.exam_id == exam.id)
        .group_by(Unit.id, Unit.name, ExamCandidate.exempt_reason, Attempt.status)
    ).all()
    units: dict[int, dict[str, object]] = {}
    for unit_id, name, exempt_reason, status, count in rows:
        entry = units.setdefault(
            unit_id,
            {
                "unit": name,
                "eligible": 0,
                "exempt": 0,
                "not_started": 0,
                "in_progress": 0,
                "submitted": 0,
                "expired": 0,
            },
        )
        entry["eligible"] += count
        if exempt_reason:
            entry["exempt"] += count
        else:
            entry[status or "not_started"] += count
    return [
        MonitorRow(**entry) for _, entry in sorted(units.items(), key=lambda item: item[1]["unit"])
    ]
