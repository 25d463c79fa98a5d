"""The question bank in the database: laws, questions and their immutable versions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.timeutil import utcnow


class Law(Base):
    """A law or regulation that questions cite; `replaced_by` points at its newer version."""

    __tablename__ = "law"
    __table_args__ = (
        CheckConstraint("status IN ('in_force', 'amended', 'repealed')", name="status_known"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(60))
    effective: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), default="in_force")
    replaced_by: Mapped[str | None] = mapped_column(ForeignKey("law.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Law {self.id} {self.version}>"


class Question(Base):
    """A question's identity and state; what it says lives in its versions.

    `status` is draft, approved, retired or needs_review (a cited law changed,
    or item analysis flagged it); only approved questions go into papers.
    """

    __tablename__ = "question"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'approved', 'retired', 'needs_review')", name="status_known"
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="approved", index=True)
    review_reason: Mapped[str] = mapped_column(String(200), default="")
    source_file: Mapped[str] = mapped_column(String(200), default="")
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_version.id", use_alter=True)
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    current: Mapped[QuestionVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True, lazy="joined"
    )
    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question",
        foreign_keys="QuestionVersion.question_id",
        order_by="QuestionVersion.number",
    )

    def __repr__(self) -> str:
        return f"<Question {self.id} {self.status}>"


class QuestionVersion(Base):
    """One immutable wording of a question. Papers point at versions, never at questions."""

    __tablename__ = "question_version"
    __table_args__ = (
        UniqueConstraint("question_id", "number"),
        CheckConstraint("type IN ('single', 'multiple', 'judge')", name="type_known"),
        CheckConstraint("difficulty BETWEEN 1 AND 5", name="difficulty_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("question.id"), index=True)
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(100), index=True)
    type: Mapped[str] = mapped_column(String(10))
    difficulty: Mapped[int]
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[list] = mapped_column(JSON, default=list)  # [[key, text], ...]
    answer: Mapped[list | bool] = mapped_column(JSON)  # keys, or true/false for judge
    law_id: Mapped[str | None] = mapped_column(ForeignKey("law.id"), index=True)
    article: Mapped[str] = mapped_column(String(200), default="")
    explanation: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    question: Mapped[Question] = relationship(back_populates="versions", foreign_keys=[question_id])
    law: Mapped[Law | None] = relationship()

    def __repr__(self) -> str:
        return f"<QuestionVersion {self.question_id} v{self.number}>"
