"""The law-exam engine: the application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from config import config_for


def create_app(config: Mapping[str, Any] | str | None = None) -> Flask:
    """Build the app. `config` is a config name or a mapping of settings (tests).

    Building has no side effects: no database is created or migrated here.
    """
    app = Flask(__name__)
    if isinstance(config, Mapping):
        app.config.from_mapping(config_for("testing").from_env())
        app.config.from_mapping(config)
    else:
        app.config.from_mapping(config_for(config).from_env())

    register_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_logging(app: Flask) -> None:
    """One JSON line per request on stderr (gunicorn collects it), with a request id."""
    import logging
    import sys

    logger = logging.getLogger("lawexam")
    if app.config.get("LOG_REQUESTS") and not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def register_extensions(app: Flask) -> None:
    from app import db
    from app.extensions import babel, csrf, limiter, login_manager
    from app.web.auth.session import configure_login, select_locale

    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    configure_login(login_manager)


def register_blueprints(app: Flask) -> None:
    from app.web import register

    register(app)


def register_errorhandlers(app: Flask) -> None:
    from app.web.errors import register

    register(app)


def register_request_hooks(app: Flask) -> None:
    from app.web.hooks import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from app.web.templating import register

    register(app)


def register_commands(app: Flask) -> None:
    from app.cli import register

    register(app)
