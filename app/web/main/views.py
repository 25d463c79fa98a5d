"""The front door: where to go after signing in, the language switch, health."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import refresh
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from app.db import get_session
from app.services import accounts
from app.web.access import landing_endpoint, safe_next_url

bp = Blueprint("main", __name__)


@bp.route("/")
def index() -> Response | str:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    endpoint = landing_endpoint(current_user)
    if endpoint is None:
        return render_template("main/no_role.html")
    return redirect(url_for(endpoint))


@bp.route("/language", methods=["POST"])
def set_language() -> Response:
    """Switch the interface language; signed-in users keep it on their account."""
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            accounts.set_locale(get_session(), current_user, locale)
        refresh()
    return redirect(safe_next_url(request.form.get("next")) or url_for("main.index"))


@bp.route("/healthz")
def healthz() -> Response:
    """The process answers (for a load balancer's liveness check)."""
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz() -> Response:
    """The database answers too; 503 when it does not, so traffic goes elsewhere."""
    try:
        get_session().execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.exception("readiness check failed")
        response = jsonify(status="unavailable", database="unreachable")
        response.status_code = 503
        return response
    return jsonify(status="ok", database="ok")
