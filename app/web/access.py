"""Access rules for views: roles, and the landing page for each role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import abort, request
from flask_login import current_user, login_required

from app.domain.people import Role

P = ParamSpec("P")
R = TypeVar("R")

# Where each role starts; a user with several roles starts at the first held.
LANDING_ENDPOINTS: dict[Role, str] = {
    Role.EXAMINER: "examiner.home",
    Role.HR: "hr.home",
    Role.ADMIN: "admin.home",
    Role.CANDIDATE: "candidate.home",
}


def role_required(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Let the view run only for a signed-in user holding one of `roles`; else 403."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        @login_required
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def landing_endpoint(user: object) -> str | None:
    """The endpoint of the first landing page the user's roles open."""
    for role, endpoint in LANDING_ENDPOINTS.items():
        if user.has_role(role):  # type: ignore[attr-defined]
            return endpoint
    return None


def client_ip() -> str:
    return request.remote_addr or ""


def safe_next_url(target: str | None) -> str | None:
    """Accept only a path on this site as a place to return to."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return None
    return target
