"""Writing questions: create, edit (a new version), approve, retire, re-approve from review."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.db import get_session
from app.domain.people import Role
from app.messages import describe, message_for
from app.models import Law, Question
from app.services import questions
from app.services.errors import NotFound, ServiceError
from app.web.access import client_ip, role_required, safe_next_url
from app.web.examiner.forms import QuestionForm
from app.web.examiner.views import bp, question_or_404


def _question_form(question: Question | None = None) -> QuestionForm:
    data = None
    if question is not None and question.current is not None:
        data = QuestionForm.data_of(question.current, question.status)
    form = QuestionForm(data=data)
    form.law.choices = [SelectChoice("", "—")] + [
        SelectChoice(law.id, _law_choice_label(law)) for law in questions.law_choices(get_session())
    ]
    return form


def _law_choice_label(law: Law) -> str:
    label = questions.law_label(law)
    if law.status != questions.IN_FORCE:
        return gettext("%(law)s (no longer in force)", law=label)
    return label


def _save(form: QuestionForm, question: Question | None) -> Response | None:
    """Call the service; on refusal, put every message beside its field and return None."""
    try:
        result = questions.save_question(
            get_session(),
            current_user.id,
            form.question_data(),
            form.topic.data or "",
            question_id=question.id if question is not None else None,
            base_version=form.base_version_number,
            ip=client_ip(),
        )
    except questions.QuestionInvalid as error:
        form.show_errors(
            [(questions.error_field(e), message_for(e.code, e.param_dict)) for e in error.errors]
        )
        return None
    except NotFound:
        abort(404)
    except ServiceError as error:  # saved by someone else meanwhile
        flash(describe(error), "danger")
        return None
    saved = result.question
    if not result.changed:
        flash(gettext("Nothing changed."), "info")
    elif result.version_created and saved.current is not None:
        flash(gettext("Saved as version %(n)s.", n=saved.current.number), "success")
    else:
        flash(gettext("Saved."), "success")
    return redirect(url_for("examiner.question_detail", question_id=saved.id))


@bp.route("/questions/new", methods=["GET", "POST"])
@role_required(Role.EXAMINER)
def question_new() -> Response | str:
    form = _question_form()
    if form.validate_on_submit():
        done = _save(form, None)
        if done is not None:
            return done
    return render_template("examiner/question_form.html", form=form, q=None)


@bp.route("/questions/<question_id>/edit", methods=["GET", "POST"])
@role_required(Role.EXAMINER)
def question_edit(question_id: str) -> Response | str:
    question = question_or_404(question_id)
    form = _question_form(question)
    if form.validate_on_submit():
        done = _save(form, question)
        if done is not None:
            return done
    return render_template("examiner/question_form.html", form=form, q=question)


def _act(
    question_id: str, action: Callable[..., object], message: Callable[[object], str]
) -> Response:
    """Run a state change on a question; flash what happened or why not; go back."""
    back = safe_next_url(request.values.get("next")) or url_for(
        "examiner.question_detail", question_id=question_id
    )
    try:
        result = action(get_session(), current_user.id, question_id, ip=client_ip())
    except NotFound:
        abort(404)
    except ServiceError as error:
        get_session().rollback()
        flash(describe(error), "danger")
        return redirect(back)
    flash(message(result), "success")
    return redirect(back)


@bp.route("/questions/<question_id>/approve", methods=["POST"])
@role_required(Role.EXAMINER)
def question_approve(question_id: str) -> Response:
    return _act(
        question_id,
        questions.approve,
        lambda _: gettext("%(id)s is approved and may appear in new papers.", id=question_id),
    )


@bp.route("/questions/<question_id>/retire", methods=["POST"])
@role_required(Role.EXAMINER)
def question_retire(question_id: str) -> Response:
    return _act(
        question_id,
        questions.retire,
        lambda _: gettext("%(id)s is retired: it leaves new papers.", id=question_id),
    )


def _reapproved(result: object) -> str:
    question, successor = result  # type: ignore[misc]
    if successor is not None:
        return gettext(
            "%(id)s is approved again, now citing %(law)s (version %(n)s).",
            id=question.id,
            law=questions.law_label(successor),
            n=question.current.number,
        )
    return gettext("%(id)s is approved again.", id=question.id)


@bp.route("/questions/<question_id>/reapprove", methods=["POST"])
@role_required(Role.EXAMINER)
def question_reapprove(question_id: str) -> Response:
    return _act(question_id, questions.reapprove, _reapproved)
