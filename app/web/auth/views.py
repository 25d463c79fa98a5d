"""Signing in and out, and changing one's password."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from app.db import get_session
from app.extensions import limiter
from app.messages import describe
from app.services import accounts
from app.services.errors import InvalidInput
from app.web.access import client_ip, landing_endpoint, safe_next_url
from app.web.auth.forms import ChangePasswordForm, LoginForm
from app.web.errors import error_response
from app.web.hooks import wants_json

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _username_key() -> str:
    return "login-user:" + request.form.get("username", "").strip().lower()


def _failed(response: Response) -> bool:
    # Only failed sign-ins count, so an office behind one address can all sign in at 9:00.
    return response.status_code != 302


def home_url() -> str:
    endpoint = landing_endpoint(current_user)
    return url_for(endpoint) if endpoint else url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=_failed
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_USERNAME"],
    methods=["POST"],
    key_func=_username_key,
    deduct_when=_failed,
)
def login() -> Response | str:
    if current_user.is_authenticated:
        return redirect(home_url())
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        if request.method == "POST" and wants_json():
            return error_response(
                400, "invalid_input", gettext("Username and password are required.")
            )
        return render_template("auth/login.html", form=form)
    outcome = accounts.authenticate(
        get_session(), form.username.data, form.password.data, ip=client_ip()
    )
    if outcome.user is None:
        message = (
            gettext("This account is deactivated. Ask your administrator.")
            if outcome.failure == "inactive"
            else gettext("The username or password is not correct.")
        )
        if wants_json():
            return error_response(401, "login_failed", message)
        flash(message, "danger")
        return render_template("auth/login.html", form=form), 200
    login_user(outcome.user)
    if outcome.user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return redirect(safe_next_url(form.next.data) or home_url())


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    logout_user()
    flash(gettext("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> Response | str:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                get_session(),
                current_user,
                form.current_password.data,
                form.new_password.data,
                ip=client_ip(),
            )
        except InvalidInput as error:
            field = (
                form.current_password
                if error.code == "wrong_current_password"
                else form.new_password
            )
            field.errors = [*field.errors, describe(error)]
        else:
            flash(gettext("Your password has been changed."), "success")
            return redirect(home_url())
    return render_template(
        "auth/change_password.html", form=form, forced=current_user.must_change_password
    )
