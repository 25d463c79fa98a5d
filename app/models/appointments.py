"""Pre-appointment cases (任前考试): HR's record that a cadre is proposed for a post."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models.exams import Exam
from app.models.people import Cadre
from app.timeutil import utcnow

CASE_STATES = ("awaiting_exam", "passed", "failed_make_up_pending", "failed", "cancelled")


class Appointment(Base):
    """A case: the cadre, the proposed post, and the exam(s) it requires.

    `exam_id` is the first sitting; `make_up_exam_id` the latest make-up. The
    state is decided from their results, and `verification_code` lets anyone
    holding the printed score report check it against the system.
    """

    __tablename__ = "appointment"
    __table_args__ = (
        CheckConstraint(
            "status IN ('awaiting_exam', 'passed', 'failed_make_up_pending', 'failed', "
            "'cancelled')",
            name="status_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadre.id"), index=True)
    proposed_post: Mapped[str] = mapped_column(String(200))
    appointing_body: Mapped[str] = mapped_column(String(200))
    needed_by: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(30), default="awaiting_exam", index=True)
    exam_id: Mapped[int | None] = mapped_column(ForeignKey("exam.id"))
    make_up_exam_id: Mapped[int | None] = mapped_column(ForeignKey("exam.id"))
    make_ups_used: Mapped[int] = mapped_column(default=0)
    verification_code: Mapped[str] = mapped_column(String(32), unique=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]

    cadre: Mapped[Cadre] = relationship()
    exam: Mapped[Exam | None] = relationship(foreign_keys=[exam_id])
    make_up_exam: Mapped[Exam | None] = relationship(foreign_keys=[make_up_exam_id])

    def __repr__(self) -> str:
        return f"<Appointment {self.id} cadre={self.cadre_id} {self.status}>"
