"""The examiners' pages."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from app.domain.people import Role
from app.services.laws import read_law_registry
from app.web.access import role_required

bp = Blueprint("examiner", __name__, url_prefix="/examiner")


@bp.route("/")
@role_required(Role.EXAMINER)
def home() -> str:
    laws = read_law_registry(current_app.config["QUESTION_BANK_DIR"])
    return render_template("examiner/home.html", laws=laws)
