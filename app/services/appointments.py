"""Pre-appointment cases (任前考试): register, derive the state from results, make-ups, cancel.

A case names a cadre, the proposed post, the appointing body and the date the
result is needed by. Registering opens a pre-appointment exam for just that
cadre (or links an open one the cadre may sit). The state is never typed in:
it is derived from the attempts, on every view and after every change.

- passed: a finished attempt in the case's exam or any of its make-ups passed;
- awaiting_exam: the latest sitting (the exam, or the newest make-up) can
  still be sat: it has not closed and the cadre has attempts left, or an
  attempt is running;
- otherwise the latest sitting was failed or missed: failed_make_up_pending
  while make-ups are left (PRE_APPOINTMENT_MAKE_UPS, default 1), else failed
  (暂缓任用);
- cancelled: HR withdrew a pending case; it stays cancelled.

A case carries a random verification code; the printed score report shows
it, and HR checks a report by entering the code on the verification page.
"""

from __future__ import annotations

import base64
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, joinedload

from app.models import Appointment, Attempt, Blueprint, Cadre, Exam
from app.services import audit, exams
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.hr_scope import unit_labels
from app.services.reports import FINISHED, Scope
from app.timeutil import local_midnight_as_utc, utcnow

PENDING = ("awaiting_exam", "failed_make_up_pending")
DECIDED = ("passed", "failed", "cancelled")
DEFAULT_WINDOW = timedelta(days=14)
CODE_BYTES = 10  # 80 random bits: 16 base32 characters


# ---- the rule -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SittingState:
    """What the rule needs of one sitting: its window and the cadre's attempts at it."""

    closes_at: datetime
    attempts_allowed: int
    attempts: tuple[tuple[str, bool | None], ...]  # (status, passed) per attempt


def decide(
    status: str,
    sittings: Sequence[SittingState],
    make_ups_used: int,
    make_ups_allowed: int,
    now: datetime,
) -> str:
    """The case's state from its sittings (first exam, then make-ups, the latest last)."""
    if status == "cancelled":
        return "cancelled"
    if any(passed and s in FINISHED for sitting in sittings for s, passed in sitting.attempts):
        return "passed"
    if not sittings:
        return "awaiting_exam"
    latest = sittings[-1]
    if any(s == "in_progress" for s, _ in latest.attempts):
        return "awaiting_exam"
    if now < latest.closes_at and len(latest.attempts) < latest.attempts_allowed:
        return "awaiting_exam"
    return "failed_make_up_pending" if make_ups_used < make_ups_allowed else "failed"


# ---- verification codes -------------------------------------------------------------------


def new_code() -> str:
    """A random, unguessable code of 16 base32 letters and digits."""
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode("ascii")


def format_code(code: str) -> str:
    """ABCD-EFGH-IJKL-MNOP: easier to read aloud and type from paper."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_code(text: str) -> str:
    """A typed code without spaces and dashes, in capitals; 0/1/8 read as O/I/B."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    return cleaned.translate(str.maketrans("018", "OIB"))


# ---- reading ------------------------------------------------------------------------------


def _in_scope(scope: Scope) -> ColumnElement[bool]:
    return scope.unit_filter(Cadre.unit_id)


def get_case(session: Session, case_id: int, scope: Scope) -> Appointment:
    """The case, or NotFound when there is none or its cadre lies outside `scope`."""
    case = session.scalar(
        select(Appointment)
        .join(Cadre, Cadre.id == Appointment.cadre_id)
        .where(Appointment.id == case_id, _in_scope(scope))
    )
    if case is None:
        raise NotFound("case_not_found", case_id=case_id)
    return case


def refresh_cases(
    session: Session,
    cases: Sequence[Appointment],
    make_ups_allowed: int,
    now: datetime | None = None,
) -> None:
    """Bring each case's state up to date with the results, in a few queries; commit changes."""
    now = now or utcnow()
    live = [case for case in cases if case.status != "cancelled"]
    if not live:
        return
    first_ids = {case.exam_id for case in live if case.exam_id}
    exams_by_id = {
        exam.id: exam
        for exam in session.scalars(
            select(Exam).where(or_(Exam.id.in_(first_ids), Exam.original_exam_id.in_(first_ids)))
        )
    }
    make_ups: dict[int, list[Exam]] = defaultdict(list)
    for exam in sorted(exams_by_id.values(), key=lambda e: (e.opens_at, e.id)):
        if exam.original_exam_id in first_ids:
            make_ups[exam.original_exam_id].append(exam)
    attempts: dict[tuple[int, int], list[Attempt]] = defaultdict(list)
    for attempt in session.scalars(
        select(Attempt)
        .where(
            Attempt.cadre_id.in_({case.cadre_id for case in live}),
            Attempt.exam_id.in_(list(exams_by_id)),
        )
        .order_by(Attempt.number)
    ):
        attempts[(attempt.cadre_id, attempt.exam_id)].append(attempt)

    changed = False
    for case in live:
        exams = _sitting_exams(case, exams_by_id, make_ups)
        made = [attempts[(case.cadre_id, exam.id)] for exam in exams]
        sittings = [
            SittingState(
                exam.closes_at, exam.attempts_allowed, tuple((a.status, a.passed) for a in own)
            )
            for exam, own in zip(exams, made, strict=True)
        ]
        state = decide(case.status, sittings, case.make_ups_used, make_ups_allowed, now)
        if state == case.status and (state not in DECIDED) == (case.decided_at is None):
            continue
        case.status = state
        case.decided_at = _decided_at(state, exams, made, now) if state in DECIDED else None
        changed = True
    if changed:
        session.commit()


def _decided_at(
    state: str, exams: list[Exam], made: list[list[Attempt]], now: datetime
) -> datetime:
    """When the results decided the case: the pass, or the last failed sitting's end."""
    if state == "passed":
        passes = [a.finished_at for own in made for a in own if a.passed and a.finished_at]
        return min(passes, default=now)
    if state == "failed" and exams:
        ends = [a.finished_at for a in made[-1] if a.status in FINISHED and a.finished_at]
        return max(ends, default=min(exams[-1].closes_at, now))
    return now


def _sitting_exams(
    case: Appointment, exams_by_id: dict[int, Exam], make_ups: dict[int, list[Exam]]
) -> list[Exam]:
    """The case's exam and every make-up of it, with the sitting that decides last: the
    make-up the case opened most recently, else the case's own exam."""
    if case.exam_id is None or case.exam_id not in exams_by_id:
        return []
    latest_id = case.make_up_exam_id if case.make_up_exam_id in exams_by_id else case.exam_id
    every = [exams_by_id[case.exam_id], *make_ups.get(case.exam_id, [])]
    return [e for e in every if e.id != latest_id] + [exams_by_id[latest_id]]


@dataclass(frozen=True)
class CaseCounts:
    pending: int
    decided: int

    @property
    def all(self) -> int:
        return self.pending + self.decided


def _refresh_scope(
    session: Session, scope: Scope, make_ups_allowed: int, now: datetime | None
) -> None:
    live = select(Appointment).join(Cadre, Cadre.id == Appointment.cadre_id)
    live = live.where(_in_scope(scope), Appointment.status != "cancelled")
    refresh_cases(session, list(session.scalars(live)), make_ups_allowed, now)


def list_cases(
    session: Session,
    scope: Scope,
    which: str,
    make_ups_allowed: int,
    *,
    text: str = "",
    page: int = 1,
    per_page: int = 50,
    now: datetime | None = None,
) -> tuple[list[Appointment], int, CaseCounts]:
    """One page of the cases in scope (`which`: pending, decided or all), newest first,
    after bringing their states up to date; with the total and the counts per group."""
    _refresh_scope(session, scope, make_ups_allowed, now)
    statement = select(Appointment).join(Cadre, Cadre.id == Appointment.cadre_id)
    statement = statement.where(_in_scope(scope))
    if text.strip():
        pattern = f"%{text.strip()}%"
        statement = statement.where(
            or_(
                Cadre.name.ilike(pattern),
                Cadre.staff_no.ilike(pattern),
                Appointment.proposed_post.ilike(pattern),
            )
        )
    found = statement.subquery()
    counted = dict(
        session.execute(select(found.c.status, func.count()).group_by(found.c.status)).all()
    )
    counts = CaseCounts(
        sum(counted.get(s, 0) for s in PENDING), sum(counted.get(s, 0) for s in DECIDED)
    )
    if which == "pending":
        statement = statement.where(Appointment.status.in_(PENDING))
    elif which == "decided":
        statement = statement.where(Appointment.status.in_(DECIDED))
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = session.scalars(
        statement.options(joinedload(Appointment.cadre), joinedload(Appointment.exam))
        .order_by(Appointment.created_at.desc(), Appointment.id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).unique()
    return list(rows), total, counts


@dataclass(frozen=True)
class CaseSitting:
    exam: Exam
    is_make_up: bool
    attempt: Attempt | None  # the best finished attempt, if any
    attempts_made: int


@dataclass(frozen=True)
class CaseView:
    case: Appointment
    unit: str
    sittings: list[CaseSitting]
    make_ups_left: int

    @property
    def deciding(self) -> CaseSitting | None:
        """The sitting the result stands on: the passed one, else the latest sat."""
        sat = [s for s in self.sittings if s.attempt is not None]
        passed = [s for s in sat if s.attempt is not None and s.attempt.passed]
        if passed:
            return passed[0]
        return sat[-1] if sat else None

    @property
    def code(self) -> str:
        return format_code(self.case.verification_code)


def case_view(
    session: Session, case: Appointment, make_ups_allowed: int, now: datetime | None = None
) -> CaseView:
    """The case with its state brought up to date, and each sitting's best attempt."""
    refresh_cases(session, [case], make_ups_allowed, now)
    exam_ids = [i for i in (case.exam_id,) if i]
    chain = list(
        session.scalars(
            select(Exam)
            .where(or_(Exam.id.in_(exam_ids), Exam.original_exam_id.in_(exam_ids)))
            .order_by(Exam.opens_at, Exam.id)
        )
    )
    attempts: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in session.scalars(
        select(Attempt)
        .where(Attempt.cadre_id == case.cadre_id, Attempt.exam_id.in_([e.id for e in chain]))
        .order_by(Attempt.number)
    ):
        attempts[attempt.exam_id].append(attempt)
    sittings = []
    for exam in chain:
        made = attempts.get(exam.id, [])
        if exam.id != case.exam_id and not made and exam.id != case.make_up_exam_id:
            continue  # another cadre's make-up of a shared exam
        finished = [a for a in made if a.status in FINISHED and a.score is not None]
        best = max(finished, key=lambda a: (bool(a.passed), a.score)) if finished else None
        sittings.append(CaseSitting(exam, exam.id != case.exam_id, best, len(made)))
    return CaseView(
        case,
        unit_labels(session).get(case.cadre.unit_id, ""),
        sittings,
        max(make_ups_allowed - case.make_ups_used, 0),
    )


def verify(
    session: Session, code: str, scope: Scope, make_ups_allowed: int, now: datetime | None = None
) -> CaseView | None:
    """The case a printed score report's code belongs to, or None (also outside `scope`)."""
    cleaned = normalise_code(code)
    if not cleaned:
        return None
    case = session.scalar(
        select(Appointment)
        .join(Cadre, Cadre.id == Appointment.cadre_id)
        .where(Appointment.verification_code == cleaned, _in_scope(scope))
    )
    if case is None:
        return None
    return case_view(session, case, make_ups_allowed, now)


def pre_appointment_blueprints(session: Session) -> list[Blueprint]:
    return list(
        session.scalars(
            select(Blueprint).where(Blueprint.kind == "pre_appointment").order_by(Blueprint.id)
        )
    )


def linkable_exams(session: Session, now: datetime | None = None) -> list[Exam]:
    """Pre-appointment exams still open (or about to open) that a case may link to."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(Exam)
            .where(Exam.kind == "pre_appointment", Exam.closes_at > now)
            .order_by(Exam.opens_at.desc(), Exam.id.desc())
        )
    )


# ---- changing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRequest:
    """A new case. Give `blueprint_id` to open an exam, or `exam_id` to link an open one."""

    staff_no: str
    proposed_post: str
    appointing_body: str
    needed_by: date | None = None
    blueprint_id: str = ""
    exam_id: int | None = None
    note: str = ""


def _window(needed_by: date | None, timezone: str, now: datetime) -> tuple[datetime, datetime]:
    """Open now; close at the end of the needed-by day, or in 14 days when that is too soon."""
    if needed_by is not None:
        closes = local_midnight_as_utc(needed_by + timedelta(days=1), timezone)
        if closes - now >= timedelta(days=1):
            return now, closes
    return now, now + DEFAULT_WINDOW


def register_case(
    session: Session,
    actor_id: int | None,
    request: CaseRequest,
    scope: Scope,
    *,
    timezone: str,
    now: datetime | None = None,
    ip: str = "",
) -> Appointment:
    """Register a case and open (or link) the cadre's pre-appointment exam."""
    now = now or utcnow()
    cadre = session.scalar(
        select(Cadre).where(Cadre.staff_no == request.staff_no.strip(), _in_scope(scope))
    )
    if cadre is None:
        raise NotFound("cadre_not_found", staff_no=request.staff_no.strip())
    post, body = request.proposed_post.strip(), request.appointing_body.strip()
    if not post:
        raise InvalidInput("case_post_required")
    if not body:
        raise InvalidInput("case_body_required")
    if bool(request.blueprint_id) == (request.exam_id is not None):
        raise InvalidInput("case_exam_choice")
    pending = session.scalar(
        select(Appointment.id).where(
            Appointment.cadre_id == cadre.id, Appointment.status.in_(PENDING)
        )
    )
    if pending is not None:
        raise Conflict("case_already_pending", case_id=pending, name=cadre.name)

    if request.exam_id is not None:
        exam = exams.get_exam(session, request.exam_id)
        if exam.kind != "pre_appointment" or exam.closes_at <= now:
            raise InvalidInput("exam_not_linkable", title=exam.title)
        candidate = exams.candidate_row(session, exam.id, cadre.id)
        if candidate is None or candidate.exempt_reason:
            raise InvalidInput("cadre_not_in_exam", name=cadre.name, title=exam.title)
    else:
        row = session.get(Blueprint, request.blueprint_id)
        if row is None or row.kind != "pre_appointment":
            raise InvalidInput("not_a_pre_appointment_blueprint", blueprint_id=request.blueprint_id)
        opens_at, closes_at = _window(request.needed_by, timezone, now)
        exam = exams.open_exam(
            session,
            actor_id,
            exams.ExamRequest(
                blueprint_id=row.id,
                title=f"{row.title}（{cadre.name}）",
                kind="pre_appointment",
                opens_at=opens_at,
                closes_at=closes_at,
                rule=exams.EligibilityRule(staff_nos=(cadre.staff_no,)),
            ),
            ip=ip,
        )
    case = Appointment(
        cadre_id=cadre.id,
        proposed_post=post,
        appointing_body=body,
        needed_by=request.needed_by,
        status="awaiting_exam",
        exam_id=exam.id,
        verification_code=new_code(),
        note=request.note.strip()[:500],
        created_by_id=actor_id,
        created_at=now,
    )
    session.add(case)
    session.flush()
    audit.record(
        session,
        actor_id,
        "appointment.register",
        "appointment",
        case.id,
        ip=ip,
        staff_no=cadre.staff_no,
        post=post,
        body=body,
        exam=exam.id,
        linked=request.exam_id is not None,
    )
    session.commit()
    return case


def open_make_up(
    session: Session,
    actor_id: int | None,
    case: Appointment,
    make_ups_allowed: int,
    *,
    timezone: str,
    now: datetime | None = None,
    ip: str = "",
) -> Exam:
    """Open a make-up of the case's exam for its cadre; only when one is due."""
    now = now or utcnow()
    refresh_cases(session, [case], make_ups_allowed, now)
    if case.status != "failed_make_up_pending" or case.exam is None:
        raise Conflict("make_up_not_due")
    original = case.exam
    number = case.make_ups_used + 1
    opens_at, closes_at = _window(case.needed_by, timezone, now)
    suffix = "（补考）" if number == 1 else f"（第{number}次补考）"
    exam = exams.open_exam(
        session,
        actor_id,
        exams.ExamRequest(
            blueprint_id=original.blueprint_id,
            title=f"{original.title}{suffix}"[:200],
            kind="make_up",
            opens_at=opens_at,
            closes_at=closes_at,
            rule=exams.EligibilityRule(staff_nos=(case.cadre.staff_no,)),
            original_exam_id=original.id,
        ),
        ip=ip,
    )
    case.make_up_exam_id = exam.id
    case.make_ups_used = number
    case.status = "awaiting_exam"
    case.decided_at = None
    audit.record(
        session,
        actor_id,
        "appointment.make_up",
        "appointment",
        case.id,
        ip=ip,
        exam=exam.id,
        number=number,
    )
    session.commit()
    return exam


def cancel_case(
    session: Session,
    actor_id: int | None,
    case: Appointment,
    reason: str = "",
    *,
    make_ups_allowed: int,
    now: datetime | None = None,
    ip: str = "",
) -> None:
    """Withdraw a pending case; a decided one stays as it was decided."""
    now = now or utcnow()
    refresh_cases(session, [case], make_ups_allowed, now)
    if case.status not in PENDING:
        raise Conflict("case_not_pending")
    before = case.status
    case.status = "cancelled"
    case.decided_at = now
    if reason.strip():
        case.note = (f"{case.note}\n" if case.note else "") + reason.strip()
        case.note = case.note[-500:]
    audit.record(
        session,
        actor_id,
        "appointment.cancel",
        "appointment",
        case.id,
        ip=ip,
        from_status=before,
        reason=reason.strip(),
    )
    session.commit()


def cases_in_scope(
    session: Session, scope: Scope, make_ups_allowed: int, now: datetime | None = None
) -> list[Appointment]:
    """Every case in scope, up to date, newest first (for the export)."""
    _refresh_scope(session, scope, make_ups_allowed, now)
    return list(
        session.scalars(
            select(Appointment)
            .join(Cadre, Cadre.id == Appointment.cadre_id)
            .where(_in_scope(scope))
            .options(joinedload(Appointment.cadre), joinedload(Appointment.exam))
            .order_by(Appointment.created_at.desc(), Appointment.id.desc())
        ).unique()
    )
