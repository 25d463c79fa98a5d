"""Blueprints (组卷规则): the list, one blueprint with its feasibility and fairness, editing.

While a blueprint is edited, the page script posts the form to `blueprint_check`,
which validates it and tells whether the approved questions can fill it,
without saving anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from app.db import get_session
from app.domain.blueprints import Blueprint, format_score
from app.domain.papers import InfeasibleBlueprint, check_feasibility
from app.domain.people import Role
from app.messages import BAND_LABELS, describe_shortfall, message_for
from app.models import Blueprint as BlueprintRow
from app.services import blueprints, questions
from app.services.errors import NotFound
from app.web.access import client_ip, role_required
from app.web.examiner.forms import (
    KIND_LABELS,
    NEW_BLUEPRINT,
    PARTIAL_CREDIT_LABELS,
    BlueprintForm,
)
from app.web.examiner.views import bp

FAIRNESS_PAPERS = 200


@bp.context_processor
def blueprint_labels() -> dict[str, Any]:
    return {
        "kind_labels": KIND_LABELS,
        "partial_credit_labels": PARTIAL_CREDIT_LABELS,
        "format_score": format_score,
        "band_labels": BAND_LABELS,
    }


@dataclass(frozen=True)
class BlueprintLine:
    """A stored blueprint as the list shows it: None for a definition that no longer checks."""

    row: BlueprintRow
    blueprint: Blueprint | None
    shortfalls: list[str]


def _row_or_404(blueprint_id: str) -> BlueprintRow:
    try:
        return blueprints.get_row(get_session(), blueprint_id)
    except NotFound:
        abort(404)


@bp.route("/blueprints")
@role_required(Role.EXAMINER)
def blueprint_list() -> str:
    session = get_session()
    pool = blueprints.question_pool(session)  # read once for every row's feasibility
    lines = []
    for row in blueprints.list_blueprints(session):
        try:
            blueprint = blueprints.to_blueprint(row.definition)
        except blueprints.BlueprintInvalid:
            lines.append(BlueprintLine(row, None, []))
            continue
        shortfalls = [describe_shortfall(s) for s in check_feasibility(blueprint, pool)]
        lines.append(BlueprintLine(row, blueprint, shortfalls))
    return render_template("examiner/blueprints.html", lines=lines)


@bp.route("/blueprints/<blueprint_id>")
@role_required(Role.EXAMINER)
def blueprint_detail(blueprint_id: str) -> str:
    """One blueprint; with ?fairness=1 also draw papers to measure how alike they come out."""
    session = get_session()
    row = _row_or_404(blueprint_id)
    blueprint = blueprints.to_blueprint(row.definition)
    shortfalls = [describe_shortfall(s) for s in blueprints.feasibility(session, blueprint)]
    report = None
    if request.args.get("fairness") and not shortfalls:
        try:
            report = blueprints.fairness(session, blueprint, papers=FAIRNESS_PAPERS)
        except InfeasibleBlueprint:
            report = None
    return render_template(
        "examiner/blueprint.html",
        row=row,
        blueprint=blueprint,
        shortfalls=shortfalls,
        report=report,
        fairness_papers=FAIRNESS_PAPERS,
    )


def _form(data: dict[str, Any] | None) -> BlueprintForm:
    form = BlueprintForm(data=data)
    form.set_topics(questions.facets(get_session()).topics)
    return form


def _save(form: BlueprintForm) -> Response | None:
    """Save through the service; on refusal, keep the problems on the form and return None."""
    try:
        blueprint, shortfalls = blueprints.save_blueprint(
            get_session(), current_user.id, form.definition(), ip=client_ip()
        )
    except blueprints.BlueprintInvalid as error:
        form.show_errors([message_for(e.code, e.param_dict) for e in error.errors])
        return None
    if shortfalls:
        flash(
            gettext(
                "Saved %(id)s, but the approved questions cannot fill it yet: "
                "no exam can be opened from it until they can.",
                id=blueprint.id,
            ),
            "warning",
        )
    else:
        flash(gettext("Saved %(id)s.", id=blueprint.id), "success")
    return redirect(url_for("examiner.blueprint_detail", blueprint_id=blueprint.id))


@bp.route("/blueprints/new", methods=["GET", "POST"])
@role_required(Role.EXAMINER)
def blueprint_new() -> Response | str:
    """A new blueprint; ?copy=ID starts from a copy of another."""
    data = BlueprintForm.data_of(NEW_BLUEPRINT)
    copy = request.args.get("copy")
    if copy:
        data = {**BlueprintForm.data_of(_row_or_404(copy).definition), "blueprint_id": ""}
    form = _form(data)
    if form.is_submitted() and _validate_new(form):
        done = _save(form)
        if done is not None:
            return done
    return render_template("examiner/blueprint_form.html", form=form, row=None)


def _validate_new(form: BlueprintForm) -> bool:
    """Validate a new blueprint: its id must not name one already stored."""
    valid = form.validate()
    blueprint_id = form.blueprint_id.data or ""
    try:
        blueprints.get_row(get_session(), blueprint_id)
    except NotFound:
        return valid
    taken = gettext("The id %(id)s is already used by another blueprint.", id=blueprint_id)
    form.problems.setdefault(form.blueprint_id.id, []).append(taken)
    return False


@bp.route("/blueprints/<blueprint_id>/edit", methods=["GET", "POST"])
@role_required(Role.EXAMINER)
def blueprint_edit(blueprint_id: str) -> Response | str:
    row = _row_or_404(blueprint_id)
    form = _form(BlueprintForm.data_of(row.definition))
    form.blueprint_id.data = row.id  # the id names the blueprint; an edit keeps it
    if form.validate_on_submit():
        done = _save(form)
        if done is not None:
            return done
    return render_template("examiner/blueprint_form.html", form=form, row=row)


@bp.route("/blueprints/check", methods=["POST"])
@role_required(Role.EXAMINER)
def blueprint_check() -> Response:
    """Validate the posted blueprint form and check the pool can fill it; save nothing.

    With ?new=1 (the page creating a blueprint) an id already in use is a problem too.
    Answers {"valid", "problems": [{"field": input id, "message"}], "feasible",
    "shortfalls": [text], "summary": text}.
    """
    form = _form(None)
    valid = _validate_new(form) if request.args.get("new") else form.validate()
    blueprint = form.checked if valid else None
    shortfalls = []
    if blueprint is not None:
        shortfalls = [
            describe_shortfall(s) for s in blueprints.feasibility(get_session(), blueprint)
        ]
    return jsonify(
        valid=blueprint is not None,
        problems=form.problem_list(),
        feasible=blueprint is not None and not shortfalls,
        shortfalls=shortfalls,
        summary=_summary(blueprint, shortfalls),
    )


def _summary(blueprint: Blueprint | None, shortfalls: list[str]) -> str:
    if blueprint is None:
        return gettext("Correct the problems marked in the form to check the questions.")
    facts = gettext(
        "%(n)s questions, %(total)s points, pass at %(pass_score)s.",
        n=blueprint.question_count,
        total=format_score(blueprint.max_score),
        pass_score=format_score(blueprint.pass_score),
    )
    if shortfalls:
        return facts + " " + gettext("The approved questions cannot fill it:")
    return facts + " " + gettext("The approved questions can fill it.")
