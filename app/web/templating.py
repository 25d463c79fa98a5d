"""What every template can use: the navigation, labels and local time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, current_app, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.domain.people import Role
from app.messages import describe_cell
from app.timeutil import to_local
from app.web.labels import ACTION_LABELS, CATEGORY_LABELS, LAW_STATUS_LABELS, ROLE_LABELS

# (role that may see it, endpoint, label); the nav shows only what the user may open.
NAVIGATION: list[tuple[tuple[Role, ...], str, Any]] = [
    ((Role.CANDIDATE,), "candidate.home", _l("My exams")),
    ((Role.EXAMINER,), "examiner.home", _l("Question bank")),
    ((Role.EXAMINER,), "examiner.question_list", _l("Question list")),
    ((Role.EXAMINER,), "examiner.review_queue", _l("Review queue")),
    ((Role.EXAMINER,), "examiner.law_registry", _l("Laws")),
    ((Role.EXAMINER,), "examiner.bank_upload_page", _l("Upload questions")),
    ((Role.EXAMINER,), "examiner.blueprint_list", _l("Blueprints")),
    ((Role.EXAMINER,), "examiner.exam_list", _l("Exams")),
    ((Role.EXAMINER,), "examiner.analysis_list", _l("Item analysis")),
    ((Role.HR,), "hr.home", _l("Roster")),
    ((Role.HR, Role.ADMIN), "hr.cadre_list", _l("Cadre records")),
    ((Role.HR, Role.ADMIN), "hr.case_list", _l("Pre-appointment cases")),
    ((Role.HR, Role.ADMIN), "hr.report_index", _l("Reports")),
    ((Role.ADMIN,), "admin.home", _l("Administration")),
    ((Role.ADMIN,), "admin.users", _l("Users")),
    ((Role.ADMIN,), "admin.unit_list", _l("Units")),
    ((Role.ADMIN,), "admin.audit", _l("Audit log")),
    ((Role.HR, Role.ADMIN), "hr.roster_upload", _l("Import roster")),
]
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def navigation() -> list[tuple[str, Any]]:
    if not current_user.is_authenticated or current_user.must_change_password:
        return []
    # A unit-scoped HR account cannot import rosters (they reach the whole city).
    scoped = current_user.scope_unit_id is not None and not current_user.has_role(Role.ADMIN)
    return [
        (endpoint, label)
        for roles, endpoint, label in NAVIGATION
        if current_user.has_role(*roles) and not (scoped and endpoint == "hr.roster_upload")
    ]


def current_language() -> str:
    """The configured language code (zh_CN or en) that the current locale stands for."""
    locale = get_locale()
    for code in current_app.config["LANGUAGES"]:
        if locale is not None and code.split("_")[0] == locale.language:
            return code
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def localtime(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if moment is None:
        return ""
    return to_local(moment, current_app.config["BABEL_DEFAULT_TIMEZONE"]).strftime(fmt)


def url_for_page(number: int) -> str:
    """The current list's URL with its filters kept and another page number."""
    args = request.args.to_dict()
    args["page"] = str(number)
    return url_for(request.endpoint or "main.index", **(request.view_args or {}), **args)


def register(app: Flask) -> None:
    @app.context_processor
    def inject() -> dict[str, Any]:
        return {
            "navigation": navigation(),
            "languages": LANGUAGE_NAMES,
            "current_locale": current_language(),
            "category_labels": CATEGORY_LABELS,
            "role_labels": ROLE_LABELS,
            "law_status_labels": LAW_STATUS_LABELS,
            "action_labels": ACTION_LABELS,
        }

    # Globals, not context: imported macros see globals but not the request context.
    app.add_template_global(url_for_page, "url_for_page")
    app.add_template_global(describe_cell, "describe_cell")
    app.add_template_filter(localtime, "localtime")
