"""Error pages for people and JSON errors for API clients."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.web.hooks import wants_json

ERROR_CODES = {
    400: ("bad_request", _l("The request could not be understood.")),
    403: ("forbidden", _l("You do not have permission to open this page.")),
    404: ("not_found", _l("The page or object was not found.")),
    405: ("method_not_allowed", _l("This method is not allowed here.")),
    413: ("too_large", _l("The upload is too large.")),
    429: ("rate_limited", _l("Too many attempts. Wait a minute and try again.")),
    500: ("server_error", _l("Something went wrong on our side. Nothing you saved is lost.")),
}
PAGES = {
    403: "errors/403.html",
    404: "errors/404.html",
    429: "errors/429.html",
    500: "errors/500.html",
}


def error_response(status: int, code: str | None = None, message: str | None = None) -> Response:
    """A JSON body for API clients or an error page for people."""
    default_code, default_message = ERROR_CODES.get(status, ("error", _l("Error")))
    text = message or str(default_message)
    if wants_json():
        response = jsonify(error=code or default_code, message=text)
    else:
        template = PAGES.get(status, "errors/generic.html")
        response = Response(render_template(template, status=status, message=text))
    response.status_code = status
    return response


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Response:
        return error_response(
            400,
            "csrf_failed",
            gettext("The form expired or its security token is missing. Reload and try again."),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        if status == 429:
            return error_response(429)
        return error_response(status)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Response:
        app.logger.exception("unhandled error", exc_info=error)
        return error_response(500)
