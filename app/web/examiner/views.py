"""The examiners' pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from app.db import get_session
from app.domain.people import Role
from app.services.laws import list_laws
from app.web.access import role_required

bp = Blueprint("examiner", __name__, url_prefix="/examiner")


@bp.route("/")
@role_required(Role.EXAMINER)
def home() -> str:
    return render_template("examiner/home.html", laws=list_laws(get_session()))
