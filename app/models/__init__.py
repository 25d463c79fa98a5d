"""ORM models, one module per area. Importing this package registers every table."""

from app.models.appointments import Appointment
from app.models.audit import AuditEvent
from app.models.bank import Law, Question, QuestionVersion
from app.models.exams import Answer, Attempt, Blueprint, Exam, ExamCandidate
from app.models.people import Cadre, Unit, User, UserRole
from app.models.uploads import PendingUpload

__all__ = [
    "Answer",
    "Appointment",
    "Attempt",
    "AuditEvent",
    "Blueprint",
    "Cadre",
    "Exam",
    "ExamCandidate",
    "Law",
    "PendingUpload",
    "Question",
    "QuestionVersion",
    "Unit",
    "User",
    "UserRole",
]
