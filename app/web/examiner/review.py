"""The review queue and the law registry with its amendment watch."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.db import get_session
from app.domain import bank as core
from app.domain.people import Role
from app.messages import describe
from app.services import laws, questions
from app.services.errors import ServiceError
from app.web.access import client_ip, role_required
from app.web.examiner.forms import LawMarkForm
from app.web.examiner.views import bp
from app.web.labels import LAW_STATUS_LABELS
from app.web.pagination import Page, page_number


@bp.route("/review")
@role_required(Role.EXAMINER)
def review_queue() -> str:
    number = page_number()
    per_page = current_app.config["PAGE_SIZE"]
    items, total = questions.review_queue(get_session(), number, per_page)
    return render_template("examiner/review.html", page=Page(items, total, number, per_page))


@bp.route("/laws", methods=["GET", "POST"])
@role_required(Role.EXAMINER)
def law_registry() -> Response | str:
    session = get_session()
    rows = laws.list_laws(session)
    form = LawMarkForm()
    form.law_id.choices = [SelectChoice(row.law.id, questions.law_label(row.law)) for row in rows]
    if not form.validate_on_submit():
        return render_template("examiner/laws.html", laws=rows, form=form)
    try:
        old = laws.get_law(session, form.law_id.data)
        successor = None
        if form.new_id.data:
            successor = core.Law(
                form.new_id.data,
                form.new_title.data or old.title,
                form.new_version.data,
                form.new_effective.data,
            )
        flagged = laws.mark_law(
            session,
            current_user.id,
            old.id,
            form.status.data,
            successor=successor,
            ip=client_ip(),
        )
    except ServiceError as error:
        session.rollback()
        flash(describe(error), "danger")
        return render_template("examiner/laws.html", laws=laws.list_laws(session), form=form)
    flash(
        gettext(
            "%(law)s: %(status)s. %(n)s approved questions citing it were sent to review.",
            law=questions.law_label(old),
            status=LAW_STATUS_LABELS[form.status.data],
            n=len(flagged),
        ),
        "success",
    )
    return redirect(url_for("examiner.law_registry"))
