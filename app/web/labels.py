"""Translated labels for the codes stored in the database."""

from flask_babel import lazy_gettext as _l

from app.domain.people import Category, Role

CATEGORY_LABELS = {
    Category.LEADING_CADRE.value: _l("Leading cadre"),
    Category.JUDICIAL.value: _l("Judicial officer"),
    Category.LAW_ENFORCEMENT.value: _l("Law-enforcement officer"),
    Category.CIVIL_SERVANT.value: _l("Civil servant"),
}

ROLE_LABELS = {
    Role.CANDIDATE.value: _l("Candidate"),
    Role.EXAMINER.value: _l("Examiner"),
    Role.HR.value: _l("HR"),
    Role.ADMIN.value: _l("Administrator"),
}

LAW_STATUS_LABELS = {
    "in_force": _l("In force"),
    "amended": _l("Amended"),
    "repealed": _l("Repealed"),
}

# Audit actions as people read them; the code is shown beside the label.
ACTION_LABELS = {
    "login": _l("Signed in"),
    "login.failed": _l("Failed sign-in"),
    "login.refused_inactive": _l("Sign-in to a deactivated account"),
    "user.create": _l("Account created"),
    "user.update": _l("Account changed"),
    "user.roles_changed": _l("Roles changed"),
    "user.password_changed": _l("Password changed by its owner"),
    "user.password_reset": _l("Password reset"),
    "user.password_set": _l("Password set from the command line"),
    "unit.create": _l("Unit added"),
    "unit.rename": _l("Unit renamed"),
    "unit.move": _l("Unit moved"),
    "roster.import": _l("Roster imported"),
    "bank.import": _l("Question bank imported"),
    "question.create": _l("Question created"),
    "question.edit": _l("Question edited (new version)"),
    "question.approve": _l("Question approved"),
    "question.retire": _l("Question retired"),
    "question.reapprove": _l("Question re-approved after review"),
    "law.amended": _l("Law marked amended"),
    "law.repealed": _l("Law marked repealed"),
    "blueprint.create": _l("Blueprint created"),
    "blueprint.edit": _l("Blueprint edited"),
    "exam.open": _l("Exam opened"),
    "exam.extension": _l("Extra time given"),
    "exam.regrade": _l("Exam regraded"),
    "attempt.regrade": _l("Score corrected by regrading"),
    "question.sent_to_review": _l("Question sent to review by item analysis"),
    "exam.exempt": _l("Exemption granted"),
    "exam.exempt_lifted": _l("Exemption lifted"),
    "appointment.register": _l("Pre-appointment case registered"),
    "appointment.make_up": _l("Make-up opened for a case"),
    "appointment.cancel": _l("Pre-appointment case cancelled"),
    "user.scope_changed": _l("HR scope changed"),
}
