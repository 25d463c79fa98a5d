"""Translated labels for the codes the candidate's pages show."""

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "pre_appointment": _l("Pre-appointment exam"),
    "annual": _l("Annual exam"),
    "make_up": _l("Make-up exam"),
    "practice": _l("Practice"),
}

TYPE_LABELS = {
    "single": _l("Single choice"),
    "multiple": _l("Multiple choice"),
    "judge": _l("True or false"),
}

STATUS_LABELS = {
    "in_progress": _l("In progress"),
    "submitted": _l("Submitted"),
    "expired": _l("Time ran out"),
}
