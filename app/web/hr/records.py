"""Cadre records: the roster searched and filtered, and one cadre's exams and cases."""

from __future__ import annotations

from flask import abort, current_app, render_template, request
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.db import get_session
from app.domain.people import Role
from app.services import cadres, exports, hr_scope
from app.services.errors import NotFound
from app.web.access import role_required
from app.web.hr.common import current_scope, download, make_ups_allowed, timezone
from app.web.hr.forms import RosterFilterForm
from app.web.hr.views import bp
from app.web.labels import CATEGORY_LABELS
from app.web.pagination import Page, page_number

HR_READERS = (Role.HR, Role.ADMIN)
FILTER_ARGS = ("q", "unit", "category", "rank", "position")


def _filter_form() -> tuple[RosterFilterForm, cadres.RosterFilter]:
    session = get_session()
    scope = current_scope()
    form = RosterFilterForm(request.args)
    facets = cadres.roster_facets(session, scope)
    labels = hr_scope.unit_labels(session)
    anything = SelectChoice("", "—")
    form.unit.choices = [anything] + [
        SelectChoice(str(unit.id), labels.get(unit.id, unit.name))
        for unit in hr_scope.units_in(session, scope)
    ]
    form.category.choices = [anything] + [
        SelectChoice(code, label) for code, label in CATEGORY_LABELS.items()
    ]
    form.rank.choices = [anything] + [SelectChoice(r, r) for r in facets.ranks]
    form.position.choices = [anything] + [SelectChoice(p, p) for p in facets.positions]
    unit = form.unit.data or ""
    criteria = cadres.RosterFilter(
        text=(form.q.data or "")[:100],
        unit_id=int(unit) if unit.isdigit() else None,
        category=form.category.data or "",
        rank=form.rank.data or "",
        position=form.position.data or "",
    )
    return form, criteria


@bp.route("/cadres")
@role_required(*HR_READERS)
def cadre_list() -> str:
    form, criteria = _filter_form()
    number = page_number()
    per_page = current_app.config["PAGE_SIZE"]
    try:
        rows, total = cadres.search_cadres(
            get_session(), current_scope(), criteria, number, per_page
        )
    except NotFound:
        abort(404)
    return render_template(
        "hr/cadres.html",
        form=form,
        page=Page(rows, total, number, per_page),
        export_args={k: v for k, v in request.args.items() if k in FILTER_ARGS and v},
    )


@bp.route("/cadres/export.<fmt>")
@role_required(*HR_READERS)
def cadre_export(fmt: str) -> Response:
    _, criteria = _filter_form()
    try:
        rows = cadres.all_cadres(get_session(), current_scope(), criteria)
    except NotFound:
        abort(404)
    return download([exports.roster_sheet(rows, timezone())], fmt, "干部名册")


@bp.route("/cadres/<int:cadre_id>")
@role_required(*HR_READERS)
def cadre_detail(cadre_id: int) -> str:
    session = get_session()
    try:
        cadre = cadres.get_cadre(session, cadre_id, current_scope())
    except NotFound:
        abort(404)
    record = cadres.cadre_record(session, cadre, make_ups_allowed())
    return render_template("hr/cadre.html", record=record)
