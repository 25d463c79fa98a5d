"""Bank files: upload with a dry-run preview before confirming; download as YAML zip or XLSX."""

from __future__ import annotations

from pathlib import PurePosixPath

from flask import Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms.validators import ValidationError

from app.db import get_session
from app.domain.people import Role
from app.messages import describe, describe_bank_error
from app.services import bank_io, bank_sheets, bank_upload
from app.services.errors import InvalidInput, NotFound
from app.timeutil import to_local, utcnow
from app.web.access import client_ip, role_required
from app.web.examiner.forms import BankUploadForm, UploadConfirmForm, parse_mapping
from app.web.examiner.views import bp


def _options(
    topic: str | None, id_prefix: str | None, mapping: str | None
) -> bank_upload.UploadOptions:
    try:
        parsed = parse_mapping(mapping or "")
    except ValidationError:
        parsed = {}
    return bank_upload.UploadOptions(parsed, (topic or "").strip(), (id_prefix or "").strip())


def _rejected(form: BankUploadForm, filename: str, errors: list) -> str:
    return render_template(
        "examiner/upload.html",
        form=form,
        filename=filename,
        errors=[describe_bank_error(error) for error in errors],
    )


@bp.route("/bank/upload", methods=["GET", "POST"])
@role_required(Role.EXAMINER)
def bank_upload_page() -> str:
    """Upload a bank file and see what importing it would do, or every error, first."""
    form = BankUploadForm()
    if not form.validate_on_submit():
        return render_template("examiner/upload.html", form=form)
    file = form.file.data
    filename = PurePosixPath((file.filename or "").replace("\\", "/")).name
    options = _options(form.topic.data, form.id_prefix.data, form.mapping.data)
    try:
        preview = bank_upload.preview_upload(
            get_session(), current_user.id, filename, file.read(), options
        )
    except InvalidInput as error:
        form.file.errors = [describe(error)]
        return render_template("examiner/upload.html", form=form)
    if preview.errors:
        return _rejected(form, filename, preview.errors)
    confirm = UploadConfirmForm(
        token=preview.token,
        topic=options.topic,
        id_prefix=options.id_prefix,
        mapping=form.mapping.data or "",
    )
    return render_template("examiner/upload_preview.html", preview=preview, confirm=confirm)


@bp.route("/bank/upload/confirm", methods=["POST"])
@role_required(Role.EXAMINER)
def bank_upload_confirm() -> Response | str:
    form = UploadConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("examiner.bank_upload_page"))
    session = get_session()
    options = _options(form.topic.data, form.id_prefix.data, form.mapping.data)
    try:
        upload = bank_upload.fetch_upload(session, current_user.id, form.token.data or "")
        filename = upload.filename
        report = bank_upload.import_upload(
            session, current_user.id, upload, options, ip=client_ip()
        )
    except (NotFound, InvalidInput) as error:
        flash(describe(error), "warning")
        return redirect(url_for("examiner.bank_upload_page"))
    except bank_io.BankRejected as error:
        # The database changed since the preview, so the file no longer fits.
        return _rejected(BankUploadForm(), filename, error.errors)
    return render_template("examiner/upload_done.html", report=report, filename=filename)


def _download(content: bytes, mimetype: str, suffix: str) -> Response:
    day = to_local(utcnow(), current_app.config["BABEL_DEFAULT_TIMEZONE"]).strftime("%Y%m%d")
    return Response(
        content,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename=question-bank-{day}.{suffix}"},
    )


@bp.route("/bank/export.zip")
@role_required(Role.EXAMINER)
def bank_export_zip() -> Response:
    """The bank as YAML files in a zip: laws.yaml and one file per topic."""
    return _download(bank_upload.export_zip(get_session()), "application/zip", "zip")


@bp.route("/bank/export.xlsx")
@role_required(Role.EXAMINER)
def bank_export_xlsx() -> Response:
    """The bank as one XLSX sheet, a row per question."""
    return _download(
        bank_sheets.export_sheet(get_session(), "xlsx"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    )
