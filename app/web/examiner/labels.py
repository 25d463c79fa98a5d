"""Translated labels for the bank's codes, for the examiners' pages."""

from flask_babel import lazy_gettext as _l

ANY = _l("(any)")

TYPE_LABELS = {
    "single": _l("Single choice"),
    "multiple": _l("Multiple choice"),
    "judge": _l("True or false"),
}

STATUS_LABELS = {
    "draft": _l("Draft"),
    "approved": _l("Approved"),
    "needs_review": _l("Needs review"),
    "retired": _l("Retired"),
}

EDITABLE_STATUS_LABELS = {key: STATUS_LABELS[key] for key in ("draft", "approved")}

# Bootstrap badge colours per status.
STATUS_BADGES = {
    "draft": "text-bg-secondary",
    "approved": "text-bg-success",
    "needs_review": "text-bg-warning",
    "retired": "text-bg-dark",
}

REVIEW_REASON_LABELS = {
    "law_changed": _l("The cited law was amended or repealed"),
    "item_analysis": _l("Item analysis flagged it (too easy, too hard or weak discrimination)"),
}

JUDGE_LABELS = {True: _l("True"), False: _l("False")}

FIELD_LABELS = {
    "id": _l("Id"),
    "type": _l("Type"),
    "topic": _l("Topic"),
    "difficulty": _l("Difficulty"),
    "stem": _l("Stem"),
    "options": _l("Options"),
    "answer": _l("Answer"),
    "law": _l("Law"),
    "article": _l("Article"),
    "explanation": _l("Explanation"),
    "tags": _l("Tags"),
    "status": _l("Status"),
}

REPORT_LABELS = {
    "added": _l("New questions"),
    "new_version": _l("New versions"),
    "unchanged": _l("Unchanged"),
    "retired": _l("Retired"),
    "status_changed": _l("Status changed"),
    "needs_review": _l("Sent to review"),
    "laws_added": _l("Laws added"),
    "laws_changed": _l("Laws changed"),
}

TEMPLATE_LABELS = {
    "type_labels": TYPE_LABELS,
    "status_labels": STATUS_LABELS,
    "status_badges": STATUS_BADGES,
    "review_reason_labels": REVIEW_REASON_LABELS,
    "judge_labels": JUDGE_LABELS,
    "field_labels": FIELD_LABELS,
    "report_labels": REPORT_LABELS,
}
