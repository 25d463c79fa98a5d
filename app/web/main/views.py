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
    return jsonify(status="ok")
