"""Translated labels for the codes HR's pages show."""

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "pre_appointment": _l("Pre-appointment exam"),
    "annual": _l("Annual exam"),
    "make_up": _l("Make-up exam"),
    "practice": _l("Practice"),
}

ATTEMPT_STATUS_LABELS = {
    "in_progress": _l("In progress"),
    "submitted": _l("Submitted"),
    "expired": _l("Time ran out"),
}

CASE_STATE_LABELS = {
    "awaiting_exam": _l("Awaiting exam"),
    "passed": _l("Passed"),
    "failed_make_up_pending": _l("Failed, make-up pending"),
    "failed": _l("Failed (appointment deferred)"),
    "cancelled": _l("Cancelled"),
}

# Bootstrap badge colours per case state.
CASE_STATE_BADGES = {
    "awaiting_exam": "text-bg-info",
    "passed": "text-bg-success",
    "failed_make_up_pending": "text-bg-warning",
    "failed": "text-bg-danger",
    "cancelled": "text-bg-secondary",
}

CASE_GROUP_LABELS = {
    "pending": _l("Pending"),
    "decided": _l("Decided"),
    "all": _l("All"),
}

TEMPLATE_LABELS = {
    "kind_labels": KIND_LABELS,
    "attempt_status_labels": ATTEMPT_STATUS_LABELS,
    "case_state_labels": CASE_STATE_LABELS,
    "case_state_badges": CASE_STATE_BADGES,
    "case_group_labels": CASE_GROUP_LABELS,
}
