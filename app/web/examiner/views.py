"""The examiners' pages: the bank at a glance, the question list, a question and its history.

Writing questions, the review queue and laws, and bank files are in sibling
modules that add their routes to this blueprint (imported at the bottom).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from wtforms import SelectChoice

from app.db import get_session
from app.domain.people import Role
from app.models import Question
from app.services import questions
from app.services.errors import NotFound
from app.services.laws import list_laws
from app.web.access import role_required
from app.web.examiner.forms import QuestionFilterForm
from app.web.examiner.labels import ANY, TEMPLATE_LABELS
from app.web.pagination import Page, page_number

bp = Blueprint("examiner", __name__, url_prefix="/examiner")


@bp.context_processor
def labels() -> dict[str, Any]:
    return {**TEMPLATE_LABELS, "law_label": questions.law_label}


def question_or_404(question_id: str) -> Question:
    try:
        return questions.get_question(get_session(), question_id)
    except NotFound:
        abort(404)


@bp.route("/")
@role_required(Role.EXAMINER)
def home() -> str:
    session = get_session()
    return render_template(
        "examiner/home.html", counts=questions.bank_counts(session), laws=list_laws(session)
    )


@bp.route("/questions")
@role_required(Role.EXAMINER)
def question_list() -> str:
    session = get_session()
    form = QuestionFilterForm(request.args)
    facets = questions.facets(session)
    form.topic.choices = [SelectChoice("", ANY)] + [SelectChoice(t, t) for t in facets.topics]
    form.law.choices = [SelectChoice("", ANY)] + [
        SelectChoice(law.id, questions.law_label(law)) for law in facets.laws
    ]
    difficulty = form.difficulty.data or ""
    criteria = questions.QuestionFilter(
        text=(form.q.data or "").strip()[:200],
        topic=form.topic.data or "",
        type=form.qtype.data or "",
        law=form.law.data or "",
        difficulty=int(difficulty) if difficulty.isdigit() else None,
        status=form.status.data or "",
        tag=(form.tag.data or "")[:100],
    )
    number = page_number()
    per_page = current_app.config["PAGE_SIZE"]
    items, total = questions.search(session, criteria, number, per_page)
    return render_template(
        "examiner/questions.html",
        form=form,
        tags=facets.tags,
        page=Page(items, total, number, per_page),
    )


@bp.route("/questions/<question_id>")
@role_required(Role.EXAMINER)
def question_detail(question_id: str) -> str:
    try:
        page = questions.question_page(get_session(), question_id)
    except NotFound:
        abort(404)
    return render_template("examiner/question.html", page=page, q=page.question)


@bp.route("/questions/<question_id>/diff")
@role_required(Role.EXAMINER)
def question_diff(question_id: str) -> str:
    """Compare two versions chosen by ?a= and ?b= (default: the previous and the current)."""
    question = question_or_404(question_id)
    assert question.current is not None
    newest = question.current.number
    old_number = request.args.get("a", type=int, default=max(newest - 1, 1))
    new_number = request.args.get("b", type=int, default=newest)
    try:
        old = questions.get_version(question, old_number)
        new = questions.get_version(question, new_number)
    except NotFound:
        abort(404)
    return render_template(
        "examiner/question_diff.html",
        q=question,
        old=old,
        new=new,
        diffs=questions.diff_versions(old, new),
    )


# Routes in sibling modules register themselves on `bp` when imported.
import app.web.examiner.analysis  # noqa: E402, F401
from app.web.examiner import bank_files, blueprints, editing, exams, review  # noqa: E402, F401
