"""Administration: accounts, the unit tree and the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.db import get_session
from app.domain.people import Role
from app.messages import describe
from app.models import Unit, User
from app.services import accounts, audit_log, hr_scope, overview, units
from app.services.errors import NotFound, ServiceError
from app.web.access import client_ip, role_required
from app.web.admin.forms import (
    ActionForm,
    AuditFilterForm,
    UnitCreateForm,
    UnitMoveForm,
    UnitRenameForm,
    UserCreateForm,
    UserEditForm,
)
from app.web.pagination import Page, page_number

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROOT_CHOICE = SelectChoice(0, _l("(top level)"))


def _user_or_404(user_id: int) -> User:
    try:
        return accounts.get_user(get_session(), user_id)
    except NotFound:
        abort(404)


def _unit_or_404(unit_id: int) -> Unit:
    try:
        return units.get_unit(get_session(), unit_id)
    except NotFound:
        abort(404)


@bp.route("/")
@role_required(Role.ADMIN)
def home() -> str:
    session = get_session()
    return render_template(
        "admin/home.html",
        counts=overview.account_counts(session),
        events=overview.recent_events(session),
    )


# ---- users -------------------------------------------------------------------------------


@bp.route("/users")
@role_required(Role.ADMIN)
def users() -> str:
    query = request.args.get("q", "").strip()
    role_value = request.args.get("role", "")
    role = Role(role_value) if role_value in {r.value for r in Role} else None
    number = page_number()
    per_page = current_app.config["PAGE_SIZE"]
    items, total = accounts.search_users(get_session(), query, role, number, per_page)
    return render_template(
        "admin/users.html", page=Page(items, total, number, per_page), query=query, role=role_value
    )


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_create() -> Response | str:
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user, generated = accounts.create_user(
                get_session(),
                current_user.id,
                form.username.data,
                {Role(value) for value in form.roles.data},
                display_name=form.display_name.data or "",
                cadre_staff_no=form.cadre_staff_no.data or None,
                password=form.password.data or None,
                ip=client_ip(),
            )
        except ServiceError as error:
            flash(describe(error), "danger")
        else:
            if generated:
                return render_template("admin/password_shown.html", user=user, password=generated)
            flash(gettext("Account %(username)s created.", username=user.username), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_create.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_edit(user_id: int) -> Response | str:
    user = _user_or_404(user_id)
    form = UserEditForm(obj=user)
    form.scope_unit_id.choices = [SelectChoice(0, _l("(all units)")), *_unit_choices()[1:]]
    if request.method == "GET":
        form.roles.data = sorted(role.value for role in user.roles)
        form.cadre_staff_no.data = user.cadre.staff_no if user.cadre else ""
        form.scope_unit_id.data = user.scope_unit_id or 0
    if form.validate_on_submit():
        try:
            accounts.update_user(
                get_session(),
                current_user.id,
                user,
                roles={Role(value) for value in form.roles.data},
                display_name=form.display_name.data or "",
                active=form.active.data,
                cadre_staff_no=form.cadre_staff_no.data or None,
                ip=client_ip(),
            )
            hr_scope.set_scope_unit(
                get_session(), current_user.id, user, form.scope_unit_id.data or None, client_ip()
            )
        except ServiceError as error:
            get_session().rollback()
            flash(describe(error), "danger")
        else:
            flash(gettext("Saved."), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_edit.html", user=user, form=form, action=ActionForm())


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@role_required(Role.ADMIN)
def user_reset_password(user_id: int) -> Response | str:
    user = _user_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    password = accounts.reset_password(get_session(), current_user.id, user, ip=client_ip())
    return render_template("admin/password_shown.html", user=user, password=password)


# ---- units -------------------------------------------------------------------------------


def _unit_choices(exclude_subtree_of: str | None = None) -> list[SelectChoice]:
    rows = units.flatten(units.unit_tree(get_session()))
    return [ROOT_CHOICE] + [
        SelectChoice(unit.id, "\u3000" * depth + unit.name)
        for depth, unit in rows
        if not (exclude_subtree_of and unit.path.startswith(exclude_subtree_of))
    ]


@bp.route("/units", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def unit_list() -> Response | str:
    form = UnitCreateForm()
    form.parent_id.choices = _unit_choices()
    if form.validate_on_submit():
        try:
            units.create_unit(
                get_session(),
                current_user.id,
                form.name.data,
                form.parent_id.data or None,
                ip=client_ip(),
            )
        except ServiceError as error:
            flash(describe(error), "danger")
        else:
            flash(gettext("Unit %(name)s added.", name=form.name.data.strip()), "success")
            return redirect(url_for("admin.unit_list"))
    rows = units.flatten(units.unit_tree(get_session()))
    return render_template("admin/units.html", rows=rows, form=form)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def unit_edit(unit_id: int) -> Response | str:
    unit = _unit_or_404(unit_id)
    rename = UnitRenameForm(prefix="rename", name=unit.name)
    move = UnitMoveForm(prefix="move", parent_id=unit.parent_id or 0)
    move.parent_id.choices = _unit_choices(exclude_subtree_of=unit.path)
    try:
        if rename.submit.data and rename.validate_on_submit():
            units.rename_unit(
                get_session(), current_user.id, unit, rename.name.data, ip=client_ip()
            )
        elif move.submit.data and move.validate_on_submit():
            units.move_unit(
                get_session(), current_user.id, unit, move.parent_id.data or None, ip=client_ip()
            )
        else:
            return render_template(
                "admin/unit_edit.html",
                unit=unit,
                rename=rename,
                move=move,
                label=units.unit_label(unit),
            )
    except ServiceError as error:
        get_session().rollback()
        flash(describe(error), "danger")
        return redirect(url_for("admin.unit_edit", unit_id=unit.id))
    flash(gettext("Saved."), "success")
    return redirect(url_for("admin.unit_list"))


# ---- audit log ---------------------------------------------------------------------------


@bp.route("/audit")
@role_required(Role.ADMIN)
def audit() -> str:
    session = get_session()
    form = AuditFilterForm(request.args)
    form.action.choices = [SelectChoice("", gettext("(any)"))] + [
        SelectChoice(action) for action in audit_log.known_actions(session)
    ]
    criteria = audit_log.AuditFilter()
    if form.validate():
        criteria = audit_log.AuditFilter(
            actor=form.actor.data or "",
            action=form.action.data or "",
            date_from=form.date_from.data,
            date_to=form.date_to.data,
            timezone=current_app.config["BABEL_DEFAULT_TIMEZONE"],
        )
    number = page_number()
    per_page = current_app.config["PAGE_SIZE"]
    events, total = audit_log.search_events(session, criteria, number, per_page)
    return render_template(
        "admin/audit.html", form=form, page=Page(events, total, number, per_page)
    )
