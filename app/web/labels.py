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
