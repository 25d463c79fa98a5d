"""What the candidate's home shows: exams grouped by where they stand, and past results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from app.models import Attempt, Cadre, Exam
from app.services import delivery

GROUPS = ("open", "upcoming", "finished")


@dataclass(frozen=True)
class ExamCard:
    exam: Exam
    attempt: Attempt | None  # the latest one
    used: int

    @property
    def in_progress(self) -> bool:
        return self.attempt is not None and self.attempt.status == "in_progress"

    @property
    def attempts_left(self) -> int:
        return max(0, self.exam.attempts_allowed - self.used)


@dataclass
class Board:
    open: list[ExamCard] = field(default_factory=list)
    upcoming: list[ExamCard] = field(default_factory=list)
    finished: list[ExamCard] = field(default_factory=list)


def group_of(card: ExamCard, now: datetime) -> str:
    """Upcoming before the window; open while it can be started or continued; else finished."""
    if card.in_progress:
        return "open"
    if now < card.exam.opens_at:
        return "upcoming"
    if now < card.exam.closes_at and card.attempts_left > 0:
        return "open"
    return "finished"


def exam_board(session: Session, cadre: Cadre, grace_seconds: int, now: datetime) -> Board:
    """The cadre's exams by group; attempts whose time ran out are graded first."""
    board = Board()
    for exam, attempt in delivery.exams_for(session, cadre):
        if attempt is not None:
            delivery.finalize_if_expired(session, attempt, grace_seconds, now)
        card = ExamCard(exam, attempt, delivery.attempts_used(session, exam, cadre))
        getattr(board, group_of(card, now)).append(card)
    board.upcoming.reverse()  # soonest first
    return board
