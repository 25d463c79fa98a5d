"""HR's pages: the roster overview and the roster import.

Cadre records, pre-appointment cases and reports are in sibling modules that
add their routes to this blueprint (imported at the bottom).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from app.db import get_session
from app.domain.people import Role
from app.messages import describe
from app.services import cadres, overview, roster, uploads
from app.services.errors import InvalidInput, NotFound
from app.web.access import client_ip, role_required
from app.web.hr.common import current_scope
from app.web.hr.forms import ConfirmForm, RosterUploadForm
from app.web.hr.labels import TEMPLATE_LABELS

bp = Blueprint("hr", __name__, url_prefix="/hr")


@bp.context_processor
def labels() -> dict[str, Any]:
    return TEMPLATE_LABELS


ROSTER_UPLOAD = "roster"


@bp.route("/")
@role_required(Role.HR)
def home() -> str:
    session = get_session()
    scope = current_scope()
    return render_template(
        "hr/home.html",
        scope=scope,
        counts=cadres.roster_counts(session, scope),
        imports=overview.recent_events(session, "roster.import", limit=5),
    )


def _refuse_scoped_hr() -> None:
    """A roster may create units and accounts anywhere: only city-wide HR and admins import."""
    if current_user.scope_unit_id is not None and not current_user.has_role(Role.ADMIN):
        abort(403)


@bp.route("/roster/import", methods=["GET", "POST"])
@role_required(Role.HR, Role.ADMIN)
def roster_upload() -> str:
    """Upload a roster and see what it would do, or every bad row, before anything changes."""
    _refuse_scoped_hr()
    form = RosterUploadForm()
    if not form.validate_on_submit():
        return render_template("hr/roster_upload.html", form=form)
    file = form.file.data
    content = file.read()
    session = get_session()
    try:
        parsed = roster.parse_roster_file(file.filename, content)
    except InvalidInput as error:
        form.file.errors = [describe(error)]
        return render_template("hr/roster_upload.html", form=form)
    if parsed.errors:
        return render_template(
            "hr/roster_upload.html", form=form, parsed=parsed, filename=file.filename
        )
    token = uploads.hold(session, current_user.id, ROSTER_UPLOAD, file.filename, content)
    return render_template(
        "hr/roster_preview.html",
        parsed=parsed,
        counts=roster.preview_roster(session, parsed),
        filename=file.filename,
        confirm=ConfirmForm(token=token),
    )


@bp.route("/roster/import/confirm", methods=["POST"])
@role_required(Role.HR, Role.ADMIN)
def roster_confirm() -> Response | str:
    _refuse_scoped_hr()
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("hr.roster_upload"))
    session = get_session()
    try:
        upload = uploads.fetch(session, current_user.id, ROSTER_UPLOAD, form.token.data or "")
        result = roster.import_held_roster(session, current_user.id, upload, ip=client_ip())
    except NotFound as error:
        flash(describe(error), "warning")
        return redirect(url_for("hr.roster_upload"))
    except roster.RosterRejected as error:
        # The database changed since the preview (an account took a staff number).
        return render_template(
            "hr/roster_upload.html",
            form=RosterUploadForm(),
            rejected=error.errors,
            filename=upload.filename,
        )
    return render_template(
        "hr/roster_done.html", result=result, download=ConfirmForm(token=form.token.data)
    )


@bp.route("/roster/import/credentials", methods=["POST"])
@role_required(Role.HR, Role.ADMIN)
def roster_credentials() -> Response:
    """Download the new accounts' initial passwords, once."""
    form = ConfirmForm()
    session = get_session()
    try:
        if not form.validate_on_submit():
            raise NotFound("upload_not_found")
        upload = uploads.fetch(session, current_user.id, ROSTER_UPLOAD, form.token.data or "")
        content = uploads.take_handout(session, upload)
    except NotFound:
        flash(
            gettext(
                "The password list was already downloaded or has expired. "
                "Reset a password from the user list if one is lost."
            ),
            "warning",
        )
        return redirect(url_for("hr.roster_upload"))
    return Response(
        content,
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=initial-passwords.csv"},
    )


# Routes in sibling modules register themselves on `bp` when imported.
from app.web.hr import cases, records, reports  # noqa: E402, F401
