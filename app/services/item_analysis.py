"""Item analysis for examiners: how each question version of one exam performed.

Over the exam's graded attempts (loaded for that one exam only):
- uses: how many papers carried the version;
- facility: the share of uses that earned the item's full points;
- discrimination: point-biserial correlation of right/wrong with the rest
  of the paper (the total less this item), see app.domain.analysis;
- option shares: each candidate's displayed letters mapped back to the
  question's own options through the paper's option order, so "B" means the
  same option for everyone;
- flags: too easy (> 0.95), too hard (< 0.20), weak or negative
  discrimination (< 0.10); only once a version has MIN_USES uses, since a
  handful of answers says little and would bury the real problems in noise.
Per exam: the score distribution and KR-20 over the paper's positions (papers
drawn from one blueprint are parallel forms, so position i is one "item" slot).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.analysis import Distribution, describe, histogram, item_stats, kr20
from app.domain.attempts import paper_from_json
from app.domain.grading import to_original
from app.domain.papers import PaperItem
from app.models import Answer, Attempt, Exam, Question, QuestionVersion
from app.services import audit
from app.services.errors import Conflict, NotFound
from app.services.reports import FINISHED

HISTOGRAM_BINS = 10
REVIEW_REASON = "item_analysis"
MIN_USES = 20


@dataclass(frozen=True)
class OptionShare:
    key: str  # the question's own letter (judge: A true, B false)
    text: str
    share: float | None  # of uses choosing it (multiple choice: shares add up past 1)
    is_answer: bool


@dataclass(frozen=True)
class ItemRow:
    question_id: str
    version_id: int
    version: int
    type: str
    stem: str
    status: str  # the question's status now
    uses: int
    facility: float | None
    discrimination: float | None
    flags: tuple[str, ...]
    options: list[OptionShare]
    blank: float | None  # share of uses left unanswered


@dataclass(frozen=True)
class ExamAnalysis:
    exam: Exam
    attempts: int
    scores: Distribution
    histogram: list[tuple[float, int]]
    max_score: float
    reliability: float | None  # KR-20
    items: list[ItemRow]

    @property
    def flagged(self) -> list[ItemRow]:
        return [item for item in self.items if item.flags]


@dataclass
class _Uses:
    right: list[int] = field(default_factory=list)
    totals: list[float] = field(default_factory=list)
    earned: list[float] = field(default_factory=list)
    chosen: Counter = field(default_factory=Counter)
    blank: int = 0


def _graded(exam_id: int):
    return (
        Attempt.exam_id == exam_id,
        Attempt.status.in_(FINISHED),
        Attempt.graded_at.is_not(None),
    )


def analysable_exams(session: Session) -> list[tuple[Exam, int]]:
    """Exams with graded attempts, newest first, with how many."""
    counts = dict(
        session.execute(
            select(Attempt.exam_id, func.count())
            .where(Attempt.status.in_(FINISHED), Attempt.graded_at.is_not(None))
            .group_by(Attempt.exam_id)
        ).all()
    )
    if not counts:
        return []
    exams = session.scalars(
        select(Exam).where(Exam.id.in_(list(counts))).order_by(Exam.opens_at.desc(), Exam.id.desc())
    )
    return [(exam, counts[exam.id]) for exam in exams]


def _chosen_keys(item: PaperItem, question_type: str, choice: list[str]) -> tuple[str, ...] | None:
    """The question's own letters for a displayed choice; None when blank or unreadable."""
    try:
        original = to_original(item, question_type, choice)
    except (ValueError, IndexError, KeyError):
        return None
    if original is None:
        return None
    if isinstance(original, bool):
        return ("A",) if original else ("B",)
    return original


def analyse_exam(session: Session, exam_id: int) -> ExamAnalysis:
    """Item statistics and the score distribution of one exam's graded attempts."""
    exam = session.get(Exam, exam_id)
    if exam is None:
        raise NotFound("exam_not_found", exam_id=exam_id)
    attempts = session.execute(
        select(Attempt.id, Attempt.score, Attempt.max_score, Attempt.paper, Attempt.item_scores)
        .where(*_graded(exam.id))
        .order_by(Attempt.id)
    ).all()
    choices: dict[tuple[int, int], list[str]] = {}
    for attempt_id, position, choice in session.execute(
        select(Answer.attempt_id, Answer.position, Answer.choice).where(
            Answer.attempt_id.in_(select(Attempt.id).where(*_graded(exam.id)))
        )
    ):
        choices[(attempt_id, position)] = list(choice or [])

    uses: dict[int, _Uses] = defaultdict(_Uses)
    scores: list[float] = []
    matrix: list[list[int]] = []
    maximum = 0.0
    for attempt_id, score, max_score, paper_json, item_scores in attempts:
        if not item_scores or score is None:
            continue
        paper = paper_from_json(paper_json)
        total = float(score)
        scores.append(total)
        maximum = max(maximum, float(max_score))
        types = [section.type for section in paper.sections for _ in section.items]
        row: list[int] = []
        for position, (item, qtype) in enumerate(zip(paper.items, types, strict=True), start=1):
            if position > len(item_scores):
                break
            earned = Fraction(item_scores[position - 1])
            right = int(earned == item.points)
            row.append(right)
            entry = uses[item.version_id]
            entry.right.append(right)
            entry.totals.append(total)
            entry.earned.append(float(earned))
            keys = _chosen_keys(item, qtype, choices.get((attempt_id, position), []))
            if keys is None:
                entry.blank += 1
            else:
                entry.chosen.update(keys)
        matrix.append(row)
    width = Counter(len(row) for row in matrix).most_common(1)
    reliability = kr20([row for row in matrix if len(row) == width[0][0]]) if width else None
    maximum = maximum or 100.0
    return ExamAnalysis(
        exam=exam,
        attempts=len(scores),
        scores=describe(scores),
        histogram=histogram(scores, maximum / HISTOGRAM_BINS, maximum),
        max_score=maximum,
        reliability=reliability,
        items=_item_rows(session, uses),
    )


def _item_rows(session: Session, uses: dict[int, _Uses]) -> list[ItemRow]:
    rows = session.execute(
        select(QuestionVersion, Question.status)
        .join(Question, Question.id == QuestionVersion.question_id)
        .where(QuestionVersion.id.in_(list(uses)))
    ).all()
    items = []
    for version, status in rows:
        entry = uses[version.id]
        stats = item_stats(entry.right, entry.totals, entry.earned)
        n = stats.uses
        if version.type == "judge":
            answer = {"A"} if version.answer is True else {"B"}
            labelled = [("A", "true"), ("B", "false")]
        else:
            answer = set(version.answer or [])
            labelled = [(key, text) for key, text in version.options]
        options = [
            OptionShare(key, text, entry.chosen[key] / n if n else None, key in answer)
            for key, text in labelled
        ]
        items.append(
            ItemRow(
                question_id=version.question_id,
                version_id=version.id,
                version=version.number,
                type=version.type,
                stem=version.stem,
                status=status,
                uses=n,
                facility=stats.facility,
                discrimination=stats.discrimination,
                flags=stats.flags if n >= MIN_USES else (),
                options=options,
                blank=entry.blank / n if n else None,
            )
        )
    items.sort(key=_severity)
    return items


def _severity(item: ItemRow) -> tuple:
    """Flagged items first, the likeliest mistakes on top: a negative discrimination often
    means a wrong key, then items almost nobody gets right, then weak, then easy ones."""
    if not item.flags:
        return (9, item.question_id, item.version)
    negative = item.discrimination is not None and item.discrimination < 0
    rank = 0 if negative else 1 if "too_hard" in item.flags else 2
    rank = rank if rank < 2 or "weak_discrimination" in item.flags else 3
    return (rank, item.discrimination if item.discrimination is not None else 1.0, item.question_id)


def send_to_review(
    session: Session,
    actor_id: int | None,
    question_id: str,
    *,
    exam_id: int | None = None,
    flags: tuple[str, ...] = (),
    ip: str = "",
) -> Question:
    """Take an approved question out of new papers until an examiner reviews it."""
    question = session.get(Question, question_id)
    if question is None:
        raise NotFound("question_not_found", question_id=question_id)
    if question.status != "approved":
        raise Conflict("review_needs_approved", question_id=question_id)
    question.status = "needs_review"
    question.review_reason = REVIEW_REASON
    audit.record(
        session,
        actor_id,
        "question.sent_to_review",
        "question",
        question.id,
        ip=ip,
        reason=REVIEW_REASON,
        exam=exam_id,
        flags=list(flags),
    )
    session.commit()
    return question
