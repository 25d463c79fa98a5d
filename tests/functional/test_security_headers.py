"""Security headers on every response, safe session cookies, escaped user-supplied text."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import create_app
from app.domain.people import Role
from app.models import Unit
from config import ConfigError, ProductionConfig
from tests.conftest import post_form
from tests.factories import UnitFactory, make_user

SCRIPT = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;"
MARKUP = '<img src=x onerror="alert(1)">'


def csp_directives(response) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name] = value
    return directives


def assert_security_headers(response) -> None:
    directives = csp_directives(response)
    assert directives, "no Content-Security-Policy"
    script_src = directives.get("script-src", directives.get("default-src"))
    assert script_src is not None
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert "frame-ancestors" in directives
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers.get("Referrer-Policy")


def session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "no session cookie was set"
    return cookies[-1]


@pytest.mark.parametrize(
    "path, status",
    [
        ("/auth/login", 200),
        ("/", 302),
        ("/admin/", 302),
        ("/no-such-page", 404),
        ("/healthz", 200),
    ],
)
def test_every_response_carries_the_security_headers(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert_security_headers(response)
    assert "no-store" in response.headers["Cache-Control"]


def test_error_responses_carry_the_headers(client, auth):
    hr = make_user(Role.HR)
    auth.login(hr.username)
    forbidden = client.get("/admin/users")
    assert forbidden.status_code == 403
    assert_security_headers(forbidden)
    assert "no-store" in forbidden.headers["Cache-Control"]
    refused = client.post("/auth/logout")  # no CSRF token
    assert refused.status_code == 400
    assert_security_headers(refused)


def test_json_responses_carry_the_headers(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
    assert_security_headers(response)
    assert "no-store" in response.headers["Cache-Control"]


def test_static_files_carry_the_headers_and_may_be_cached(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert_security_headers(response)
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


def test_signed_in_pages_are_not_cached(client, auth):
    admin = make_user(Role.ADMIN)
    login = auth.login(admin.username)
    assert_security_headers(login)
    page = client.get("/admin/users")
    assert page.status_code == 200
    assert_security_headers(page)
    assert "no-store" in page.headers["Cache-Control"]


def test_pages_have_no_inline_scripts(client, auth):
    admin = make_user(Role.ADMIN)
    auth.login(admin.username)
    for path in ("/auth/login", "/admin/", "/admin/users", "/admin/units", "/admin/audit"):
        page = client.get(path).get_data(as_text=True)
        # The CSP refuses inline scripts, so every <script> must load a file.
        for tag in page.split("<script")[1:]:
            assert tag.lstrip().startswith("src="), f"inline script on {path}"
        assert " onclick=" not in page and " onsubmit=" not in page, path


def test_session_cookie_is_httponly_and_samesite_lax(client, auth):
    user = make_user(Role.HR)
    response = auth.login(user.username)
    assert response.status_code == 302
    cookie = session_cookie(response)
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in attributes
    assert "samesite=lax" in attributes


def test_production_config_sends_secure_cookies(monkeypatch, database_url, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-key")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    settings = ProductionConfig.from_env()
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"

    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/auth/login", base_url="https://localhost")
    attributes = {part.strip().lower() for part in session_cookie(response).split(";")}
    assert {"secure", "httponly", "samesite=lax"} <= attributes
    app.extensions["db.engine"].dispose()


def test_production_refuses_to_start_without_secrets(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///unused.sqlite3")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        ProductionConfig.from_env()


def test_unit_name_with_markup_is_escaped(client, auth, db_session):
    admin = make_user(Role.ADMIN)
    auth.login(admin.username)
    # "/" separates unit paths, so the form takes markup without a closing tag...
    response = post_form(
        client, "/admin/units", {"name": MARKUP, "parent_id": "0"}, page="/admin/units"
    )
    assert response.status_code == 302
    added = db_session.scalar(select(Unit).where(Unit.name == MARKUP))
    assert added is not None
    # ...and a full <script> element may still arrive by other roads (an import, SQL).
    scripted = UnitFactory(name=SCRIPT)
    child = UnitFactory(name="司法局", parent=added)
    for path in (
        "/admin/units",
        f"/admin/units/{added.id}",
        f"/admin/units/{scripted.id}",
        f"/admin/units/{child.id}",
        "/admin/audit",
        "/admin/",
    ):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page, path
        assert "<img src=x" not in page, path
    units_page = client.get("/admin/units").get_data(as_text=True)
    assert ESCAPED in units_page
    assert "&lt;img src=x" in units_page
    assert "&lt;img src=x" in client.get("/admin/audit").get_data(as_text=True)


def test_display_name_with_script_is_escaped(client, auth):
    admin = make_user(Role.ADMIN, display_name=SCRIPT)
    target = make_user(Role.HR, display_name=SCRIPT, username="stem-like")
    auth.login(admin.username)
    for path in ("/admin/users", f"/admin/users/{target.id}", "/admin/", "/admin/audit"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page, path
    assert ESCAPED in client.get("/admin/users").get_data(as_text=True)


def test_username_with_markup_is_escaped_in_messages(client, auth):
    admin = make_user(Role.ADMIN)
    target = make_user(Role.HR, username='<b onmouseover="x">u</b>')
    auth.login(admin.username)
    page = client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert '<b onmouseover="x">' not in page
    assert "&lt;b onmouseover=" in page
