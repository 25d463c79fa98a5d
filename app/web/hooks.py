"""Per-request rules: forced password change, security headers, no caching of private pages."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, Response, abort, g, jsonify, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

# Endpoints a user who must change their password may still reach.
PASSWORD_CHANGE_EXEMPT = {
    "auth.change_password",
    "auth.logout",
    "main.set_language",
    "main.healthz",
    "static",
}

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def wants_json() -> bool:
    """True for API clients: /api/ paths, or a request that prefers JSON over HTML."""
    if request.path.startswith("/api/"):
        return True
    accept = request.accept_mimetypes
    return accept.accept_json and not accept.accept_html


REQUEST_ID_HEADER = "X-Request-ID"
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = logging.getLogger("lawexam.access")


def request_id() -> str:
    """This request's id: a proxy's, kept so one request can be followed across services."""
    if "request_id" not in g:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    return g.request_id


def register(app: Flask) -> None:
    @app.before_request
    def start_request() -> None:
        request_id()
        g.started = time.perf_counter()

    def limit_api_bodies() -> None:
        # API bodies are a few hundred bytes; MAX_CONTENT_LENGTH is sized for uploads.
        if not request.path.startswith("/api/"):
            return
        limit = app.config.get("API_MAX_CONTENT_LENGTH")
        if limit is None:
            return
        request.max_content_length = limit  # also bounds a body sent without a length
        if request.content_length is not None and request.content_length > limit:
            abort(413)

    # First of all hooks, so that nothing (the CSRF check parsing a form) reads the body.
    app.before_request_funcs.setdefault(None, []).insert(0, limit_api_bodies)

    @app.after_request
    def log_request(response: Response) -> Response:
        # A hook that ran before start_request (CSRF) may have refused the request already.
        response.headers[REQUEST_ID_HEADER] = request_id()
        if request.endpoint != "static":
            elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
            access_log.info(
                json.dumps(
                    {
                        "request_id": request_id(),
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "ms": round(elapsed_ms, 1),
                        "user": current_user.get_id()
                        if current_user and current_user.is_authenticated
                        else None,
                        "ip": request.remote_addr,
                    },
                    ensure_ascii=False,
                )
            )
        return response

    @app.before_request
    def require_password_change() -> Response | None:
        if not (current_user.is_authenticated and current_user.must_change_password):
            return None
        if request.endpoint in PASSWORD_CHANGE_EXEMPT:
            return None
        if wants_json():
            response = jsonify(
                error="password_change_required",
                message=gettext("Change your password before going on."),
            )
            response.status_code = 403
            return response
        return redirect(url_for("auth.change_password"))

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.endpoint != "static":
            # Pages show personal data and exam content: never keep them in a cache.
            headers["Cache-Control"] = "no-store"
        return response
