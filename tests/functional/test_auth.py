"""Signing in and out, forced password change, deactivation, rate limits, CSRF."""

from __future__ import annotations

from sqlalchemy import select

from app.domain.people import Role
from app.models import AuditEvent, User
from tests.conftest import csrf_token, post_form
from tests.factories import DEFAULT_PASSWORD, make_user


def test_login_page_is_chinese_by_default(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert "登录" in page
    assert 'lang="zh-CN"' in page


def test_each_role_lands_on_its_own_page(client, auth):
    expected = {
        Role.CANDIDATE: "/candidate/",
        Role.EXAMINER: "/examiner/",
        Role.HR: "/hr/",
        Role.ADMIN: "/admin/",
    }
    for role, landing in expected.items():
        user = make_user(role)
        response = auth.login(user.username)
        assert response.status_code == 302
        assert response.headers["Location"] == landing
        assert client.get(landing).status_code == 200
        auth.logout()


def test_wrong_password_is_refused_and_audited(client, auth, db_session):
    user = make_user(Role.EXAMINER)
    response = auth.login(user.username, "not-the-password")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.get_data(as_text=True)
    assert client.get("/examiner/").status_code == 302  # still anonymous
    actions = db_session.scalars(select(AuditEvent.action)).all()
    assert "login.failed" in actions


def test_deactivated_user_cannot_log_in(client, auth):
    user = make_user(Role.HR, active=False)
    response = auth.login(user.username)
    assert response.status_code == 200
    assert "停用" in response.get_data(as_text=True)
    assert client.get("/hr/").headers["Location"].startswith("/auth/login")


def test_deactivating_a_signed_in_user_ends_their_session(client, auth, db_session):
    user = make_user(Role.HR)
    auth.login(user.username)
    assert client.get("/hr/").status_code == 200
    user.active = False
    db_session.commit()
    assert client.get("/hr/").status_code == 302


def test_logout_needs_post_and_signs_out(client, auth):
    user = make_user(Role.HR)
    auth.login(user.username)
    assert client.get("/auth/logout").status_code == 405
    response = auth.logout()
    assert response.headers["Location"] == "/auth/login"
    assert client.get("/hr/").status_code == 302


def test_next_parameter_only_accepts_local_paths(client, auth):
    user = make_user(Role.ADMIN)
    response = auth.login(user.username, next="https://evil.example/")
    assert response.headers["Location"] == "/admin/"
    auth.logout()
    response = auth.login(user.username, next="/admin/units")
    assert response.headers["Location"] == "/admin/units"


def test_imported_account_must_change_password_first(client, auth, db_session):
    user = make_user(Role.CANDIDATE, must_change_password=True)
    response = auth.login(user.username)
    assert response.headers["Location"] == "/auth/password"
    # Every other page sends the user back to the change form.
    assert client.get("/candidate/").headers["Location"] == "/auth/password"
    api = client.get("/candidate/", headers={"Accept": "application/json"})
    assert api.status_code == 403
    assert api.get_json()["error"] == "password_change_required"

    token = csrf_token(client, "/auth/password")
    too_short = client.post(
        "/auth/password",
        data={
            "csrf_token": token,
            "current_password": DEFAULT_PASSWORD,
            "new_password": "short",
            "confirm": "short",
        },
    )
    assert too_short.status_code == 200
    assert "至少" in too_short.get_data(as_text=True)

    done = client.post(
        "/auth/password",
        data={
            "csrf_token": token,
            "current_password": DEFAULT_PASSWORD,
            "new_password": "a-new-secret-9",
            "confirm": "a-new-secret-9",
        },
    )
    assert done.headers["Location"] == "/candidate/"
    db_session.refresh(user)
    assert user.must_change_password is False
    assert client.get("/candidate/").status_code == 200
    auth.logout()
    assert auth.login(user.username, "a-new-secret-9").headers["Location"] == "/candidate/"


def test_change_password_refuses_wrong_current_password(client, auth):
    user = make_user(Role.EXAMINER)
    auth.login(user.username)
    response = post_form(
        client,
        "/auth/password",
        {
            "current_password": "wrong",
            "new_password": "another-secret-1",
            "confirm": "another-secret-1",
        },
        page="/auth/password",
    )
    assert response.status_code == 200
    assert "当前密码不正确" in response.get_data(as_text=True)


def test_passwords_are_stored_hashed(db_session, runner):
    result = runner.invoke(
        args=["user", "create", "plain", "--role", "hr", "--password", "visible-secret-1"]
    )
    assert result.exit_code == 0, result.output
    stored = db_session.scalar(select(User.password_hash).where(User.username == "plain"))
    assert "visible-secret-1" not in stored
    assert stored.startswith("pbkdf2:") or stored.startswith("scrypt:")


def test_login_without_csrf_token_is_refused(client):
    user = make_user(Role.ADMIN)
    response = client.post(
        "/auth/login", data={"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_login_with_wrong_csrf_token_is_refused(client):
    user = make_user(Role.ADMIN)
    csrf_token(client)
    response = client.post(
        "/auth/login",
        data={"username": user.username, "password": DEFAULT_PASSWORD, "csrf_token": "forged"},
    )
    assert response.status_code == 400


def test_failed_logins_are_limited_per_username(client, auth):
    user = make_user(Role.HR)
    for _ in range(5):
        assert auth.login(user.username, "wrong").status_code == 200
    blocked = auth.login(user.username)  # even the right password waits now
    assert blocked.status_code == 429
    assert "尝试次数过多" in blocked.get_data(as_text=True)
    other = make_user(Role.HR)
    assert auth.login(other.username).status_code == 302


def test_successful_logins_do_not_use_up_the_limit(client, auth):
    user = make_user(Role.HR)
    for _ in range(8):
        assert auth.login(user.username).status_code == 302
        auth.logout()


def test_failed_logins_are_limited_per_address(app, client, auth):
    app.config["LOGIN_LIMIT_PER_IP"] = "3 per minute"
    for n in range(3):
        auth.login(f"nobody{n}", "wrong")
    assert auth.login("nobody-else", "wrong").status_code == 429


def test_api_clients_get_json_429(client):
    user = make_user(Role.HR)
    token = csrf_token(client)
    headers = {"Accept": "application/json"}
    for _ in range(5):
        failed = client.post(
            "/auth/login",
            headers=headers,
            data={"username": user.username, "password": "wrong", "csrf_token": token},
        )
        assert failed.status_code == 401
        assert failed.get_json()["error"] == "login_failed"
    blocked = client.post(
        "/auth/login",
        headers=headers,
        data={"username": user.username, "password": "wrong", "csrf_token": token},
    )
    assert blocked.status_code == 429
    assert blocked.get_json()["error"] == "rate_limited"
