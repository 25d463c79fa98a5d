"""ORM models, one module per area. Importing this package registers every table."""

from app.models.audit import AuditEvent
from app.models.bank import Law, Question, QuestionVersion
from app.models.people import Cadre, Unit, User, UserRole
from app.models.uploads import PendingUpload

__all__ = [
    "AuditEvent",
    "Cadre",
    "Law",
    "PendingUpload",
    "Question",
    "QuestionVersion",
    "Unit",
    "User",
    "UserRole",
]
