"""Blueprints, exams, eligibility, attempts and answers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models.people import Cadre, Unit
from app.timeutil import utcnow

SCORE = Numeric(8, 2)


class Blueprint(Base):
    """A paper recipe (组卷规则). `definition` is the validated YAML mapping."""

    __tablename__ = "blueprint"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('pre_appointment', 'annual', 'make_up', 'practice')", name="kind_known"
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    definition: Mapped[dict] = mapped_column(JSON)
    source_file: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    def __repr__(self) -> str:
        return f"<Blueprint {self.id}>"


class Exam(Base):
    """A sitting window (考试场次) opened from a blueprint for a set of cadres.

    The blueprint is copied into `blueprint_snapshot` when the exam opens, so
    editing the blueprint later never changes an exam already announced.
    """

    __tablename__ = "exam"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('pre_appointment', 'annual', 'make_up', 'practice')", name="kind_known"
        ),
        CheckConstraint(
            "review_policy IN ('never', 'after_submit', 'after_close')", name="review_policy_known"
        ),
        CheckConstraint("closes_at > opens_at", name="window_positive"),
        CheckConstraint("attempts_allowed >= 1", name="attempts_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    blueprint_id: Mapped[str] = mapped_column(ForeignKey("blueprint.id"))
    blueprint_snapshot: Mapped[dict] = mapped_column(JSON)
    opens_at: Mapped[datetime] = mapped_column(index=True)
    closes_at: Mapped[datetime] = mapped_column(index=True)
    time_limit_minutes: Mapped[int]
    attempts_allowed: Mapped[int] = mapped_column(default=1)
    review_policy: Mapped[str] = mapped_column(String(20), default="after_submit")
    original_exam_id: Mapped[int | None] = mapped_column(ForeignKey("exam.id"))
    eligibility_rule: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    blueprint: Mapped[Blueprint] = relationship()
    original: Mapped[Exam | None] = relationship(remote_side=[id])
    candidates: Mapped[list[ExamCandidate]] = relationship(back_populates="exam")

    def __repr__(self) -> str:
        return f"<Exam {self.id} {self.title!r}>"


class ExamCandidate(Base):
    """A cadre eligible for an exam, with a personal time extension and any exemption."""

    __tablename__ = "exam_candidate"

    exam_id: Mapped[int] = mapped_column(
        ForeignKey("exam.id", ondelete="CASCADE"), primary_key=True
    )
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadre.id"), primary_key=True, index=True)
    # Where the cadre sat in the tree when the exam opened: reports stay true
    # to that moment even if the cadre later moves unit.
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    extra_minutes: Mapped[int] = mapped_column(default=0)
    exempt_reason: Mapped[str] = mapped_column(String(200), default="")
    exempted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    exempted_at: Mapped[datetime | None]

    exam: Mapped[Exam] = relationship(back_populates="candidates")
    cadre: Mapped[Cadre] = relationship()
    unit: Mapped[Unit] = relationship()

    def __repr__(self) -> str:
        return f"<ExamCandidate exam={self.exam_id} cadre={self.cadre_id}>"


class Attempt(Base):
    """One cadre's sitting of one exam, with its paper frozen at the start.

    `paper` holds the seed, question versions, order, option permutations and
    points; grading reads only it and the stored versions. The status moves
    once from in_progress to submitted or expired, by a conditional UPDATE, so
    the database itself allows one grading.
    """

    __tablename__ = "attempt"
    __table_args__ = (
        UniqueConstraint("exam_id", "cadre_id", "number"),
        CheckConstraint("status IN ('in_progress', 'submitted', 'expired')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id"), index=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadre.id"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    seed: Mapped[int]
    paper: Mapped[dict] = mapped_column(JSON)
    started_at: Mapped[datetime]
    deadline: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), default="in_progress", index=True)
    finished_at: Mapped[datetime | None]
    score: Mapped[Decimal | None] = mapped_column(SCORE)
    max_score: Mapped[Decimal] = mapped_column(SCORE)
    passed: Mapped[bool | None]
    section_scores: Mapped[list | None] = mapped_column(JSON)
    # Points earned per position (as text fractions), kept for item analysis.
    item_scores: Mapped[list | None] = mapped_column(JSON)
    graded_at: Mapped[datetime | None]

    exam: Mapped[Exam] = relationship()
    cadre: Mapped[Cadre] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="attempt", order_by="Answer.position"
    )

    def __repr__(self) -> str:
        return f"<Attempt {self.id} exam={self.exam_id} cadre={self.cadre_id} {self.status}>"


class Answer(Base):
    """The latest saved choice for one position of an attempt; `seq` orders saves."""

    __tablename__ = "answer"

    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempt.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    choice: Mapped[list] = mapped_column(JSON, default=list)  # displayed keys
    seq: Mapped[int] = mapped_column(default=0)
    flagged: Mapped[bool] = mapped_column(default=False)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)

    attempt: Mapped[Attempt] = relationship(back_populates="answers")

    def __repr__(self) -> str:
        return f"<Answer {self.attempt_id}#{self.position} {self.choice} seq={self.seq}>"
