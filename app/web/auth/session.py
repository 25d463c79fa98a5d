"""Who is signed in, and in which language they read."""

from __future__ import annotations

from flask import current_app, has_request_context, session
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user

from app.db import get_session
from app.models import User


def configure_login(login_manager: LoginManager) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        user = get_session().get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.active else None


def select_locale() -> str:
    """The user's saved language, else the session's choice, else zh_CN."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]
