"""What HR's pages share: the reader's scope, messages for the rules, file downloads."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from flask import Response, abort, current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.db import get_session
from app.messages import MESSAGES, describe
from app.services import exports, hr_scope
from app.services.errors import ServiceError
from app.services.reports import Scope

# Messages for the rules of cases, exemptions and reports (app.messages holds the rest).
HR_MESSAGES = {
    "case_not_found": _l("No such case."),
    "case_post_required": _l("Name the proposed post."),
    "case_body_required": _l("Name the appointing body."),
    "case_exam_choice": _l(
        "Choose a blueprint to open an exam, or an open exam to link, not both."
    ),
    "case_already_pending": _l(
        "%(name)s already has a pending case (no. %(case_id)s); finish or cancel it first."
    ),
    "exam_not_linkable": _l("%(title)s is not an open pre-appointment exam."),
    "cadre_not_in_exam": _l("%(name)s may not sit %(title)s."),
    "not_a_pre_appointment_blueprint": _l("%(blueprint_id)s is not a pre-appointment blueprint."),
    "make_up_not_due": _l(
        "A make-up can be opened only after a failed sitting, while make-ups are left."
    ),
    "case_not_pending": _l("Only a pending case can be cancelled."),
    "exempt_reason_required": _l("Give the reason for the exemption."),
    "already_exempt": _l("%(name)s is already exempted from this exam."),
    "exempt_already_sat": _l("%(name)s has already started this exam and cannot be exempted."),
    "not_exempt": _l("%(name)s is not exempted from this exam."),
}

MAKE_UPS_SETTING = "PRE_APPOINTMENT_MAKE_UPS"
DEFAULT_MAKE_UPS = 1


def explain(error: ServiceError) -> str:
    """The error's message in the reader's language."""
    template = HR_MESSAGES.get(error.code)
    if template is None or error.code in MESSAGES:
        return describe(error)
    return str(template) % error.params if error.params else str(template)


def current_scope() -> Scope:
    """The subtree the signed-in reader may see."""
    return hr_scope.scope_of(current_user)  # type: ignore[arg-type]


def drill_scope(unit_id: int | None) -> Scope:
    """The reader's scope narrowed to `unit_id`; 404 for a unit outside it."""
    scope = hr_scope.narrowed(get_session(), current_scope(), unit_id)
    if scope is None:
        abort(404)
    return scope


def make_ups_allowed() -> int:
    return int(current_app.config.get(MAKE_UPS_SETTING, DEFAULT_MAKE_UPS))


def timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}


def download(sheets: Sequence[exports.Sheet], fmt: str, name: str) -> Response:
    """The sheets as an XLSX or CSV attachment named `name`.<fmt> (Chinese names allowed)."""
    if fmt not in MIMETYPES:
        abort(404)
    filename = f"{name}.{fmt}"
    ascii_name = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in name)
    disposition = (
        f'attachment; filename="{ascii_name.strip("-") or "export"}.{fmt}"; '
        f"filename*=UTF-8''{quote(filename)}"
    )
    return Response(
        exports.write(sheets, fmt),
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": disposition},
    )
