"""The candidate's own pages."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from app.domain.people import Role
from app.web.access import role_required

bp = Blueprint("candidate", __name__, url_prefix="/candidate")


@bp.route("/")
@role_required(Role.CANDIDATE)
def home() -> str:
    return render_template("candidate/home.html", cadre=current_user.cadre)
